"""The audit trail's hash chain and its on-chain anchor, without Django, so that a regulator's
verification tool (``python -m compliance.verify_disclosure``) recomputes exactly what the
platform computed (docs/architecture.md, "Audit trail").

Each entry is a JSON *document* (``common.services.audit_entry_document``). Its content digest
is SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8); its entry hash links it to
the previous entry: ``entry_hash = SHA-256(previous_hash ‖ content_digest)`` over the 32-byte
values, the first entry's previous hash being 32 zero bytes. Two levels, so that a disclosure
can prove a few entries against an anchored head with only the digests of the entries in
between (they reveal nothing of their content).

The head is anchored on chain as a Moonlight memo (reference §2.4): ``ANCHOR_MEMO_PREFIX ‖
sequence:u64 LE ‖ entry_hash[32]``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

AUDIT_GENESIS_HASH = "0" * 64
ANCHOR_MEMO_PREFIX = b"gloam/audit-anchor/1:"
ANCHOR_MEMO_BYTES = len(ANCHOR_MEMO_PREFIX) + 8 + 32


class AuditHashError(ValueError):
    """A malformed hash or anchor memo."""


def canonical_json(document: Mapping[str, Any]) -> bytes:
    """Sorted keys, ``,``/``:`` separators, UTF-8; values must already be JSON types."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def compute_audit_content_digest(document: Mapping[str, Any]) -> str:
    """SHA-256 (64 hex characters) of the document's canonical JSON."""
    return hashlib.sha256(canonical_json(document)).hexdigest()


def _hash32(value: str, name: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except ValueError as exc:
        raise AuditHashError(f"{name} is not hexadecimal") from exc
    if len(raw) != 32:
        raise AuditHashError(f"{name} must be 32 bytes (64 hex characters)")
    return raw


def compute_audit_entry_hash(previous_hash: str, content_digest: str) -> str:
    """SHA-256 (hex) of the previous entry hash and this entry's content digest (32 bytes each)."""
    return hashlib.sha256(
        _hash32(previous_hash, "previous hash") + _hash32(content_digest, "content digest")
    ).hexdigest()


def encode_anchor_memo(sequence: int, entry_hash: str) -> bytes:
    """The memo that anchors the chain's head ``entry_hash`` at ``sequence`` (≥ 1)."""
    if not 1 <= sequence < 1 << 64:
        raise AuditHashError("sequence must be in [1, 2^64)")
    return ANCHOR_MEMO_PREFIX + sequence.to_bytes(8, "little") + _hash32(entry_hash, "entry hash")


def decode_anchor_memo(memo: bytes) -> tuple[int, str]:
    """``(sequence, entry_hash)`` of an anchor memo; raises ``AuditHashError`` for anything else."""
    if len(memo) != ANCHOR_MEMO_BYTES or not memo.startswith(ANCHOR_MEMO_PREFIX):
        raise AuditHashError("not an audit anchor memo")
    body = memo[len(ANCHOR_MEMO_PREFIX) :]
    return int.from_bytes(body[:8], "little"), body[8:].hex()
