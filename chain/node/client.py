"""The typed client of a node's RPC API: the only module of ``chain`` that Django and Celery
import (DESIGN.md, Layout).

``NodeClient`` talks JSON-RPC 2.0 to one or more node URLs with a timeout per call,
retries with exponential backoff on transport errors and HTTP 5xx (failing over to the
next URL), and never retries a request the node answered with an error: those raise
:class:`RpcError` with the node's stable ``reason``. Submitting is safe to retry: a
transaction's id is its content hash, and resubmitting a waiting one returns the same id.

It also builds and signs Moonlight transfers, so that callers need no other chain module.
Secret keys passed in are used to sign and are never logged or returned.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from chain.crypto import bls12_381 as bls
from chain.node.exceptions import RpcError
from chain.transition.roots import compute_transaction_id
from chain.types.consensus import INFINITY_SIGNATURE
from chain.types.primitives import BlsPublicKey, BlsSecretKey, ChainId, Gas, Lux, Nonce
from chain.types.transactions import Fee, Memo, Transaction, compute_signing_bytes, encode_transaction

__all__ = [
    "AccountInfo",
    "ChainEvent",
    "EventPage",
    "Head",
    "NodeClient",
    "RpcError",
    "TransactionInfo",
    "generate_keypair",
    "public_key_of",
    "sign_transfer",
]


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
class EventPage:
    events: list[ChainEvent]
    next_cursor: int


class NodeClient:
    """A client of ``urls`` (tried in turn). ``timeout`` is seconds per HTTP request."""

    def __init__(self, urls: Sequence[str], *, timeout: float = 5.0, attempts: int = 3) -> None:
        if not urls:
            raise RpcError("no node URL configured", reason="not_configured")
        self.urls = [u.rstrip("/") for u in urls]
        self._next_url = itertools.cycle(self.urls)
        self._http = httpx.Client(timeout=timeout)
        self._ids = itertools.count(1)
        self._attempts = attempts

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NodeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """One RPC call; raises ``RpcError`` (``reason`` from the node, or ``unreachable``)."""

        @retry(
            retry=retry_if_exception_type(_Retryable),
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=0.1, max=2.0),
            reraise=True,
        )
        def attempt() -> Any:
            url = next(self._next_url)
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
            if "error" in payload:
                error = payload["error"]
                raise RpcError(
                    error.get("message", "error"), reason=error.get("data", {}).get("reason", "rpc_error")
                )
            return payload["result"]

        try:
            return attempt()
        except _Retryable as exc:
            raise RpcError(f"no node answered: {exc}", reason="unreachable") from exc

    # -- typed methods -------------------------------------------------------------------
    def get_head(self) -> Head:
        r = self.call("get_head")
        return Head(r["height"], r["hash"], r["timestamp"], r["state_root"], r["finality"])

    def get_status(self) -> dict[str, Any]:
        result: dict[str, Any] = self.call("get_status")
        return result

    def get_account(self, public_key: str) -> AccountInfo:
        r = self.call("get_account", {"public_key": public_key})
        return AccountInfo(int(r["nonce"]), int(r["balance"]))

    def get_block(self, *, height: int | None = None, block_hash: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"height": height} if height is not None else {"hash": block_hash}
        result: dict[str, Any] = self.call("get_block", params)
        return result

    def submit_transaction(self, raw: bytes) -> str:
        return str(self.call("submit_transaction", {"transaction": "0x" + raw.hex()})["tx_id"])

    def submit_transactions(self, raws: Sequence[bytes]) -> list[dict[str, Any]]:
        result = self.call("submit_transactions", {"transactions": ["0x" + r.hex() for r in raws]})
        return list(result["results"])

    def get_transaction(self, tx_id: str) -> TransactionInfo:
        r = self.call("get_transaction", {"tx_id": tx_id})
        return TransactionInfo(r["tx_id"], r["status"], r.get("height"), r.get("finality"), r.get("receipt"))

    def get_events(self, *, after: int, limit: int = 100) -> EventPage:
        r = self.call("get_events", {"after": after, "limit": limit})
        return EventPage([ChainEvent(**e) for e in r["events"]], int(r["next_cursor"]))


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

    ``value`` and ``gas_price`` are in Lux; the refund goes back to the sender.
    """
    sk = BlsSecretKey(secret_key)
    sender = bls.SkToPk(sk)
    unsigned = Transaction(
        chain_id=ChainId(chain_id),
        sender=sender,
        receiver=BlsPublicKey.from_hex(receiver),
        value=Lux(value),
        deposit=Lux(0),
        fee=Fee(Gas(gas_limit), Lux(gas_price), sender),
        nonce=Nonce(nonce),
        data=Memo(memo) if memo else None,
        signature=INFINITY_SIGNATURE,
    )
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
