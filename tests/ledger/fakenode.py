"""An in-process stand-in for a node's JSON-RPC API (chain/node/rpc.py), served on 127.0.0.1,
whose blocks, finality, reverts and receipts a test scripts, so that the real outbox and the
DvP batch service drive a batch through states a devnet cannot be made to reach on demand.

It decodes and keeps every submitted transaction (the real codec: a resubmission of the same
bytes is the same transaction), includes the pending ones when the test calls
:meth:`FakeNode.produce`, with receipts from :attr:`FakeNode.scripts` (by function name;
defaults model the DvP contract's events: ``created`` (id ‖ the arguments), ``affirmed``,
``settled`` per instruction), and answers ``get_transaction`` as a node does (``pending``,
``included`` with height, index, finality and receipt, ``not_found``). ``query_contract``
answers with :attr:`FakeNode.queries`; ``get_account`` with the sender's highest included nonce.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from chain.node.client import contract_abi
from chain.transition.roots import compute_transaction_id
from chain.types.transactions import Call, decode_transaction

Event = tuple[str, bytes]


@dataclass
class Receipt:
    status: str = "success"
    """``success`` or ``failure`` (a panic: the call's effects are reverted)."""
    error: str | None = None
    events: list[Event] = field(default_factory=list)


@dataclass
class Tx:
    """A transaction the node knows."""

    tx_id: str
    raw: bytes
    sender: bytes
    """The sender's 49-byte account Address."""
    nonce: int
    contract: str
    fn_name: str
    fn_args: bytes
    status: str = "pending"
    height: int | None = None
    index: int | None = None
    finality: str | None = None
    receipt: Receipt | None = None
    instruction: int | None = None
    """The DvP instruction id a ``create`` got (kept across a revert and re-inclusion)."""


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "little")


class FakeNode:
    def __init__(self, genesis: dict[str, str], queries: Callable[[str, str, bytes], bytes]) -> None:
        self.genesis = genesis
        self.queries = queries
        self.transactions: dict[str, Tx] = {}
        self.submitted: list[str] = []
        """The id of every accepted submission, in order (a resubmission appears again)."""
        self.height = 0
        self.instructions: dict[int, list[contract_abi.Leg]] = {}
        self.scripts: dict[str, Callable[[Tx], Receipt]] = {
            "create": self.dvp_create,
            "affirm": self.dvp_affirm,
            "settle_batch": self.dvp_settle_batch,
        }
        self.lock = threading.Lock()
        node = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with node.lock:
                    try:
                        reply = {"result": node.answer(request["method"], request.get("params") or {})}
                    except NodeRefusal as refusal:
                        reply = {
                            "error": {
                                "code": -32000,
                                "message": refusal.reason,
                                "data": {"reason": refusal.reason},
                            }
                        }
                body = json.dumps({"jsonrpc": "2.0", "id": request["id"], **reply}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    # -- the RPC methods ----------------------------------------------------------------------
    def answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "get_status":
            return {
                "chain_id": 71,
                "head_height": self.height,
                "head_hash": "0x" + "ab" * 32,
                "head_timestamp": 1_800_000_000,
                "mempool_size": sum(t.status == "pending" for t in self.transactions.values()),
                "finality_rule": "single_authority",
                "genesis_contracts": self.genesis,
            }
        if method == "get_head":
            return {
                "height": self.height,
                "hash": "0x01",
                "timestamp": 5,
                "state_root": "0x02",
                "finality": "Final",
            }
        if method == "submit_transaction":
            return {"tx_id": self.submit(bytes.fromhex(params["transaction"][2:]))}
        if method == "get_transaction":
            return self.transaction(params["tx_id"])
        if method == "get_account":
            key = bytes.fromhex(params["public_key"][2:])
            nonces = [
                t.nonce for t in self.transactions.values() if t.sender[1:] == key and t.status == "included"
            ]
            return {"nonce": max(nonces, default=0), "balance": str(10**18)}
        if method == "query_contract":
            args = bytes.fromhex(params["args"][2:])
            return {"result": "0x" + self.queries(params["contract"], params["fn_name"], args).hex()}
        raise NodeRefusal("unknown_method")

    def submit(self, raw: bytes) -> str:
        tx = decode_transaction(raw)
        tx_id = "0x" + compute_transaction_id(tx).hex()
        known = self.transactions.get(tx_id)
        if known is not None and known.status == "included":
            raise NodeRefusal("already_included")
        if known is None:
            assert isinstance(tx.data, Call)
            self.transactions[tx_id] = Tx(
                tx_id=tx_id,
                raw=raw,
                sender=contract_abi.account_address(bytes(tx.sender)),
                nonce=int(tx.nonce),
                contract="0x" + bytes(tx.data.contract).hex(),
                fn_name=tx.data.fn_name,
                fn_args=bytes(tx.data.fn_args),
            )
        self.submitted.append(tx_id)
        return tx_id

    def transaction(self, tx_id: str) -> dict[str, Any]:
        tx = self.transactions.get(tx_id)
        if tx is None:
            raise NodeRefusal("not_found")
        if tx.status == "pending" or tx.receipt is None:
            return {"tx_id": tx_id, "status": "pending"}
        return {
            "tx_id": tx_id,
            "status": "included",
            "height": tx.height,
            "index": tx.index,
            "block_hash": "0x" + "cd" * 32,
            "finality": tx.finality,
            "receipt": {
                "tx_id": tx_id,
                "status": tx.receipt.status,
                "gas_spent": "1000",
                "fee_paid": "1000",
                "error": tx.receipt.error,
                "events": [
                    {"source": self.genesis["dvp"], "topic": topic, "data": "0x" + data.hex()}
                    for topic, data in tx.receipt.events
                ],
            },
        }

    # -- what the test does -------------------------------------------------------------------
    def produce(self, *, final: bool = True, only: Callable[[Tx], bool] | None = None) -> list[Tx]:
        """Include every pending transaction (or those ``only`` picks), in nonce order per
        sender, in a new block at the next height, Final (``final``) or only Accepted; returns
        them."""
        with self.lock:
            pending = sorted(
                (
                    t
                    for t in self.transactions.values()
                    if t.status == "pending" and (only is None or only(t))
                ),
                key=lambda t: (t.sender, t.nonce),
            )
            if not pending:
                return []
            self.height += 1
            for index, tx in enumerate(pending):
                tx.status, tx.height, tx.index = "included", self.height, index
                tx.finality = "Final" if final else "Accepted"
                tx.receipt = self.scripts.get(tx.fn_name, lambda _: Receipt())(tx)
            return pending

    def finalize(self) -> None:
        with self.lock:
            for tx in self.transactions.values():
                if tx.status == "included":
                    tx.finality = "Final"

    def revert(self, tx: Tx) -> None:
        """Roll ``tx``'s block back: it is pending again (rolling finality, reference §1.7)."""
        with self.lock:
            tx.status, tx.height, tx.index, tx.finality, tx.receipt = "pending", None, None, None, None

    def forget(self, tx: Tx) -> None:
        """The node drops ``tx`` from its mempool: it answers ``not_found`` until resubmitted."""
        with self.lock:
            del self.transactions[tx.tx_id]

    def included(self, fn_name: str) -> list[Tx]:
        return [t for t in self.transactions.values() if t.fn_name == fn_name and t.status == "included"]

    # -- the DvP contract's events ------------------------------------------------------------
    def dvp_create(self, tx: Tx) -> Receipt:
        if tx.instruction is None:
            tx.instruction = len(self.instructions) + 1
            self.instructions[tx.instruction] = list(
                contract_abi.decode_dvp_created(_u64(tx.instruction) + tx.fn_args).legs
            )
        return Receipt(events=[("created", _u64(tx.instruction) + tx.fn_args)])

    def dvp_affirm(self, tx: Tx) -> Receipt:
        return Receipt(events=[("affirmed", tx.fn_args + tx.sender)])

    def dvp_settle_batch(self, tx: Tx) -> Receipt:
        ids = [int.from_bytes(tx.fn_args[1 + 8 * i : 9 + 8 * i], "little") for i in range(tx.fn_args[0])]
        return Receipt(events=[("settled", _u64(i)) for i in ids])

    def settle_failed(self, instruction: int, leg: int, code: contract_abi.TransferCode) -> Receipt:
        return Receipt(events=[("settle_failed", _u64(instruction) + bytes([leg, code]))])


class NodeRefusal(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@contextlib.contextmanager
def fake_node(genesis: dict[str, str], queries: Callable[[str, str, bytes], bytes]) -> Iterator[FakeNode]:
    node = FakeNode(genesis, queries)
    thread = threading.Thread(target=node.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield node
    finally:
        node.server.shutdown()
        node.server.server_close()
