"""Rules both stores apply to ``commit_block``, ``revert_head`` and ``prune_undo`` before
writing anything."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from chain.state.abc import Head
from chain.state.commitment import BUCKET_COUNT, TREE_DEPTH, validate_state_writes
from chain.state.exceptions import DuplicateEntry, HeightMismatch, InvalidStateValue, RevertRefused
from chain.types.primitives import Hash32, Height

#: Largest ``head_attestation`` a store keeps (an attestation encodes to under 300 bytes).
MAX_HEAD_ATTESTATION_BYTES: Final = 4096


def validate_commit_arguments(
    *,
    height: Height,
    block_hash: Hash32,
    block_bytes: bytes,
    state_writes: Mapping[bytes, bytes | None],
    receipts: Sequence[tuple[Hash32, bytes]],
    events: Sequence[bytes],
    state_root: Hash32,
    head_attestation: bytes = b"",
) -> None:
    """Check the types of a ``commit_block`` call and that its transaction ids are unique.

    Raises
    ------
    InvalidStateValue
        A wrong type (``Height``, ``Hash32``, ``bytes``) anywhere, or a ``head_attestation``
        over :data:`MAX_HEAD_ATTESTATION_BYTES`.
    InvalidStateKey
        A bad state key.
    DuplicateEntry
        ``reason="duplicate_receipt"``: one transaction id twice in the block.
    """
    _require(height, Height, "height")
    _require(block_hash, Hash32, "block_hash")
    _require(block_bytes, bytes, "block_bytes")
    _require(state_root, Hash32, "state_root")
    validate_state_writes(state_writes)
    if isinstance(receipts, str | bytes) or not isinstance(receipts, Sequence):
        raise InvalidStateValue("receipts must be a sequence of (tx_id, receipt bytes)")
    seen: set[bytes] = set()
    for entry in receipts:
        if not isinstance(entry, tuple) or len(entry) != 2:
            raise InvalidStateValue("each receipt must be a (tx_id, receipt bytes) pair")
        tx_id, receipt = entry
        _require(tx_id, Hash32, "receipt tx_id")
        _require(receipt, bytes, "receipt")
        if tx_id in seen:
            raise DuplicateEntry(f"transaction {tx_id.hex()} appears twice", reason="duplicate_receipt")
        seen.add(tx_id)
    if isinstance(events, str | bytes) or not isinstance(events, Sequence):
        raise InvalidStateValue("events must be a sequence of bytes")
    for event in events:
        _require(event, bytes, "event")
    _require(head_attestation, bytes, "head_attestation")
    if len(head_attestation) > MAX_HEAD_ATTESTATION_BYTES:
        raise InvalidStateValue(f"head_attestation exceeds {MAX_HEAD_ATTESTATION_BYTES} bytes")


def validate_commit_height(head: Head | None, height: Height) -> None:
    """Check that ``height`` follows ``head`` (0 on an empty store).

    Raises
    ------
    HeightMismatch
        Otherwise.
    """
    expected = 0 if head is None else head.height + 1
    if height != expected:
        raise HeightMismatch(f"block height {int(height)} does not follow the head: expected {expected}")


def validate_revert(head: Head | None, expected_hash: Hash32, *, floor: int, has_undo: bool) -> Head:
    """Check that ``revert_head(expected_hash=...)`` may undo ``head``; return ``head``.

    Parameters
    ----------
    head
        The store's head.
    expected_hash
        The caller's idea of the head's hash.
    floor
        The store's undo floor (highest ``prune_undo`` argument).
    has_undo
        Whether the store holds an undo record for the head's height.

    Raises
    ------
    InvalidStateValue
        ``expected_hash`` is not a ``Hash32``.
    RevertRefused
        ``wrong_head``, ``cannot_revert_genesis`` or ``no_undo_record``.
    """
    _require(expected_hash, Hash32, "expected_hash")
    if head is None:
        raise RevertRefused("the store is empty: there is no head to revert", reason="wrong_head")
    if head.block_hash != expected_hash:
        raise RevertRefused(
            f"head is {head.block_hash.hex()} at {int(head.height)}, not {expected_hash.hex()}",
            reason="wrong_head",
        )
    if head.height == 0:
        raise RevertRefused("the head is genesis, which is never reverted", reason="cannot_revert_genesis")
    if head.height < floor:
        raise RevertRefused(
            f"block {int(head.height)} is below the undo floor {floor} (Final): its undo record was pruned",
            reason="no_undo_record",
        )
    if not has_undo:
        raise RevertRefused(f"block {int(head.height)} has no undo record", reason="no_undo_record")
    return head


def validate_prune(head: Head | None, below_height: Height) -> None:
    """Raise ``InvalidStateValue`` unless ``below_height`` is a ``Height`` <= head + 1."""
    _require(below_height, Height, "below_height")
    limit = 0 if head is None else head.height + 1
    if below_height > limit:
        raise InvalidStateValue(
            f"cannot prune undo records below {int(below_height)}: only heights below {limit} are committed"
        )


def validate_bucket(bucket: int) -> None:
    """Raise ``InvalidStateValue`` unless ``bucket`` is an int in 0..4095."""
    if isinstance(bucket, bool) or not isinstance(bucket, int) or not 0 <= bucket < BUCKET_COUNT:
        raise InvalidStateValue(f"bucket must be an int in 0..{BUCKET_COUNT - 1}, got {bucket!r}")


def validate_tree_node(level: int, index: int) -> None:
    """Raise ``InvalidStateValue`` unless ``(level, index)`` names a node of the depth-12 tree."""
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= TREE_DEPTH:
        raise InvalidStateValue(f"tree level must be in 0..{TREE_DEPTH}, got {level!r}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < (1 << (TREE_DEPTH - level)):
        raise InvalidStateValue(f"index {index!r} is outside level {level}")


def validate_event_page(after_sequence: int, limit: int) -> None:
    """Raise ``InvalidStateValue`` unless ``after_sequence >= 0`` and ``limit >= 1`` (ints)."""
    for name, value, low in (("after_sequence", after_sequence, 0), ("limit", limit, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise InvalidStateValue(f"{name} must be an int >= {low}, got {value!r}")


def validate_height(height: Height) -> None:
    """Raise ``InvalidStateValue`` unless ``height`` is a :class:`Height`."""
    _require(height, Height, "height")


def validate_hash(value: Hash32) -> None:
    """Raise ``InvalidStateValue`` unless ``value`` is a :class:`Hash32` (block hash, tx id)."""
    _require(value, Hash32, "hash")


def _require(value: object, kind: type, name: str) -> None:
    if not isinstance(value, kind):
        raise InvalidStateValue(f"{name} must be {kind.__name__}, not {type(value).__name__}")
