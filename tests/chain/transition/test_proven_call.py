"""Proofs in transaction validation (issue 17 item 5; docs/zk.md, "Verification in the
chain"): a ProvenCall's shape is checked statelessly, its proof against the state's
verifying-key registry before execution; an unknown key or a refused proof makes the
transaction invalid with a stable reason (never included, never an uncaught exception), a
block carrying one is rejected, and the called contract reads the statement it carried."""

from __future__ import annotations

import os
import random
from dataclasses import replace

import pytest

from chain.crypto import bls12_381 as bls
from chain.node.client import sign_contract_deploy
from chain.node.node import ChainNode
from chain.state.state import State
from chain.transition.exceptions import InvalidBlock, InvalidTransaction
from chain.transition.genesis import parse_genesis_config
from chain.transition.params import BASE_TRANSACTION_GAS, GAS_PER_DATA_BYTE
from chain.transition.process import (
    BlockContext,
    assemble_block,
    compute_intrinsic_gas,
    process_transaction,
    state_transition,
    validate_transaction,
    validate_transaction_proof,
)
from chain.transition.roots import compute_block_hash, compute_tx_root
from chain.types.codec import Writer
from chain.types.exceptions import DecodeError
from chain.types.primitives import ContractId, Hash32, Height, Timestamp
from chain.types.receipts import STAKE_CONTRACT, ReceiptStatus
from chain.types.transactions import (
    MAX_PROOF_PUBLIC_INPUTS,
    TAG_PROVEN_CALL,
    ProvenCall,
    Transaction,
    decode_transaction,
    encode_transaction,
)
from chain.vm.session import PROOF_INPUT_GAS, PROOF_VERIFY_GAS
from tests.chain.helpers import CHAIN_ID, GENESIS_TIME, keypair, transfer
from tests.chain.proofs import PROOF, PUBLIC, REFUSED_ATTACHMENTS, VK, VK_ID, prover_wasm

ALICE, AUTHORITY = keypair("proven-tx-alice"), keypair("proven-tx-authority")
GAS = 20_000_000


def _genesis(with_key: bool = True):
    return parse_genesis_config(
        {
            "chain_id": CHAIN_ID,
            "timestamp": GENESIS_TIME,
            "params": {"min_block_time": 1},
            "accounts": [{"public_key": "0x" + ALICE.public.hex(), "balance": 10**15}],
            "verifying_keys": [{"key": "0x" + VK.hex()}] if with_key else [],
        }
    )


def _node_with_prover(with_key: bool = True) -> tuple[ChainNode, ContractId]:
    """A node whose block 1 deployed the prover contract (tests/chain/proofs.py)."""
    node = ChainNode(store=_memory_store(), genesis=_genesis(with_key), generator_key=AUTHORITY.secret)
    _, raw, contract = sign_contract_deploy(
        secret_key=bytes(ALICE.secret),
        chain_id=CHAIN_ID,
        bytecode=prover_wasm(),
        init_args=None,
        deploy_nonce=0,
        nonce=1,
    )
    node.submit_transaction(raw, now=GENESIS_TIME)
    produced = node.produce_block(now=Timestamp(GENESIS_TIME + 1))
    assert produced is not None
    assert produced.receipts[0].status is ReceiptStatus.SUCCESS
    return node, ContractId.from_hex(contract)


def _memory_store():
    from chain.state.memory import MemoryStore

    return MemoryStore()


@pytest.fixture(scope="module")
def deployed() -> tuple[ChainNode, ContractId]:
    return _node_with_prover()


def _proven(contract: ContractId, vk_id=VK_ID, inputs=PUBLIC, proof=PROOF, nonce=2, gas=GAS) -> Transaction:
    data = ProvenCall(contract, "prove", b"", Hash32(bytes(vk_id)), inputs, proof)
    return transfer(ALICE, ALICE.public, value=0, nonce=nonce, gas_limit=gas, data=data)


def _context(node: ChainNode) -> BlockContext:
    return BlockContext(node.params, Height(2), Timestamp(GENESIS_TIME + 2))


def test_intrinsic_gas_includes_the_verification_at_the_host_function_price(deployed):
    _, contract = deployed
    tx = _proven(contract)
    data_bytes = 32 + len("prove") + 0 + 32 + 1 + 64 + 192
    assert compute_intrinsic_gas(tx) == (
        BASE_TRANSACTION_GAS + GAS_PER_DATA_BYTE * data_bytes + PROOF_VERIFY_GAS + 2 * PROOF_INPUT_GAS
    )
    with pytest.raises(InvalidTransaction) as error:
        validate_transaction(_proven(contract, gas=compute_intrinsic_gas(tx) - 1), params=deployed[0].params)
    assert error.value.reason == "gas_limit_too_low"


def test_a_valid_proven_call_runs_and_the_contract_reads_the_statement(deployed):
    node, contract = deployed
    with node.store.read_view() as view:
        state = State(view)
        tx = _proven(contract)
        validate_transaction(tx, params=node.params)
        receipt = process_transaction(state, tx, _context(node))
    assert receipt.status is ReceiptStatus.SUCCESS, receipt.error
    assert [(e.source, e.topic, e.data) for e in receipt.events] == [
        (contract, "proven", bytes(VK_ID) + PUBLIC)
    ]
    assert receipt.gas_spent > compute_intrinsic_gas(tx)


@pytest.mark.parametrize(
    ("vk_id", "inputs", "proof", "reason"),
    [case[1:] for case in REFUSED_ATTACHMENTS],
    ids=[case[0] for case in REFUSED_ATTACHMENTS],
)
def test_invalid_proven_call_is_an_invalid_transaction_and_changes_nothing(
    deployed, vk_id, inputs, proof, reason
):
    node, contract = deployed
    with node.store.read_view() as view:
        state = State(view)
        tx = _proven(contract, vk_id, inputs, proof)
        validate_transaction(tx, params=node.params)  # the shape is fine: the proof is not
        with pytest.raises(InvalidTransaction) as error:
            process_transaction(state, tx, _context(node))
        assert error.value.reason == reason
        assert state.pending_writes() == {}


def test_a_public_input_not_below_r_is_refused_statelessly(deployed):
    node, contract = deployed
    with pytest.raises(InvalidTransaction) as error:
        validate_transaction(_proven(contract, inputs=PUBLIC[:32] + b"\xff" * 32), params=node.params)
    assert error.value.reason == "proof_refused:public_input_out_of_range"


def test_a_proof_for_the_native_stake_contract_is_refused_statelessly(deployed):
    node, _ = deployed
    with pytest.raises(InvalidTransaction) as error:
        validate_transaction(_proven(STAKE_CONTRACT), params=node.params)
    assert error.value.reason == "proven_call_to_native_contract"


def test_a_key_missing_from_the_registry_is_unknown_on_a_chain_without_it():
    node, contract = _node_with_prover(with_key=False)
    with node.store.read_view() as view, pytest.raises(InvalidTransaction) as error:
        process_transaction(State(view), _proven(contract), _context(node))
    assert error.value.reason == "unknown_verifying_key"


def _block_with(node: ChainNode, tx: Transaction):
    """A block assembled with a valid proven call, then given ``tx`` in its place and
    re-signed by the generator (a generator that includes what validation refuses)."""
    parent = node.head_header
    with node.store.read_view() as view:
        assembled = assemble_block(
            State(view),
            parent=parent,
            candidates=[_proven(ContractId(tx.data.contract))],  # type: ignore[union-attr]
            params=node.params,
            timestamp=Timestamp(GENESIS_TIME + 2),
            generator_key=AUTHORITY.secret,
        )
    assert len(assembled.block.transactions) == 1
    header = replace(assembled.block.header, tx_root=compute_tx_root((tx,)))
    header = replace(header, signature=bls.Sign(AUTHORITY.secret, bytes(compute_block_hash(header))))
    return replace(assembled.block, header=header, transactions=(tx,)), parent, assembled


def test_a_block_carrying_an_invalid_proven_call_is_rejected(deployed):
    node, contract = deployed
    for label, vk_id, inputs, proof, reason in REFUSED_ATTACHMENTS[:5]:
        block, parent, _ = _block_with(node, _proven(contract, vk_id, inputs, proof))
        with node.store.read_view() as view:
            replica = State(view)
            with pytest.raises(InvalidBlock) as error:
                state_transition(
                    replica,
                    block,
                    parent=parent,
                    params=node.params,
                    now=Timestamp(GENESIS_TIME + 2),
                    entropy=os.urandom(32),
                )
            assert error.value.reason == "invalid_transaction", label
            assert isinstance(error.value.__cause__, InvalidTransaction)
            assert error.value.__cause__.reason == reason, label
            assert replica.pending_writes() == {}


def test_the_block_with_the_valid_proven_call_is_accepted_by_a_replica(deployed):
    node, contract = deployed
    _, parent, assembled = _block_with(node, _proven(contract))
    with node.store.read_view() as view:
        receipts = state_transition(
            State(view),
            assembled.block,
            parent=parent,
            params=node.params,
            now=Timestamp(GENESIS_TIME + 2),
            entropy=os.urandom(32),
        )
    assert receipts == assembled.receipts
    assert receipts[0].events[0].data == bytes(VK_ID) + PUBLIC


def _random_attachment(rng: random.Random) -> bytes:
    """A tag-4 body: a real or random key id, a count that may exceed the bound or disagree
    with the bytes that follow, inputs and a proof from the fixture with random bytes flipped,
    or random bytes; sometimes cut short or extended."""
    vk_id = bytes(VK_ID) if rng.random() < 0.7 else rng.randbytes(32)
    count = rng.choice([0, 1, 2, 2, 2, 3, MAX_PROOF_PUBLIC_INPUTS, MAX_PROOF_PUBLIC_INPUTS + 1, 255])
    if rng.random() < 0.5 and count <= MAX_PROOF_PUBLIC_INPUTS:
        inputs = bytearray((PUBLIC * 8)[: 32 * count])
    else:
        inputs = bytearray(rng.randbytes(32 * min(count, MAX_PROOF_PUBLIC_INPUTS)))
    proof = bytearray(PROOF if rng.random() < 0.7 else rng.randbytes(192))
    for buffer in (inputs, proof):
        for _ in range(rng.choice([0, 0, 1, 2, 5])):
            if buffer:
                buffer[rng.randrange(len(buffer))] ^= 1 << rng.randrange(8)
    body = (
        Writer()
        .u8(TAG_PROVEN_CALL)
        .raw(b"\x07" * 32)
        .var_bytes(b"prove", max_length=64)
        .var_bytes(b"", max_length=64)
        .to_bytes()
        + vk_id
        + bytes([count])
        + bytes(inputs)
        + bytes(proof)
    )
    cut = rng.random()
    if cut < 0.1:
        body = body[: rng.randrange(len(body))]
    elif cut < 0.15:
        body += rng.randbytes(rng.randrange(1, 40))
    return body


def test_fuzz_random_attachments_only_ever_raise_the_typed_errors(deployed):
    node, contract = deployed
    template = encode_transaction(_proven(contract))
    body_length = 1 + 32 + 4 + 5 + 4 + 32 + 1 + 64 + 192
    prefix, signature = template[: -96 - body_length], template[-96:]
    rng = random.Random(17)  # noqa: S311 - seeded test data
    outcomes: dict[str, int] = {}
    with node.store.read_view() as view:
        state = State(view)
        for _ in range(3_000):
            raw = prefix + _random_attachment(rng) + signature
            try:
                tx = decode_transaction(raw)
                validate_transaction(tx, params=node.params, check_signature=False)
                validate_transaction_proof(state, tx)
                outcome = "verified"
            except (DecodeError, InvalidTransaction) as exc:
                outcome = exc.reason
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
        assert state.pending_writes() == {}
    # The mix reached every stage: decoding, the stateless shape check, the registry, the proof.
    for reason in (
        "short_input",
        "out_of_range",
        "trailing_bytes",
        "proof_refused:public_input_out_of_range",
        "unknown_verifying_key",
        "proof_refused:pairing_check_failed",
        "verified",
    ):
        assert outcomes.get(reason, 0) > 0, (reason, outcomes)
