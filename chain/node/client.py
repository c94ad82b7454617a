"""The typed client of a node's RPC API: the only module of ``chain`` that Django and Celery
import (DESIGN.md, Layout).

``NodeClient`` talks JSON-RPC 2.0 to one or more node URLs with a timeout per call,
retries with exponential backoff on transport errors and HTTP 5xx (failing over to the
next URL, which then stays in use), and never retries a request the node answered with an
error: those raise :class:`RpcError` with the node's stable ``reason``. A malformed reply
raises ``RpcError`` (``bad_response``); no other exception comes out of a call. Submitting is
safe to retry: a transaction's id is its content hash, and resubmitting a waiting one returns
the same id.

With more than one URL it also skips a node that answers but is behind, so that submissions
and reads go to a current node: before a call, at most once per ``status_ttl`` seconds, it
asks the node in use for its ``get_status`` and, if that node is syncing, more than
``max_behind`` blocks behind its best peer, or (rolling finality) not producing
(:func:`lagging`), moves to the next URL that is not; if none is, to the answering one with
the highest head. Status fields an older node does not send count as fine.

It also builds and signs Moonlight transfers, contract calls, proven calls (a call carrying
a Groth16 proof, docs/zk.md "Verification in the chain") and deployments, and re-exports
the genesis contracts' layouts (:mod:`chain.node.contract_abi`, docs/contracts.md) and the
Phoenix wallet's byte-level helpers (:mod:`chain.node.phoenix_wallet`), so that
callers need no other chain module. Secret keys passed in are used to sign and are never
logged or returned.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from chain.crypto import bls12_381 as bls
from chain.crypto import groth16, poseidon_merkle
from chain.crypto.exceptions import CryptoError, ProofRefused
from chain.crypto.groth16 import VerifyingKey, decode_public_inputs, decode_verifying_key
from chain.node import citadel_wallet, contract_abi, phoenix_wallet
from chain.node.exceptions import RpcError
from chain.transition.params import MIN_DEPLOY_GAS_PRICE
from chain.transition.roots import compute_transaction_id
from chain.types.consensus import INFINITY_SIGNATURE
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import (
    U64,
    BlsPublicKey,
    BlsSecretKey,
    ChainId,
    ContractId,
    Gas,
    Hash32,
    Lux,
    Nonce,
)
from chain.types.transactions import (
    Call,
    Deploy,
    Fee,
    Memo,
    ProvenCall,
    Transaction,
    TransactionData,
    compute_signing_bytes,
    encode_transaction,
)
from chain.vm.ids import compute_contract_id

__all__ = [
    "ProofRefused",
    "VerifyingKey",
    "decode_public_inputs",
    "decode_verifying_key",
    "verify_groth16_proof",
    "MIN_DEPLOY_GAS_PRICE",
    "AccountInfo",
    "ChainEvent",
    "ChainTypesError",
    "EventPage",
    "Head",
    "NodeClient",
    "LicenceOpeningInfo",
    "LicenceTreeInfo",
    "NullifierInfo",
    "RpcError",
    "TransactionInfo",
    "TransactionMemo",
    "VerifyingKeyInfo",
    "citadel_wallet",
    "contract_abi",
    "phoenix_wallet",
    "generate_keypair",
    "get_contract_id",
    "get_vk_id",
    "proof_attachment_from_snarkjs",
    "lagging",
    "public_key_of",
    "sign_contract_call",
    "sign_contract_deploy",
    "sign_proven_call",
    "sign_transfer",
    "validate_transfer",
]


#: Holdings asked of a token's ``holders_at`` at a time (a page holds at most 1,149).
HOLDERS_PAGE = 1_000


class _Retryable(Exception):
    """A transport failure or HTTP 5xx: worth another attempt."""


@dataclass(frozen=True, slots=True)
class Head:
    height: int
    hash: str
    timestamp: int
    state_root: str
    finality: str


@dataclass(frozen=True, slots=True)
class AccountInfo:
    nonce: int
    balance: int
    """Lux."""


@dataclass(frozen=True, slots=True)
class TransactionInfo:
    tx_id: str
    status: str
    """``pending`` or ``included``."""
    height: int | None = None
    finality: str | None = None
    receipt: dict[str, Any] | None = None
    index: int | None = None
    """The transaction's 0-based position in its block once included: with ``height`` it
    orders two transactions of one block (reference §2.4)."""


@dataclass(frozen=True, slots=True)
class TransactionMemo:
    """An included transaction's memo as its block shows it (reference §2.4)."""

    memo: bytes | None
    """``None`` if the transaction carries no memo."""
    transaction: dict[str, Any]
    """The transaction's JSON in the block."""
    finality: str
    """The block's label (``Accepted`` … ``Final``)."""


@dataclass(frozen=True, slots=True)
class ChainEvent:
    sequence: int
    height: int
    tx_index: int
    tx_id: str
    source: str
    topic: str
    data: str


@dataclass(frozen=True, slots=True)
class VerifyingKeyInfo:
    """A Groth16 verification key registered in the chain state."""

    vk_id: str
    """0x hex, 32 bytes: BLAKE2b-256(domain ‖ key bytes) (:func:`get_vk_id`)."""
    public_inputs: int
    """How many public inputs a proof for the key has."""


@dataclass(frozen=True, slots=True)
class EventPage:
    events: list[ChainEvent]
    next_cursor: int


@dataclass(frozen=True, slots=True)
class NoteTreeInfo:
    """The note tree at a node's head (docs/zk.md "Note tree")."""

    root: str
    """0x hex, 32 bytes: the root as a BLS12-381 scalar, little-endian."""
    size: int
    """Leaves appended so far (the next position)."""
    height: int
    """The head height the tree was read at."""
    depth: int
    arity: int


@dataclass(frozen=True, slots=True)
class NoteOpeningInfo:
    """A leaf's Merkle path as a node served it; check it with :func:`verify_note_opening`."""

    position: int
    leaf: str
    """0x hex, 32 bytes."""
    root: str
    """The root the path leads to (the head's), 0x hex."""
    height: int
    opening: poseidon_merkle.NoteOpening
    """Per level from the leaf up: 3 siblings and the position's base-4 digit."""


@dataclass(frozen=True, slots=True)
class LicenceTreeInfo:
    """The Citadel licence tree at a node's head (docs/zk.md "Citadel on chain")."""

    root: str
    """0x hex, 32 bytes: the root as a BLS12-381 scalar, little-endian."""
    size: int
    """Licences issued so far (the next position), revoked ones included."""
    height: int
    """The head height the tree was read at."""
    depth: int
    arity: int
    last_revocation: int | None
    """The height of the block of the last revocation (``None``: never): ``use_licence``
    accepts only roots that ended this block or a later one."""


@dataclass(frozen=True, slots=True)
class LicenceOpeningInfo:
    """A licence leaf's Merkle path as a node served it (check it with
    :func:`verify_note_opening`: the same Merkle4 Poseidon definition, depth 17). ``revoked``:
    the leaf is 0, so no licence opens there any more."""

    position: int
    leaf: str
    """0x hex, 32 bytes."""
    root: str
    """The root the path leads to (the head's), 0x hex."""
    height: int
    opening: poseidon_merkle.NoteOpening
    revoked: bool


@dataclass(frozen=True, slots=True)
class NullifierInfo:
    """Whether a nullifier is in the chain's nullifier set at a node's head (docs/zk.md
    "Nullifier set"): a spent one cannot be spent again."""

    nullifier: str
    """0x hex, 32 bytes: a BLS12-381 scalar, little-endian."""
    spent: bool
    spent_height: int | None
    """The height of the block that spent it; ``None`` if unspent."""
    height: int
    """The head height the set was read at."""


def verify_note_opening(root: str, leaf: str, position: int, opening: poseidon_merkle.NoteOpening) -> bool:
    """Whether ``opening`` proves ``leaf`` (0x hex, 32 bytes) at ``position`` under ``root`` (0x
    hex): Dusk's Merkle4 Poseidon path, depth 17 (:func:`chain.crypto.poseidon_merkle.verify_opening`).
    Never raises; malformed input is False. Check ``root`` against a root you trust (e.g.
    ``get_note_tree`` of a node you trust, or the root a proof names)."""
    try:
        root_bytes = bytes.fromhex(root.removeprefix("0x"))
        leaf_bytes = bytes.fromhex(leaf.removeprefix("0x"))
    except (AttributeError, ValueError):
        return False
    return poseidon_merkle.verify_opening(root_bytes, leaf_bytes, position, opening)


class NodeClient:
    """A client of ``urls``: one at a time, the next when a call must be retried or when the
    one in use is behind (``lagging``; checked at most every ``status_ttl`` seconds, only with
    more than one URL). ``timeout`` is seconds per HTTP request; ``max_behind`` the blocks a
    node may trail its best peer."""

    def __init__(
        self,
        urls: Sequence[str],
        *,
        timeout: float = 5.0,
        attempts: int = 3,
        max_behind: int = 5,
        status_ttl: float = 2.0,
    ) -> None:
        if not urls:
            raise RpcError("no node URL configured", reason="not_configured")
        self.urls = [u.rstrip("/") for u in urls]
        self._current = 0
        """Index of the URL in use; it moves on when a call needs a retry or it is behind."""
        self._http = httpx.Client(timeout=timeout)
        self._ids = itertools.count(1)
        self._attempts = attempts
        self._max_behind = max_behind
        self._status_ttl = status_ttl
        self._checked_at: float | None = None
        """``time.monotonic()`` of the last choice of a current node."""

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NodeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The URL in use."""
        return self.urls[self._current]

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """One RPC call; raises ``RpcError`` (``reason`` from the node, or ``unreachable``)."""
        self._use_a_current_node()

        @retry(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=0.1, max=2.0),
            reraise=True,
        )
        def attempt() -> Any:
            url = self.urls[self._current]
            try:
                return self._post(url, method, params)
            except _Retryable:
                self._fail_over()
                raise

        try:
            return attempt()
        except _Retryable as exc:
            raise RpcError(f"no node answered: {exc}", reason="unreachable") from exc

    def _post(self, url: str, method: str, params: dict[str, Any] | None) -> Any:
        """One request to ``url``: its result, ``RpcError``, or ``_Retryable``."""
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params or {}}
        try:
            response = self._http.post(f"{url}/rpc", json=body)
        except httpx.TransportError as exc:
            raise _Retryable(f"{url}: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise _Retryable(f"{url}: HTTP {response.status_code}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise RpcError(f"{url}: the node sent no JSON", reason="bad_response") from exc
        return _result_of(url, payload)

    def _fail_over(self) -> None:
        self._current = (self._current + 1) % len(self.urls)
        self._checked_at = None  # the next call checks that this node is current

    def _status_of(self, url: str) -> dict[str, Any] | None:
        """``get_status`` of ``url`` in one attempt, or ``None`` if it does not answer well."""
        try:
            status = self._post(url, "get_status", None)
        except (_Retryable, RpcError):
            return None
        return status if isinstance(status, dict) else None

    def _use_a_current_node(self) -> None:
        """With several URLs, at most once per ``status_ttl``: keep the node in use if it is
        not ``lagging``, else move to the next one (in ``urls`` order) that is not; if none is,
        to the answering one with the highest head; if none answers, stay (the call's own
        failover handles it)."""
        now = time.monotonic()
        if len(self.urls) == 1 or (
            self._checked_at is not None and now - self._checked_at < self._status_ttl
        ):
            return
        self._checked_at = now
        n = len(self.urls)
        heights: dict[int, int] = {}
        for step in range(n):
            index = (self._current + step) % n
            status = self._status_of(self.urls[index])
            if status is None:
                continue
            if lagging(status, max_behind=self._max_behind) is None:
                self._current = index
                return
            height = status.get("head_height")
            if isinstance(height, int):
                heights[index] = height
        if heights:
            self._current = max(heights, key=lambda i: (heights[i], -((i - self._current) % n)))

    # -- typed methods -------------------------------------------------------------------
    def get_head(self) -> Head:
        r = self.call("get_head")
        with _well_formed("get_head"):
            return Head(r["height"], r["hash"], r["timestamp"], r["state_root"], r["finality"])

    def get_status(self) -> dict[str, Any]:
        result = self.call("get_status")
        with _well_formed("get_status"):
            return dict(result)

    def get_genesis_contracts(self) -> dict[str, str]:
        """Name → id (0x hex) of the contracts deployed in the genesis state (``cash_token``,
        ``identity_registry``, ``dvp`` on a devnet; docs/contracts.md)."""
        status = self.get_status()
        with _well_formed("get_status"):
            contracts = status["genesis_contracts"]
            return {str(name): str(contract_id) for name, contract_id in contracts.items()}

    def get_account(self, public_key: str) -> AccountInfo:
        r = self.call("get_account", {"public_key": public_key})
        with _well_formed("get_account"):
            return AccountInfo(int(r["nonce"]), int(r["balance"]))

    def query_contract(self, contract: str, fn_name: str, args: bytes = b"") -> bytes:
        """A read-only contract call on the node's head state (no transaction, no fee)."""
        result = self.call(
            "query_contract", {"contract": contract, "fn_name": fn_name, "args": "0x" + args.hex()}
        )
        with _well_formed("query_contract"):
            return bytes.fromhex(str(result["result"]).removeprefix("0x"))

    def get_verifying_keys(self) -> list[VerifyingKeyInfo]:
        """The verification keys registered in the head state, ascending by id."""
        result = self.call("get_verifying_keys")
        with _well_formed("get_verifying_keys"):
            return [VerifyingKeyInfo(str(k["vk_id"]), int(k["public_inputs"])) for k in result["keys"]]

    def get_block(self, *, height: int | None = None, block_hash: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"height": height} if height is not None else {"hash": block_hash}
        result = self.call("get_block", params)
        with _well_formed("get_block"):
            return dict(result)

    def submit_transaction(self, raw: bytes) -> str:
        result = self.call("submit_transaction", {"transaction": "0x" + raw.hex()})
        with _well_formed("submit_transaction"):
            return str(result["tx_id"])

    def submit_transactions(self, raws: Sequence[bytes]) -> list[dict[str, Any]]:
        result = self.call("submit_transactions", {"transactions": ["0x" + r.hex() for r in raws]})
        with _well_formed("submit_transactions"):
            return list(result["results"])

    def get_transaction(self, tx_id: str) -> TransactionInfo:
        r = self.call("get_transaction", {"tx_id": tx_id})
        with _well_formed("get_transaction"):
            return TransactionInfo(
                r["tx_id"], r["status"], r.get("height"), r.get("finality"), r.get("receipt"), r.get("index")
            )

    def get_transaction_memo(self, tx_id: str) -> TransactionMemo | None:
        """The memo of transaction ``tx_id`` read from its block (``memo`` ``None`` if it
        carries none, or if the block does not list it), or ``None`` while it is in no block.
        Raises ``RpcError`` (``not_found``) for a transaction no node knows."""
        info = self.get_transaction(tx_id)
        if info.height is None:
            return None
        block = self.get_block(height=info.height)
        with _well_formed("get_block"):
            tx: dict[str, Any] = next((t for t in block["transactions"] if t.get("tx_id") == tx_id), {})
            data = tx.get("data") or {}
            memo = bytes.fromhex(str(data["memo"]).removeprefix("0x")) if data.get("type") == "memo" else None
            return TransactionMemo(memo, tx, str(block.get("finality")))

    def get_holders_at(self, contract: str, checkpoint: int) -> list[contract_abi.Holding]:
        """Every non-zero holding of security token ``contract`` at ``checkpoint`` (0: now),
        in the token's stable order, read with its ``holders_at`` a page of
        ``HOLDERS_PAGE`` at a time (docs/contracts.md). Raises ``RpcError`` or ``AbiError``."""
        holdings: list[contract_abi.Holding] = []
        while True:
            args = checkpoint.to_bytes(4, "little") + len(holdings).to_bytes(4, "little")
            page = contract_abi.decode_holdings(
                self.query_contract(contract, "holders_at", args + HOLDERS_PAGE.to_bytes(2, "little"))
            )
            holdings += page
            if len(page) < HOLDERS_PAGE:
                return holdings

    def get_note_tree(self) -> NoteTreeInfo:
        """The note tree's root, size and depth at the node's head."""
        r = self.call("get_note_tree")
        with _well_formed("get_note_tree"):
            return NoteTreeInfo(
                str(r["root"]), int(r["size"]), int(r["height"]), int(r["depth"]), int(r["arity"])
            )

    def get_note_opening(self, position: int) -> NoteOpeningInfo:
        """The Merkle path of the leaf at ``position`` against the head's root. Raises
        ``RpcError`` ``position_not_found`` if the tree does not hold it yet, ``bad_response``
        if the reply does not decode or its parts disagree."""
        r = self.call("get_note_opening", {"position": position})
        with _well_formed("get_note_opening"):
            try:
                opening = poseidon_merkle.decode_opening(bytes.fromhex(str(r["opening"]).removeprefix("0x")))
            except CryptoError as exc:
                raise ValueError(f"opening: {exc}") from exc
            leaf = str(r["leaf"])
            if (
                int(r["position"]) != position
                or opening.leaf.to_bytes(32, "little") != bytes.fromhex(leaf.removeprefix("0x"))
                or list(opening.digits) != list(r["digits"])
            ):
                raise ValueError("the opening's parts disagree")
            return NoteOpeningInfo(position, leaf, str(r["root"]), int(r["height"]), opening)

    def get_licence_tree(self) -> LicenceTreeInfo:
        """The Citadel licence tree's root, size, depth and last revocation at the node's head
        (RPC ``get_licence_tree``). Raises ``RpcError`` (``bad_response`` for a malformed reply)."""
        r = self.call("get_licence_tree")
        with _well_formed("get_licence_tree"):
            last = r["last_revocation"]
            return LicenceTreeInfo(
                str(r["root"]),
                int(r["size"]),
                int(r["height"]),
                int(r["depth"]),
                int(r["arity"]),
                None if last is None else int(last),
            )

    def get_licence_opening(self, position: int) -> LicenceOpeningInfo:
        """The Merkle path of the licence leaf at ``position`` against the head's root (RPC
        ``get_licence_opening``), what a wallet needs to prove ``citadel_license``. Raises
        ``RpcError`` ``position_not_found`` if the tree does not hold it yet, ``bad_response``
        if the reply does not decode or its parts disagree."""
        r = self.call("get_licence_opening", {"position": position})
        with _well_formed("get_licence_opening"):
            try:
                opening = poseidon_merkle.decode_opening(bytes.fromhex(str(r["opening"]).removeprefix("0x")))
            except CryptoError as exc:
                raise ValueError(f"opening: {exc}") from exc
            leaf = str(r["leaf"])
            revoked = r["revoked"]
            if (
                int(r["position"]) != position
                or opening.leaf.to_bytes(32, "little") != bytes.fromhex(leaf.removeprefix("0x"))
                or list(opening.digits) != list(r["digits"])
                or not isinstance(revoked, bool)
                or revoked != (opening.leaf == 0)
            ):
                raise ValueError("the opening's parts disagree")
            return LicenceOpeningInfo(position, leaf, str(r["root"]), int(r["height"]), opening, revoked)

    def nullifiers_spent(self, nullifiers: Sequence[str]) -> list[NullifierInfo]:
        """Which of ``nullifiers`` (0x hex, 32 bytes each, 1 to 64) are spent at the node's
        head, in the order given. Raises ``RpcError`` ``invalid_nullifier`` for a value that
        is not a canonical scalar, ``invalid_params`` for a bad count, ``bad_response`` if the
        reply does not answer the nullifiers asked."""
        asked = list(nullifiers)
        r = self.call("get_nullifiers", {"nullifiers": asked})
        with _well_formed("get_nullifiers"):
            height = int(r["height"])
            items = list(r["nullifiers"])
            if len(items) != len(asked):
                raise ValueError("the reply does not answer every nullifier")
            answers = []
            for wanted, item in zip(asked, items, strict=True):
                got = str(item["nullifier"])
                if bytes.fromhex(got.removeprefix("0x")) != bytes.fromhex(wanted.removeprefix("0x")):
                    raise ValueError("the reply answers other nullifiers")
                spent = item["spent"]
                spent_height = item["spent_height"]
                if not isinstance(spent, bool) or spent != (spent_height is not None):
                    raise ValueError("spent and spent_height disagree")
                answers.append(
                    NullifierInfo(got, spent, None if spent_height is None else int(spent_height), height)
                )
            return answers

    def get_events(self, *, after: int, limit: int = 100) -> EventPage:
        r = self.call("get_events", {"after": after, "limit": limit})
        with _well_formed("get_events"):
            return EventPage([ChainEvent(**e) for e in r["events"]], int(r["next_cursor"]))


def lagging(status: dict[str, Any], *, max_behind: int) -> str | None:
    """Why a node with this ``get_status`` result should not be used, or ``None``: it is
    ``syncing``, more than ``max_behind`` blocks ``behind`` its best peer, or a rolling-finality
    node that is not ``producing``. A field an older node does not send counts as fine."""
    if status.get("syncing") is True:
        return "syncing"
    behind = status.get("behind")
    if isinstance(behind, int) and behind > max_behind:
        return f"{behind} blocks behind"
    if status.get("finality_rule") == "rolling" and status.get("producing") is False:
        return "not producing"
    return None


def _result_of(url: str, payload: Any) -> Any:
    """The ``result`` of a JSON-RPC reply; ``RpcError`` with the node's reason for an
    error reply, ``bad_response`` for anything malformed."""
    if not isinstance(payload, dict):
        raise RpcError(f"{url}: the reply is not a JSON-RPC object", reason="bad_response")
    if "error" in payload:
        error = payload["error"]
        data = error.get("data") if isinstance(error, dict) else None
        reason = data.get("reason") if isinstance(data, dict) else None
        if not isinstance(reason, str):
            raise RpcError(f"{url}: malformed error reply {error!r:.200}", reason="bad_response")
        raise RpcError(str(error.get("message", "error")), reason=reason)
    if "result" not in payload:
        raise RpcError(f"{url}: the reply has neither result nor error", reason="bad_response")
    return payload["result"]


@contextlib.contextmanager
def _well_formed(method: str) -> Iterator[None]:
    """Turn a result of the wrong shape into ``RpcError(bad_response)``."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RpcError(f"{method}: unexpected result shape ({exc!r})", reason="bad_response") from exc


# -- keys and transactions --------------------------------------------------------------
def generate_keypair(entropy: bytes) -> tuple[bytes, str]:
    """A new BLS key pair from ≥ 32 bytes of entropy: (secret key bytes, public key hex)."""
    secret = bls.KeyGen(entropy)
    return bytes(secret), "0x" + bls.SkToPk(secret).hex()


def public_key_of(secret_key: bytes) -> str:
    return "0x" + bls.SkToPk(BlsSecretKey(secret_key)).hex()


def sign_transfer(
    *,
    secret_key: bytes,
    chain_id: int,
    receiver: str,
    value: int,
    nonce: int,
    gas_limit: int = 50_000,
    gas_price: int = 1,
    memo: bytes | None = None,
) -> tuple[str, bytes]:
    """Build and sign a Moonlight transfer; returns (tx id hex, encoded transaction).

    ``value`` and ``gas_price`` are in Lux; the refund goes back to the sender. Raises
    ``ChainTypesError`` for a field out of range (check first with ``validate_transfer``).
    """
    sk = BlsSecretKey(secret_key)
    unsigned = _unsigned_transfer(
        bls.SkToPk(sk), chain_id, receiver, value, nonce, gas_limit, gas_price, Memo(memo) if memo else None
    )
    return _sign(sk, unsigned)


def sign_contract_call(
    *,
    secret_key: bytes,
    chain_id: int,
    contract: str,
    fn_name: str,
    fn_args: bytes,
    nonce: int,
    gas_limit: int = 50_000_000,
    gas_price: int = 1,
) -> tuple[str, bytes]:
    """Build and sign a call of ``fn_name`` of ``contract`` (hex id) with ``fn_args`` (build
    them with ``contract_abi``), sent by the key's own account with no value (reference §2.4);
    returns (tx id hex, encoded transaction). A failed call is still included and charged."""
    sk = BlsSecretKey(secret_key)
    sender = bls.SkToPk(sk)
    data = Call(ContractId.from_hex(contract), fn_name, bytes(fn_args))
    unsigned = _unsigned_transfer(sender, chain_id, "0x" + sender.hex(), 0, nonce, gas_limit, gas_price, data)
    return _sign(sk, unsigned)


def sign_proven_call(
    *,
    secret_key: bytes,
    chain_id: int,
    contract: str,
    fn_name: str,
    fn_args: bytes,
    vk_id: str,
    public_inputs: bytes,
    proof: bytes,
    nonce: int,
    gas_limit: int = 50_000_000,
    gas_price: int = 1,
) -> tuple[str, bytes]:
    """Build and sign a proven call (transaction data tag 4): a call of ``fn_name`` of
    ``contract`` carrying one Groth16 proof for the registered key ``vk_id`` (hex), with
    ``public_inputs`` (``32·n`` bytes, n ≤ 32) and ``proof`` (192 bytes), e.g. from
    :func:`proof_attachment_from_snarkjs`. The node verifies the proof before the call runs
    and refuses the transaction (``unknown_verifying_key``, ``proof_refused:<reason>``) if it
    does not hold; the contract reads the statement with ``proof_statement``. ``gas_limit``
    must cover the verification (docs/vm-abi.md). Returns (tx id hex, encoded transaction);
    raises ``ChainTypesError`` for a field out of range."""
    sk = BlsSecretKey(secret_key)
    sender = bls.SkToPk(sk)
    data = ProvenCall(
        ContractId.from_hex(contract),
        fn_name,
        bytes(fn_args),
        Hash32.from_hex(vk_id),
        bytes(public_inputs),
        bytes(proof),
    )
    unsigned = _unsigned_transfer(sender, chain_id, "0x" + sender.hex(), 0, nonce, gas_limit, gas_price, data)
    return _sign(sk, unsigned)


def proof_attachment_from_snarkjs(proof_json: object, public_json: object) -> tuple[bytes, bytes]:
    """``(public inputs, proof)`` bytes of snarkjs's parsed ``public.json`` and ``proof.json``
    (Groth16 on BLS12-381), validated; raises ``ProofRefused`` (a ``ValueError``) otherwise."""
    return groth16.public_inputs_from_snarkjs(public_json), groth16.proof_from_snarkjs(proof_json)


def verify_groth16_proof(vk: VerifyingKey | bytes, public_inputs: bytes, proof: bytes) -> None:
    """Verify a Groth16 proof exactly as a node does (``chain.crypto.groth16.verify``, docs/zk.md
    "Proofs"): ``None`` if it holds; ``ProofRefused`` with a stable ``reason`` otherwise. For
    the off-chain prover, which checks every proof before handing it out."""
    groth16.verify(vk, public_inputs, proof)


def get_vk_id(vk: bytes) -> str:
    """The registry id (hex) of the verification key bytes ``vk`` (``circuits/build/*.vk``)."""
    return "0x" + groth16.compute_vk_id(bytes(vk)).hex()


def sign_contract_deploy(
    *,
    secret_key: bytes,
    chain_id: int,
    bytecode: bytes,
    init_args: bytes | None,
    deploy_nonce: int,
    nonce: int,
    gas_limit: int = 500_000_000,
    gas_price: int = MIN_DEPLOY_GAS_PRICE,
) -> tuple[str, bytes, str]:
    """Build and sign the deployment of ``bytecode`` owned by the key's account; returns (tx id
    hex, encoded transaction, contract id hex). The id is BLAKE2b-256(bytecode ‖ deploy_nonce ‖
    owner) (reference §2.4), so it is known before the block; a failed deploy burns its gas
    limit. Deploys need ``gas_price`` ≥ ``MIN_DEPLOY_GAS_PRICE``."""
    sk = BlsSecretKey(secret_key)
    owner = bls.SkToPk(sk)
    data = Deploy(bytes(bytecode), owner, None if init_args is None else bytes(init_args), U64(deploy_nonce))
    unsigned = _unsigned_transfer(owner, chain_id, "0x" + owner.hex(), 0, nonce, gas_limit, gas_price, data)
    tx_id, raw = _sign(sk, unsigned)
    return tx_id, raw, get_contract_id(bytecode=bytecode, deploy_nonce=deploy_nonce, owner="0x" + owner.hex())


def get_contract_id(*, bytecode: bytes, deploy_nonce: int, owner: str) -> str:
    """The id (hex) a deployment of ``bytecode`` by ``owner`` (public key hex) with
    ``deploy_nonce`` gets (reference §2.4)."""
    return "0x" + compute_contract_id(bytes(bytecode), deploy_nonce, BlsPublicKey.from_hex(owner)).hex()


def _sign(sk: BlsSecretKey, unsigned: Transaction) -> tuple[str, bytes]:
    encode_transaction(unsigned)  # raises ChainTypesError for an out-of-range field
    signed = Transaction(
        unsigned.chain_id,
        unsigned.sender,
        unsigned.receiver,
        unsigned.value,
        unsigned.deposit,
        unsigned.fee,
        unsigned.nonce,
        unsigned.data,
        bls.Sign(sk, compute_signing_bytes(unsigned)),
    )
    return "0x" + compute_transaction_id(signed).hex(), encode_transaction(signed)


def validate_transfer(
    *,
    chain_id: int,
    receiver: str,
    value: int,
    nonce: int,
    gas_limit: int = 50_000,
    gas_price: int = 1,
    memo: bytes | None = None,
) -> None:
    """Check the fields of a transfer without a key (so before one is decrypted); raises
    ``ChainTypesError`` with a stable ``reason`` where ``sign_transfer`` would."""
    memo_data = Memo(memo) if memo else None
    unsigned = _unsigned_transfer(
        BlsPublicKey.zero(), chain_id, receiver, value, nonce, gas_limit, gas_price, memo_data
    )
    encode_transaction(unsigned)


def _unsigned_transfer(
    sender: BlsPublicKey,
    chain_id: int,
    receiver: str,
    value: int,
    nonce: int,
    gas_limit: int,
    gas_price: int,
    data: TransactionData,
) -> Transaction:
    return Transaction(
        chain_id=ChainId(chain_id),
        sender=sender,
        receiver=BlsPublicKey.from_hex(receiver),
        value=Lux(value),
        deposit=Lux(0),
        fee=Fee(Gas(gas_limit), Lux(gas_price), sender),
        nonce=Nonce(nonce),
        data=data,
        signature=INFINITY_SIGNATURE,
    )
