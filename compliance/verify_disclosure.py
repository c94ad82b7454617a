"""A regulator's verification of a disclosure package, against a chain node directly.

    python -m compliance.verify_disclosure --envelope FILE --secret-key FILE --node URL [--node URL …]

The regulator downloads an *envelope* from the platform's portal (JSON: the disclosure id,
the transaction that recorded the package's hash, the base64 ciphertext; docs/disclosure.md)
and runs this tool with its own X25519 secret key, which never leaves its machine. The tool
trusts only the node(s) it is given and the standard algorithms; it does not ask the platform
anything. The checks, one report line each:

1. ``decrypt``: the ciphertext opens with the secret key (``nacl.public.SealedBox``); a
   flipped byte fails here (Poly1305).
2. ``memo``: the recording transaction is in a Final block and its memo is
   ``DISCLOSURE_MEMO_PREFIX ‖ disclosure id[16] ‖ SHA-256(plaintext)[32]`` for this
   package; it was sent by the security token's issuer (the deployer the contract reports).
3. ``register``: the package's holders equal the token's ``holders_at(checkpoint)``.
4. ``transfers``: every disclosed transfer is an event of a Final transaction's receipt, and
   every token movement of the window's heights on chain is disclosed (none left out); the
   window's first and last heights bracket its times.
5. ``audit``: the disclosed audit documents and the content digests in between chain up
   (``common.audit_hashing``) to the entry hash anchored by the anchor memo on chain.

Exit status 0 only if every check passes; 1 otherwise (the failing check's reason is
printed); 2 for unusable arguments or files. This module imports only the standard library,
PyNaCl, ``chain.node.client`` and ``common.audit_hashing`` (an import-linter contract keeps
it so): the platform imports it to build packages, never the other way round.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime
import hashlib
import json
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from chain.node.client import NodeClient, RpcError, contract_abi, get_contract_id
from common.audit_hashing import (
    AuditHashError,
    canonical_json,
    compute_audit_content_digest,
    compute_audit_entry_hash,
    decode_anchor_memo,
)

PACKAGE_SCHEMA = "gloam.disclosure/1"
ENVELOPE_SCHEMA = "gloam.disclosure-envelope/1"
DISCLOSURE_MEMO_PREFIX = b"gloam/disclosure/1:"
DISCLOSURE_MEMO_BYTES = len(DISCLOSURE_MEMO_PREFIX) + 16 + 32
X25519_KEY_BYTES = 32
#: The security token's events that move holdings (docs/contracts.md): a disclosure's transfers.
MOVEMENT_TOPICS = frozenset({"issue", "redeem", "burn", "transfer", "forced_transfer"})
EVENTS_PAGE = 1_000


class DisclosureError(ValueError):
    """A malformed key, memo, envelope or package."""


# -- keys, memo, hashing (shared with the platform) ---------------------------------------------
def parse_x25519_key(text: str | bytes, *, name: str = "key") -> bytes:
    """The 32 bytes of an X25519 key given as base64 (standard or URL-safe), hex (64
    characters, optional ``0x``) or raw 32 bytes. Raises ``DisclosureError``."""
    if isinstance(text, bytes):
        if len(text) == X25519_KEY_BYTES:
            return text
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError as exc:
            raise DisclosureError(f"the {name} is neither 32 raw bytes nor text") from exc
    value = text.strip()
    hex_text = value.removeprefix("0x")
    candidates: list[Callable[[], bytes]] = [
        lambda: bytes.fromhex(hex_text),
        lambda: base64.b64decode(value, validate=True),
        lambda: base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)),
    ]
    for decode in candidates if len(hex_text) == 2 * X25519_KEY_BYTES else candidates[1:]:
        try:
            raw = decode()
        except (binascii.Error, ValueError):
            continue
        if len(raw) == X25519_KEY_BYTES:
            return raw
    raise DisclosureError(f"the {name} must be 32 bytes given as base64 or hex")


def compute_key_fingerprint(public_key: bytes) -> str:
    """SHA-256 (hex) of the 32-byte public key: how envelopes and pages name a key."""
    return hashlib.sha256(public_key).hexdigest()


def compute_package_hash(plaintext: bytes) -> str:
    """SHA-256 (hex) of the plaintext package (its canonical JSON bytes)."""
    return hashlib.sha256(plaintext).hexdigest()


def encode_package(package: Mapping[str, Any]) -> bytes:
    """The package's canonical JSON (sorted keys, no spaces, UTF-8), the bytes hashed and sealed."""
    return canonical_json(package)


def seal_package(plaintext: bytes, public_key: bytes) -> bytes:
    """The plaintext sealed to the regulator's X25519 key (``SealedBox``: an ephemeral key
    ‖ XSalsa20-Poly1305 ciphertext, 48 bytes more than the plaintext)."""
    return SealedBox(PublicKey(public_key)).encrypt(plaintext)


def encode_disclosure_memo(disclosure_id: uuid.UUID, package_hash: str) -> bytes:
    """``DISCLOSURE_MEMO_PREFIX ‖ id[16] ‖ sha256[32]`` (67 bytes)."""
    raw = bytes.fromhex(package_hash)
    if len(raw) != 32:
        raise DisclosureError("the package hash must be 32 bytes")
    return DISCLOSURE_MEMO_PREFIX + disclosure_id.bytes + raw


def decode_disclosure_memo(memo: bytes) -> tuple[uuid.UUID, str]:
    """``(disclosure id, package hash hex)``; raises ``DisclosureError`` for anything else."""
    if len(memo) != DISCLOSURE_MEMO_BYTES or not memo.startswith(DISCLOSURE_MEMO_PREFIX):
        raise DisclosureError("not a disclosure memo")
    body = memo[len(DISCLOSURE_MEMO_PREFIX) :]
    return uuid.UUID(bytes=body[:16]), body[16:].hex()


# -- chain reads (shared with the platform) -----------------------------------------------------
def get_holders_at(client: NodeClient, contract: str, checkpoint: int) -> list[tuple[str, int]]:
    """``(holder Address hex, balance in token units)`` of every non-zero balance at the
    token's ``checkpoint``, in the token's stable order (docs/contracts.md, ``holders_at``)."""
    return [(h.holder.hex(), h.balance) for h in client.get_holders_at(contract, checkpoint)]


def get_block_timestamp(client: NodeClient, height: int) -> int:
    return int(client.get_block(height=height)["timestamp"])


def find_first_height_at(client: NodeClient, timestamp: int, top: int) -> int:
    """The lowest height in ``[1, top + 1]`` whose block's timestamp is ≥ ``timestamp``
    (``top + 1`` if none); binary search, block timestamps being non-decreasing."""
    low, high = 1, top + 1
    while low < high:
        mid = (low + high) // 2
        if get_block_timestamp(client, mid) >= timestamp:
            high = mid
        else:
            low = mid + 1
    return low


def _first_event_sequence_from(client: NodeClient, height: int) -> int:
    """The cursor after which the events of blocks at ``height`` and above begin (binary
    search over event sequences; one event is read per step)."""
    last = client.get_events(after=0, limit=1)
    if not last.events:
        return 0
    low, high = 0, _last_event_sequence(client)
    while low < high:  # smallest cursor c such that the event after c is at height ≥ height
        mid = (low + high) // 2
        page = client.get_events(after=mid, limit=1)
        if not page.events or page.events[0].height >= height:
            high = mid
        else:
            low = mid + 1
    return low


def _last_event_sequence(client: NodeClient) -> int:
    step, cursor = 1 << 10, 0
    while client.get_events(after=cursor + step, limit=1).events:
        cursor += step
        step *= 2
    while step > 1:
        step //= 2
        if client.get_events(after=cursor + step, limit=1).events:
            cursor += step
    page = client.get_events(after=cursor, limit=1)
    return page.events[0].sequence if page.events else cursor


def get_token_movements(client: NodeClient, contract: str, first: int, last: int) -> list[dict[str, Any]]:
    """The token's movement events (``MOVEMENT_TOPICS``) of blocks ``first``…``last`` in chain
    order: ``{"tx_id", "height", "topic", "data"}`` (hex with ``0x``)."""
    movements: list[dict[str, Any]] = []
    if last < first:
        return movements
    cursor = _first_event_sequence_from(client, first)
    while True:
        page = client.get_events(after=cursor, limit=EVENTS_PAGE)
        for event in page.events:
            if event.height > last:
                return movements
            if event.height >= first and event.source == contract and event.topic in MOVEMENT_TOPICS:
                movements.append(
                    {"tx_id": event.tx_id, "height": event.height, "topic": event.topic, "data": event.data}
                )
        if len(page.events) < EVENTS_PAGE:
            return movements
        cursor = page.next_cursor


def get_memo_of(client: NodeClient, tx_id: str) -> tuple[bytes, dict[str, Any], str]:
    """``(memo, the transaction as the block shows it, the block's finality)`` of ``tx_id``.
    Raises ``DisclosureError`` if it is in no block or carries no memo."""
    found = client.get_transaction_memo(tx_id)
    if found is None:
        raise DisclosureError(f"transaction {tx_id} is not in a block")
    if found.memo is None:
        raise DisclosureError(f"transaction {tx_id} carries no memo")
    return found.memo, found.transaction, found.finality


# -- audit proof (shared with the platform) -----------------------------------------------------
def compute_audit_proof_head(audit: Mapping[str, Any]) -> tuple[int, str]:
    """``(last sequence, entry hash)`` that the package's audit section chains up to: from its
    ``previous_hash``, each sequence from the first disclosed entry to the anchor's, taking the
    disclosed document's content digest or else the given digest. Raises ``DisclosureError``
    for a gap, a duplicate or a malformed hash."""
    entries = {int(doc["sequence"]): doc for doc in audit["entries"]}
    digests = {int(item["sequence"]): str(item["content_digest"]) for item in audit["digests"]}
    if len(entries) != len(audit["entries"]) or set(entries) & set(digests):
        raise DisclosureError("an audit sequence is given twice")
    anchor_sequence = int(audit["anchor"]["sequence"])
    first = min(entries)
    previous = str(audit["previous_hash"])
    try:
        for sequence in range(first, anchor_sequence + 1):
            if sequence in entries:
                digest = compute_audit_content_digest(entries[sequence])
            elif sequence in digests:
                digest = digests[sequence]
            else:
                raise DisclosureError(f"audit entry {sequence} has neither a document nor a digest")
            previous = compute_audit_entry_hash(previous, digest)
    except AuditHashError as exc:
        raise DisclosureError(str(exc)) from exc
    if max(entries) > anchor_sequence or (digests and max(digests) > anchor_sequence):
        raise DisclosureError("audit entries beyond the anchor")
    return anchor_sequence, previous


# -- the checks ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


class CheckFailed(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def _parse_time(value: str) -> int:
    return int(datetime.datetime.fromisoformat(value).timestamp())


def check_memo(
    client: NodeClient, envelope: Mapping[str, Any], package: Mapping[str, Any], plaintext: bytes
) -> str:
    package_hash = compute_package_hash(plaintext)
    memo, tx, finality = get_memo_of(client, str(envelope["tx_id"]))
    disclosure_id, recorded = decode_disclosure_memo(memo)
    if finality.lower() != "final":
        raise CheckFailed(f"the recording block is {finality}, not Final")
    if not str(disclosure_id) == str(envelope["disclosure_id"]) == str(package["disclosure_id"]):
        raise CheckFailed(f"the memo records disclosure {disclosure_id}, not this one")
    if recorded != package_hash:
        raise CheckFailed(f"package hash {package_hash} differs from the one on chain ({recorded})")
    instrument = package["instrument"]
    issuer_key = str(instrument["issuer_public_key"])
    deployed = get_contract_id(
        bytecode=contract_abi.get_contract_code("security_token"),
        deploy_nonce=int(instrument["deploy_nonce"]),
        owner=issuer_key,
    )
    if deployed != instrument["contract_id"]:
        raise CheckFailed("the token was not deployed by the issuer key the package names")
    if tx.get("sender") != issuer_key:
        raise CheckFailed(f"the memo was sent by {tx.get('sender')}, not by the token's issuer {issuer_key}")
    return f"sha256 {package_hash} recorded in {envelope['tx_id']} (Final) by the token's issuer"


def check_register(client: NodeClient, package: Mapping[str, Any]) -> str:
    register = package["register"]
    contract = str(package["instrument"]["contract_id"])
    on_chain = get_holders_at(client, contract, int(register["checkpoint"]))
    disclosed = [(str(h["holder"]).removeprefix("0x"), int(h["units"])) for h in register["holders"]]
    if sorted(disclosed) != sorted(on_chain):
        missing = sorted(set(on_chain) - set(disclosed))
        extra = sorted(set(disclosed) - set(on_chain))
        raise CheckFailed(
            f"the register differs from holders_at({register['checkpoint']}): "
            f"{len(missing)} holding(s) on chain not disclosed, {len(extra)} disclosed not on chain"
        )
    info = contract_abi.decode_security_token_info(client.query_contract(contract, "info"))
    if info.isin != package["instrument"]["isin"]:
        raise CheckFailed(f"the token is {info.isin}, the package says {package['instrument']['isin']}")
    return f"{len(on_chain)} holder(s) at checkpoint {register['checkpoint']} equal holders_at on chain"


def check_transfers(client: NodeClient, package: Mapping[str, Any]) -> str:
    window = package["window"]
    contract = str(package["instrument"]["contract_id"])
    first, last = int(window["first_height"]), int(window["last_height"])
    starts, ends = _parse_time(window["start"]), _parse_time(window["end"])
    if last >= first:
        before_first = get_block_timestamp(client, first - 1) if first > 1 else None
        if get_block_timestamp(client, first) < starts or (
            before_first is not None and before_first >= starts
        ):
            raise CheckFailed(f"height {first} is not the window's first block")
        if get_block_timestamp(client, last) >= ends:
            raise CheckFailed(f"height {last} is after the window")
        if get_block_timestamp(client, last + 1) < ends:
            raise CheckFailed(f"height {last} is not the window's last block")
    disclosed = package["transfers"]
    finals: dict[str, dict[str, Any]] = {}
    for transfer in disclosed:
        tx_id = str(transfer["tx_id"])
        if tx_id not in finals:
            info = client.get_transaction(tx_id)
            if (info.finality or "").lower() != "final" or info.receipt is None:
                raise CheckFailed(f"transfer {tx_id} is not in a Final block")
            finals[tx_id] = {"height": info.height, "events": info.receipt.get("events", [])}
        seen = finals[tx_id]
        wanted = {"source": contract, "topic": transfer["topic"], "data": transfer["data"]}
        if seen["height"] != transfer["height"] or wanted not in seen["events"]:
            topic = transfer["topic"]
            raise CheckFailed(f"transfer {tx_id} ({topic}) is not an event of that transaction on chain")
        if not first <= int(transfer["height"]) <= last:
            raise CheckFailed(f"transfer {tx_id} is outside the window's heights")
    on_chain = get_token_movements(client, contract, first, last)

    def key(t: Mapping[str, Any]) -> tuple[str, int, str, str]:
        return str(t["tx_id"]), int(t["height"]), str(t["topic"]), str(t["data"])

    if sorted(map(key, on_chain)) != sorted(map(key, disclosed)):
        missing = len(set(map(key, on_chain)) - set(map(key, disclosed)))
        raise CheckFailed(f"{missing} token movement(s) of heights {first}–{last} on chain are not disclosed")
    return f"{len(disclosed)} transfer(s) of heights {first}–{last} match the chain's events, none missing"


def check_audit(client: NodeClient, package: Mapping[str, Any]) -> str:
    audit = package["audit"]
    if not audit["entries"]:
        return "no audit entries disclosed"
    for document in audit["entries"]:
        if document.get("instrument") != package["instrument"]["id"]:
            raise CheckFailed(f"audit entry {document.get('sequence')} is not of this instrument")
    sequence, head = compute_audit_proof_head(audit)
    anchor = audit["anchor"]
    memo, _, finality = get_memo_of(client, str(anchor["tx_id"]))
    try:
        anchored = decode_anchor_memo(memo)
    except AuditHashError as exc:
        raise CheckFailed(str(exc)) from exc
    if finality.lower() != "final":
        raise CheckFailed(f"the anchor's block is {finality}, not Final")
    if anchored != (sequence, head):
        raise CheckFailed(
            f"the audit entries chain up to {head} at {sequence}, "
            f"the anchor on chain is {anchored[1]} at {anchored[0]}"
        )
    count = len(audit["entries"])
    return f"{count} audit entr(ies) chain up to the anchor of entry {sequence} in {anchor['tx_id']}"


def verify_envelope(
    envelope: Mapping[str, Any], secret_key: bytes, client: NodeClient
) -> tuple[list[Check], dict[str, Any] | None]:
    """Run the checks in order; stops at the first that fails (later ones would only repeat
    it). Returns the checks run and the decrypted package (``None`` if it did not open)."""
    checks: list[Check] = []

    def run(name: str, step: Callable[[], str]) -> bool:
        try:
            checks.append(Check(name, True, step()))
        except CheckFailed as exc:
            checks.append(Check(name, False, exc.detail))
        except (DisclosureError, RpcError, contract_abi.AbiError, KeyError, TypeError, ValueError) as exc:
            checks.append(Check(name, False, f"{type(exc).__name__}: {exc}"))
        return checks[-1].ok

    opened: dict[str, Any] = {}

    def decrypt() -> str:
        if envelope.get("schema") != ENVELOPE_SCHEMA:
            raise CheckFailed(f"not a {ENVELOPE_SCHEMA} envelope")
        ciphertext = base64.b64decode(str(envelope["ciphertext"]), validate=True)
        try:
            plaintext = SealedBox(PrivateKey(secret_key)).decrypt(ciphertext)
        except CryptoError as exc:
            raise CheckFailed(
                "the package does not decrypt with this key (tampered, or sealed to another key)"
            ) from exc
        package = json.loads(plaintext)
        if not isinstance(package, dict) or package.get("schema") != PACKAGE_SCHEMA:
            raise CheckFailed(f"the plaintext is not a {PACKAGE_SCHEMA} package")
        opened.update(plaintext=plaintext, package=package)
        return f"{len(plaintext)} bytes, {PACKAGE_SCHEMA}, disclosure {package.get('disclosure_id')}"

    if not run("decrypt", decrypt):
        return checks, None
    package: dict[str, Any] = opened["package"]
    steps: Sequence[tuple[str, Callable[[], str]]] = (
        ("memo", lambda: check_memo(client, envelope, package, opened["plaintext"])),
        ("register", lambda: check_register(client, package)),
        ("transfers", lambda: check_transfers(client, package)),
        ("audit", lambda: check_audit(client, package)),
    )
    for name, step in steps:
        if not run(name, step):
            break
    return checks, package


def _read_secret_key(path: Path) -> bytes:
    raw = path.read_bytes()
    return parse_x25519_key(raw if len(raw) == X25519_KEY_BYTES else raw.strip(), name="secret key")


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m compliance.verify_disclosure",
        description="Decrypt a Gloam disclosure package and verify it against a chain node.",
    )
    parser.add_argument("--envelope", required=True, type=Path, help="the envelope from the portal (JSON)")
    parser.add_argument(
        "--secret-key", required=True, type=Path, help="the X25519 secret key (base64, hex or 32 raw bytes)"
    )
    parser.add_argument("--node", required=True, action="append", help="a chain node's RPC URL (repeatable)")
    parser.add_argument("--output", type=Path, help="write the decrypted package (JSON) here")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per node request")
    args = parser.parse_args(None if argv is None else list(argv))
    try:
        envelope = json.loads(args.envelope.read_text(encoding="utf-8"))
        secret_key = _read_secret_key(args.secret_key)
    except (OSError, ValueError, DisclosureError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not isinstance(envelope, dict):
        print("error: the envelope is not a JSON object", file=sys.stderr)
        return 2
    with NodeClient(args.node, timeout=args.timeout) as client:
        checks, package = verify_envelope(envelope, secret_key, client)
    for check in checks:
        print(f"{'PASS' if check.ok else 'FAIL'} {check.name}: {check.detail}")
    if package is not None and args.output is not None:
        args.output.write_text(json.dumps(package, indent=2, ensure_ascii=False), encoding="utf-8")
    failed = [c for c in checks if not c.ok]
    if failed or len(checks) < 5:
        print(f"REJECTED: {failed[0].name}: {failed[0].detail}" if failed else "REJECTED: incomplete")
        return 1
    print("VERIFIED: every check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
