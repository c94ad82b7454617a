"""HTTP+JSON RPC of a node (aiohttp), JSON-RPC 2.0 over ``POST /rpc``; ``GET /status``.

Methods (``params`` → ``result``):

- ``submit_transaction`` ``{"transaction": "0x…"}`` → ``{"tx_id"}``
- ``submit_transactions`` ``{"transactions": ["0x…", …]}`` (≤ 1000) →
  ``{"results": [{"tx_id"} or {"error": {"reason", "message"}}]}``
- ``get_transaction`` ``{"tx_id"}`` → status (``pending``/``included``), height, index,
  block hash, finality, receipt
- ``get_block`` ``{"height"}`` or ``{"hash"}`` → the block with its finality label
- ``get_head`` → height, hash, timestamp, state root, finality
- ``get_account`` ``{"public_key"}`` → ``{"nonce", "balance"}``
- ``get_events`` ``{"after", "limit"}`` (limit ≤ 1000) → ``{"events", "next_cursor"}``
- ``query_contract`` ``{"contract", "fn_name", "args"}`` (hex ids and bytes) → ``{"result"}``:
  a read-only call on the head state (docs/vm-abi.md), no transaction, nothing kept
- ``get_status`` → chain id, head, mempool size
- ``get_note_tree`` → ``{"root", "size", "height", "depth", "arity"}``: the note tree at the head
  (docs/zk.md "Note tree"; ``height`` is the head's)
- ``get_note_opening`` ``{"position"}`` → ``{"position", "leaf", "root", "height", "siblings",
  "digits", "opening"}``: the leaf's Merkle path at the head, hex scalars little-endian;
  ``position_not_found`` (-32000) for a position not in the tree yet
- ``get_licence_tree`` → ``{"root", "size", "height", "depth", "arity", "last_revocation"}``: the
  Citadel licence tree at the head (docs/zk.md "Citadel on chain"; ``last_revocation`` is the
  height of the block of the last revocation or null)
- ``get_licence_opening`` ``{"position"}`` → ``{"position", "leaf", "root", "height", "siblings",
  "digits", "opening", "revoked"}``: as ``get_note_opening`` over the licence tree; a revoked
  position's leaf is 0 (``revoked`` true), and its opening proves nothing about the licence;
  ``position_not_found`` (-32000) for a position not in the tree yet
- ``get_nullifiers`` ``{"nullifiers": ["0x…", …]}`` (1 to 64, 32-byte hex scalars
  little-endian) → ``{"height", "nullifiers": [{"nullifier", "spent", "spent_height"}]}``: which
  are in the nullifier set at the head (docs/zk.md "Nullifier set"), in the order asked;
  ``spent_height`` is the spending block's height or null; ``invalid_nullifier`` (-32602) for a
  value that is not a canonical scalar

Errors: ``{"code", "message", "data": {"reason"}}`` with JSON-RPC codes -32700 (parse),
-32600 (invalid request), -32601 (unknown method), -32602 (invalid params), -32603
(``internal_error``: a bug, logged) and -32000 (rejected, with the stable reason of the
mempool, decoder or lookup; ``verifier_unavailable`` if signatures cannot be checked).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from chain.node.exceptions import MempoolRejected, NodeError, NotFound
from chain.node.jsonview import block_json, event_json, hex0x, receipt_json
from chain.node.node import ChainNode, TxStatus
from chain.node.verify import SignatureVerifier
from chain.state.exceptions import InvalidNullifier, LicencePositionNotFound, NotePositionNotFound
from chain.state.licence_tree import LICENCE_TREE_ARITY, LicenceTree
from chain.state.note_tree import NOTE_TREE_ARITY, NoteTree, encode_opening
from chain.state.nullifiers import NullifierSet, check_nullifier
from chain.state.state import State
from chain.transition.roots import compute_transaction_id
from chain.types.exceptions import ChainTypesError, DecodeError
from chain.types.primitives import BlsPublicKey, ContractId, Hash32, Height, Timestamp
from chain.types.transactions import (
    MAX_FN_ARGS_BYTES,
    MAX_FN_NAME_BYTES,
    compute_signing_bytes,
    decode_transaction,
    encode_transaction,
)

log = logging.getLogger("chain.node.rpc")

MAX_REQUEST_BYTES = 2 * 1024 * 1024
MAX_BATCH = 1000
MAX_EVENTS_PAGE = 1000
#: Nullifiers asked of ``get_nullifiers`` at once (16 Phoenix transactions of 4 inputs).
MAX_NULLIFIERS_PER_REQUEST = 64
#: A JSON-RPC request of this API has a handful of objects and arrays; many more is an attack.
MAX_JSON_CONTAINERS = 64


class InvalidParams(NodeError):
    reason = "invalid_params"


def _param_hex(params: dict[str, Any], name: str) -> bytes:
    value = params.get(name)
    if not isinstance(value, str):
        raise InvalidParams(f"{name} must be a hex string")
    try:
        return bytes.fromhex(value.removeprefix("0x"))
    except ValueError as exc:
        raise InvalidParams(f"{name} is not hex") from exc


def _param_int(
    params: dict[str, Any], name: str, *, default: int | None = None, maximum: int = 2**64 - 1
) -> int:
    value = params.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= maximum:
        raise InvalidParams(f"{name} must be an integer in [0, {maximum}]")
    return value


class RpcServer:
    """Serves one :class:`ChainNode` and drives its block producer every ``block_interval`` s."""

    def __init__(
        self,
        node: ChainNode,
        *,
        block_interval: float,
        clock: Callable[[], float] = time.time,
        verify_workers: int = 1,
    ) -> None:
        self.node = node
        self.verifier = SignatureVerifier(verify_workers)
        self.block_interval = block_interval
        self.clock = clock
        self.methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            "submit_transaction": self.rpc_submit_transaction,
            "submit_transactions": self.rpc_submit_transactions,
            "get_transaction": self.rpc_get_transaction,
            "get_block": self.rpc_get_block,
            "get_head": self.rpc_get_head,
            "get_account": self.rpc_get_account,
            "get_events": self.rpc_get_events,
            "query_contract": self.rpc_query_contract,
            "get_status": self.rpc_get_status,
            "get_note_tree": self.rpc_get_note_tree,
            "get_note_opening": self.rpc_get_note_opening,
            "get_licence_tree": self.rpc_get_licence_tree,
            "get_licence_opening": self.rpc_get_licence_opening,
            "get_nullifiers": self.rpc_get_nullifiers,
            "get_verifying_keys": self.rpc_get_verifying_keys,
        }
        self._producer: asyncio.Task[None] | None = None

    # -- application ------------------------------------------------------------------
    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_post("/rpc", self.handle_rpc)
        app.router.add_get("/status", self.handle_status)
        app.on_startup.append(self._start_producer)
        app.on_cleanup.append(self._stop_producer)
        return app

    async def _start_producer(self, app: web.Application) -> None:
        self._producer = asyncio.create_task(self._produce_forever())

    async def _stop_producer(self, app: web.Application) -> None:
        if self._producer is not None:
            self._producer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._producer
        self.verifier.close()

    async def _produce_forever(self) -> None:
        while True:
            try:
                produced = self.node.produce_block(now=Timestamp(int(self.clock())))
                if produced is not None:
                    log.info(
                        "block %d %s: %d transactions, %d left out",
                        produced.block.header.height,
                        produced.block_hash.hex()[:16],
                        len(produced.block.transactions),
                        len(produced.rejected),
                    )
            except Exception:  # noqa: BLE001 - the producer must outlive one bad round
                log.exception("block production failed; retrying next interval")
            await asyncio.sleep(self.block_interval)

    async def handle_status(self, request: web.Request) -> web.Response:
        return web.json_response(self.rpc_get_status({}))

    async def handle_rpc(self, request: web.Request) -> web.Response:
        try:
            body = await request.read()
            if body.count(b"[") + body.count(b"{") > MAX_JSON_CONTAINERS:
                # Refuse before parsing: deep nesting can exhaust the C stack of the decoder.
                return _error(None, -32700, "too many nested JSON containers", "parse_error")
            call = json.loads(body)
        except web.HTTPRequestEntityTooLarge:
            return _error(None, -32600, "request too large", "request_too_large")
        except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: nested too deep
            return _error(None, -32700, "malformed JSON", "parse_error")
        if (
            not isinstance(call, dict)
            or call.get("jsonrpc") != "2.0"
            or not isinstance(call.get("method"), str)
        ):
            return _error(
                call.get("id") if isinstance(call, dict) else None,
                -32600,
                "not a JSON-RPC 2.0 request",
                "invalid_request",
            )
        call_id = call.get("id")
        method = self.methods.get(call["method"])
        if method is None:
            return _error(call_id, -32601, f"unknown method {call['method']!r}", "unknown_method")
        params = call.get("params", {})
        if not isinstance(params, dict):
            return _error(call_id, -32602, "params must be an object", "invalid_params")
        try:
            result = method(params)
            if isinstance(result, Awaitable):
                result = await result
        except InvalidParams as exc:
            return _error(call_id, -32602, str(exc), exc.reason)
        except NodeError as exc:
            return _error(call_id, -32000, str(exc), exc.reason)
        except ChainTypesError as exc:
            return _error(call_id, -32602, str(exc), exc.reason)
        except Exception:  # noqa: BLE001 - a bug answers a JSON-RPC error, not a bare HTTP 500
            log.exception("RPC method %s failed", call["method"])
            return _error(call_id, -32603, "internal error", "internal_error")
        return web.json_response({"jsonrpc": "2.0", "id": call_id, "result": result})

    # -- methods ---------------------------------------------------------------------
    def rpc_submit_transaction(self, params: dict[str, Any]) -> dict[str, Any]:
        tx_id = self.node.submit_transaction(_param_hex(params, "transaction"), now=self.clock())
        return {"tx_id": hex0x(tx_id)}

    async def rpc_submit_transactions(self, params: dict[str, Any]) -> dict[str, Any]:
        """Admit many transactions; signatures are checked in batches (random linear
        combination) across the verifier's workers, off the event loop, one by one only
        where a batch fails, to name the bad ones."""
        raws = params.get("transactions")
        if not isinstance(raws, list) or not raws or len(raws) > MAX_BATCH:
            raise InvalidParams(f"transactions must be a list of 1 to {MAX_BATCH} hex strings")
        results: list[dict[str, Any]] = [{} for _ in raws]
        decoded = []
        for i, raw in enumerate(raws):
            try:
                tx = decode_transaction(_param_hex({"t": raw}, "t"))
            except (DecodeError, InvalidParams) as exc:
                results[i] = {"error": {"reason": exc.reason, "message": str(exc)}}
                continue
            decoded.append((i, tx))
        triples = [(tx.sender, compute_signing_bytes(tx), tx.signature) for _, tx in decoded]
        verified = await self.verifier.verify(triples)
        now = self.clock()
        for (i, tx), signature_ok in zip(decoded, verified, strict=True):
            try:
                if not signature_ok:
                    raise MempoolRejected(
                        "the signature does not verify for the sender", reason="bad_signature"
                    )
                if self.node.store.get_receipt(compute_transaction_id(tx)) is not None:
                    raise MempoolRejected("transaction already included", reason="already_included")
                results[i] = {"tx_id": hex0x(self.node.mempool.add(tx, now=now, check_signature=False))}
                if self.node.on_transaction_admitted is not None:
                    self.node.on_transaction_admitted(encode_transaction(tx))
            except MempoolRejected as exc:
                results[i] = {"error": {"reason": exc.reason, "message": str(exc)}}
        return {"results": results}

    def rpc_get_transaction(self, params: dict[str, Any]) -> dict[str, Any]:
        tx_id = Hash32(_param_hex(params, "tx_id"))
        status, included = self.node.get_transaction(tx_id)
        if included is None:
            if status is TxStatus.UNKNOWN:
                raise NotFound("unknown transaction")
            return {"tx_id": hex0x(tx_id), "status": status.value}
        return {
            "tx_id": hex0x(tx_id),
            "status": status.value,
            "height": int(included.height),
            "index": included.index,
            "block_hash": hex0x(included.block_hash),
            "finality": included.finality.value,
            "receipt": receipt_json(included.receipt),
        }

    def rpc_get_block(self, params: dict[str, Any]) -> dict[str, Any]:
        if "height" in params:
            block = self.node.get_block(height=Height(_param_int(params, "height")))
        elif "hash" in params:
            block = self.node.get_block(block_hash=Hash32(_param_hex(params, "hash")))
        else:
            raise InvalidParams("give height or hash")
        return block_json(block, finality=self.node.finality_of(block.header.height).value)

    def rpc_get_head(self, params: dict[str, Any]) -> dict[str, Any]:
        header = self.node.head_header
        return {
            "height": int(header.height),
            "hash": hex0x(self.node.head_hash),
            "timestamp": int(header.timestamp),
            "state_root": hex0x(header.state_root),
            "finality": self.node.finality_of(header.height).value,
        }

    def rpc_get_account(self, params: dict[str, Any]) -> dict[str, Any]:
        account = self.node.get_account(BlsPublicKey(_param_hex(params, "public_key")))
        return {"nonce": int(account.nonce), "balance": str(int(account.balance))}

    def rpc_query_contract(self, params: dict[str, Any]) -> dict[str, Any]:
        contract = ContractId(_param_hex(params, "contract"))
        fn_name = params.get("fn_name")
        if not isinstance(fn_name, str) or not 0 < len(fn_name) <= MAX_FN_NAME_BYTES or not fn_name.isascii():
            raise InvalidParams(f"fn_name must be 1 to {MAX_FN_NAME_BYTES} ASCII characters")
        args = _param_hex(params, "args") if "args" in params else b""
        if len(args) > MAX_FN_ARGS_BYTES:
            raise InvalidParams(f"args exceed {MAX_FN_ARGS_BYTES} bytes")
        return {"result": hex0x(self.node.query_contract(contract, fn_name, args))}

    def rpc_get_events(self, params: dict[str, Any]) -> dict[str, Any]:
        after = _param_int(params, "after", default=0)
        limit = _param_int(params, "limit", default=100, maximum=MAX_EVENTS_PAGE)
        events, cursor = self.node.get_events(after=after, limit=limit)
        return {"events": [event_json(seq, record) for seq, record in events], "next_cursor": cursor}

    def rpc_get_verifying_keys(self, params: dict[str, Any]) -> dict[str, Any]:
        """The verification keys of the head state: ``{"keys": [{"vk_id", "public_inputs"}]}``
        ascending by id (docs/zk.md, "Verification in the chain")."""
        keys = self.node.get_verifying_keys()
        return {"keys": [{"vk_id": hex0x(vk_id), "public_inputs": count} for vk_id, count in keys]}

    def rpc_get_status(self, params: dict[str, Any]) -> dict[str, Any]:
        """The node's chain, head and liveness. Under consensus, ``final_height``,
        ``final_age_seconds``, ``best_peer_height``, ``behind``, ``syncing`` and ``producing``
        come from ``ConsensusRunner.liveness``; a single authority is Final at its head, has
        no peers, and produces when it holds a generator key."""
        head_height = int(self.node.head_header.height)
        liveness: dict[str, object] = {
            "final_height": head_height,
            "final_age_seconds": round(max(0.0, self.clock() - float(self.node.head_header.timestamp)), 3),
            "best_peer_height": head_height,
            "behind": 0,
            "syncing": False,
            "producing": self.node.generator is not None,
        }
        if self.node.liveness is not None:
            liveness = self.node.liveness()
        return {
            "chain_id": int(self.node.params.chain_id),
            "head_height": head_height,
            "head_hash": hex0x(self.node.head_hash),
            "head_timestamp": int(self.node.head_header.timestamp),
            "mempool_size": len(self.node.mempool),
            **liveness,
            "finality_rule": "single_authority" if self.node.consensus_status is None else "rolling",
            "consensus": None if self.node.consensus_status is None else self.node.consensus_status(),
            "genesis_contracts": self.node.genesis_contracts,
        }

    # -- the note tree (docs/zk.md "Note tree") -------------------------------------------
    def rpc_get_note_tree(self, params: dict[str, Any]) -> dict[str, Any]:
        """Root (hex, 32 bytes little-endian), size and the head height it was read at."""
        with self.node.store.read_view() as view:
            tree = NoteTree(State(view))
            return {
                "root": hex0x(tree.root()),
                "size": tree.size(),
                "height": int(self.node.head_header.height),
                "depth": tree.depth,
                "arity": NOTE_TREE_ARITY,
            }

    def rpc_get_note_opening(self, params: dict[str, Any]) -> dict[str, Any]:
        """The opening of the leaf at ``position`` against the head's root: per level from the
        leaf up, 3 siblings (hex) and the position's base-4 digit; ``opening`` is the same as
        bytes (``encode_opening``). ``position_not_found`` if the tree is not that large."""
        return self._opening(NoteTree, NotePositionNotFound, _param_int(params, "position"))

    def _opening(
        self, tree_type: type[NoteTree] | type[LicenceTree], missing: type[Exception], position: int
    ) -> dict[str, Any]:
        """The opening of ``position`` in the head state's tree of ``tree_type`` (the shape of
        :meth:`rpc_get_note_opening`); ``missing`` is that tree's position-not-found error."""
        with self.node.store.read_view() as view:
            tree = tree_type(State(view))
            try:
                opening = tree.opening(position)
            except missing as exc:
                raise NotFound(str(exc), reason="position_not_found") from exc
            root = tree.root()
        return {
            "position": position,
            "leaf": hex0x(opening.leaf.to_bytes(32, "little")),
            "root": hex0x(root),
            "height": int(self.node.head_header.height),
            "siblings": [[hex0x(s.to_bytes(32, "little")) for s in level] for level in opening.siblings],
            "digits": list(opening.digits),
            "opening": hex0x(encode_opening(opening)),
        }

    # -- the Citadel licence tree (docs/zk.md "Citadel on chain") --------------------------
    def rpc_get_licence_tree(self, params: dict[str, Any]) -> dict[str, Any]:
        """Root (hex, 32 bytes little-endian), size, depth, the head height it was read at and
        the height of the last revocation (roots that ended an earlier block are no longer
        accepted by ``use_licence``; ``chain.state.licence_tree``)."""
        with self.node.store.read_view() as view:
            tree = LicenceTree(State(view))
            return {
                "root": hex0x(tree.root()),
                "size": tree.size(),
                "height": int(self.node.head_header.height),
                "depth": tree.depth,
                "arity": LICENCE_TREE_ARITY,
                "last_revocation": tree.last_revocation(),
            }

    def rpc_get_licence_opening(self, params: dict[str, Any]) -> dict[str, Any]:
        """The opening of the licence leaf at ``position`` against the head's root, in
        :meth:`rpc_get_note_opening`'s shape, and whether the position was revoked (its leaf
        is 0). ``position_not_found`` if the tree is not that large."""
        answer = self._opening(LicenceTree, LicencePositionNotFound, _param_int(params, "position"))
        return {**answer, "revoked": int(answer["leaf"], 16) == 0}

    # -- the nullifier set (docs/zk.md "Nullifier set") -----------------------------------
    def rpc_get_nullifiers(self, params: dict[str, Any]) -> dict[str, Any]:
        """Whether each of ``nullifiers`` (1 to ``MAX_NULLIFIERS_PER_REQUEST`` hex strings, 32
        bytes, canonical scalars little-endian) is spent at the head, and in which block.
        ``invalid_params`` for a malformed list, ``invalid_nullifier`` for a value that is not
        32 bytes of hex or not below r (never reduced)."""
        values = params.get("nullifiers")
        if not isinstance(values, list) or not 1 <= len(values) <= MAX_NULLIFIERS_PER_REQUEST:
            raise InvalidParams(f"nullifiers must be a list of 1 to {MAX_NULLIFIERS_PER_REQUEST} hex strings")
        nullifiers = []
        for index, value in enumerate(values):
            try:
                raw = bytes.fromhex(value.removeprefix("0x")) if isinstance(value, str) else None
            except ValueError:
                raw = None
            if raw is None:
                raise InvalidParams(f"nullifiers[{index}] is not a hex string", reason="invalid_nullifier")
            try:
                nullifiers.append(check_nullifier(raw))
            except InvalidNullifier as exc:
                raise InvalidParams(
                    f"nullifiers[{index}] is not a canonical 32-byte scalar ({exc.reason}): {exc}",
                    reason="invalid_nullifier",
                ) from exc
        with self.node.store.read_view() as view:
            spent_set = NullifierSet(State(view))
            heights = [spent_set.spent_height(n) for n in nullifiers]
            head = int(self.node.head_header.height)
        return {
            "height": head,
            "nullifiers": [
                {"nullifier": hex0x(n), "spent": h is not None, "spent_height": h}
                for n, h in zip(nullifiers, heights, strict=True)
            ],
        }


def _error(call_id: Any, code: int, message: str, reason: str) -> web.Response:
    body = {
        "jsonrpc": "2.0",
        "id": call_id,
        "error": {"code": code, "message": message, "data": {"reason": reason}},
    }
    return web.json_response(body, status=200)
