"""Rules both stores apply to ``commit_block`` before writing anything."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chain.state.abc import Head
from chain.state.commitment import BUCKET_COUNT, TREE_DEPTH, validate_state_writes
from chain.state.exceptions import DuplicateEntry, HeightMismatch, InvalidStateValue
from chain.types.primitives import Hash32, Height


def validate_commit_arguments(
    *,
    height: Height,
    block_hash: Hash32,
    block_bytes: bytes,
    state_writes: Mapping[bytes, bytes | None],
    receipts: Sequence[tuple[Hash32, bytes]],
    events: Sequence[bytes],
    state_root: Hash32,
) -> None:
    """Check the types of a ``commit_block`` call and that its transaction ids are unique.

    Raises
    ------
    InvalidStateValue
        A wrong type (``Height``, ``Hash32``, ``bytes``) anywhere.
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
