"""JSON shapes of chain objects for the RPC API. Amounts in Lux are decimal strings (they
exceed JavaScript's safe integers); bytes are ``0x``-prefixed hex; heights are integers."""

from __future__ import annotations

from typing import Any

from chain.transition.roots import compute_block_hash, compute_transaction_id
from chain.types.blocks import Block
from chain.types.receipts import EventRecord, Receipt
from chain.types.transactions import Call, Deploy, Memo, ProvenCall, Transaction, encode_transaction


def hex0x(data: bytes) -> str:
    return "0x" + bytes(data).hex()


def transaction_json(tx: Transaction) -> dict[str, Any]:
    data: dict[str, Any] | None
    match tx.data:
        case Call(contract=c, fn_name=name, fn_args=args):
            data = {"type": "call", "contract": hex0x(c), "fn_name": name, "fn_args": hex0x(args)}
        case Deploy(bytecode=code, owner=owner, nonce=nonce):
            data = {"type": "deploy", "bytecode_size": len(code), "owner": hex0x(owner), "nonce": int(nonce)}
        case Memo(memo=memo):
            data = {"type": "memo", "memo": hex0x(memo)}
        case ProvenCall() as proven:
            data = {
                "type": "proven_call",
                "contract": hex0x(proven.contract),
                "fn_name": proven.fn_name,
                "fn_args": hex0x(proven.fn_args),
                "vk_id": hex0x(proven.vk_id),
                "public_inputs": hex0x(proven.public_inputs),
                "proof": hex0x(proven.proof),
            }
        case _:
            data = None
    return {
        "tx_id": hex0x(compute_transaction_id(tx)),
        "chain_id": int(tx.chain_id),
        "sender": hex0x(tx.sender),
        "receiver": hex0x(tx.receiver),
        "value": str(int(tx.value)),
        "deposit": str(int(tx.deposit)),
        "gas_limit": str(int(tx.fee.gas_limit)),
        "gas_price": str(int(tx.fee.gas_price)),
        "refund_address": hex0x(tx.fee.refund_address),
        "nonce": int(tx.nonce),
        "data": data,
        "raw": hex0x(encode_transaction(tx)),
    }


def receipt_json(receipt: Receipt) -> dict[str, Any]:
    return {
        "tx_id": hex0x(receipt.tx_id),
        "status": receipt.status.name.lower(),
        "gas_spent": str(int(receipt.gas_spent)),
        "fee_paid": str(int(receipt.fee_paid)),
        "error": receipt.error,
        "events": [
            {"source": hex0x(e.source), "topic": e.topic, "data": hex0x(e.data)} for e in receipt.events
        ],
    }


def block_json(block: Block, *, finality: str) -> dict[str, Any]:
    h = block.header
    return {
        "hash": hex0x(compute_block_hash(h)),
        "height": int(h.height),
        "timestamp": int(h.timestamp),
        "prev_block_hash": hex0x(h.prev_block_hash),
        "state_root": hex0x(h.state_root),
        "tx_root": hex0x(h.tx_root),
        "event_bloom": hex0x(h.event_bloom),
        "generator": hex0x(h.generator),
        "gas_limit": str(int(h.gas_limit)),
        "iteration": int(h.iteration),
        "finality": finality,
        "transactions": [transaction_json(tx) for tx in block.transactions],
    }


def event_json(sequence: int, record: EventRecord) -> dict[str, Any]:
    return {
        "sequence": sequence,
        "height": int(record.height),
        "tx_index": int(record.tx_index),
        "tx_id": hex0x(record.tx_id),
        "source": hex0x(record.event.source),
        "topic": record.event.topic,
        "data": hex0x(record.event.data),
    }
