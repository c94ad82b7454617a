"""An in-memory store for tests, with the same interface and checks as the LMDB store.

Committed data is never mutated in place: each ``commit_block`` (and ``revert_head``) builds
new bucket and tree maps and swaps them in at the end, so a read view keeps seeing the state it
was opened on, and a rejected commit changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from chain.state.abc import Head, StateReadAPI, StateViewAPI, StoreAPI, StoredEvent, StoredReceipt
from chain.state.commit import (
    validate_bucket,
    validate_commit_arguments,
    validate_commit_height,
    validate_event_page,
    validate_hash,
    validate_height,
    validate_prune,
    validate_revert,
    validate_tree_node,
)
from chain.state.commitment import (
    BUCKET_COUNT,
    ZERO_HASHES,
    compute_bucket,
    compute_entry_leaf,
    compute_state_update,
)
from chain.state.exceptions import DuplicateEntry, InvalidStateValue, StateRootMismatch, StoreClosed
from chain.types.primitives import Hash32, Height

# Per bucket: key → (value, leaf), the leaf being SHA3(key) ‖ SHA3(value).
_Buckets = tuple[Mapping[bytes, tuple[bytes, bytes]], ...]
_Nodes = Mapping[tuple[int, int], Hash32]


@dataclass(frozen=True, slots=True)
class _Undo:
    """What ``revert_head`` needs to undo one block (the LMDB store's undo record)."""

    block_hash: Hash32
    rows: Mapping[bytes, tuple[bytes, bytes] | None]  # key → previous (value, leaf) or absent
    nodes: Mapping[tuple[int, int], Hash32 | None]  # tree node → previous hash or absent
    tx_ids: tuple[Hash32, ...]
    events_before: int  # event sequence head before the block


class _MemoryStateReader(StateReadAPI):
    def __init__(self, buckets: _Buckets, nodes: _Nodes) -> None:
        self._buckets = buckets
        self._nodes = nodes

    def get(self, key: bytes) -> bytes | None:
        row = self._buckets[compute_bucket(key)].get(key)
        return None if row is None else row[0]

    def iter_bucket(self, bucket: int) -> Iterator[tuple[bytes, bytes]]:
        validate_bucket(bucket)
        rows = self._buckets[bucket]
        return iter([(key, rows[key][0]) for key in sorted(rows)])

    def iter_bucket_leaves(self, bucket: int) -> Iterator[tuple[bytes, bytes]]:
        validate_bucket(bucket)
        rows = self._buckets[bucket]
        return iter([(key, rows[key][1]) for key in sorted(rows)])

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        if not isinstance(prefix, bytes):
            raise InvalidStateValue("prefix must be bytes")
        found = [(k, row[0]) for rows in self._buckets for k, row in rows.items() if k.startswith(prefix)]
        return iter(sorted(found))

    def get_tree_node(self, level: int, index: int) -> Hash32:
        validate_tree_node(level, index)
        return self._nodes.get((level, index), ZERO_HASHES[level])


class MemoryStateView(StateViewAPI):
    """A read view of a :class:`MemoryStore`, pinned to the state when it was opened."""

    def __init__(self, buckets: _Buckets, nodes: _Nodes) -> None:
        self._reader: _MemoryStateReader | None = _MemoryStateReader(buckets, nodes)

    def _open(self) -> _MemoryStateReader:
        if self._reader is None:
            raise StoreClosed("read view is closed")
        return self._reader

    def get(self, key: bytes) -> bytes | None:
        return self._open().get(key)

    def iter_bucket(self, bucket: int) -> Iterator[tuple[bytes, bytes]]:
        return self._open().iter_bucket(bucket)

    def iter_bucket_leaves(self, bucket: int) -> Iterator[tuple[bytes, bytes]]:
        return self._open().iter_bucket_leaves(bucket)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        return self._open().iter_prefix(prefix)

    def get_tree_node(self, level: int, index: int) -> Hash32:
        return self._open().get_tree_node(level, index)

    def close(self) -> None:
        self._reader = None


class MemoryStore(StoreAPI):
    """A :class:`~chain.state.abc.StoreAPI` held in dictionaries; for tests only."""

    def __init__(self) -> None:
        self._closed = False
        self._buckets: _Buckets = tuple({} for _ in range(BUCKET_COUNT))
        self._nodes: _Nodes = {}
        self._head: Head | None = None
        self._blocks: dict[int, bytes] = {}
        self._hashes: dict[int, Hash32] = {}
        self._heights: dict[bytes, Height] = {}
        self._receipts: dict[bytes, StoredReceipt] = {}
        self._events: list[bytes] = []
        self._undo: dict[int, _Undo] = {}
        self._undo_floor = Height(0)
        self._head_attestation = b""

    # -- state reads -----------------------------------------------------------------------

    def read_view(self) -> MemoryStateView:
        self._check_open()
        return MemoryStateView(self._buckets, self._nodes)

    def _reader(self) -> _MemoryStateReader:
        self._check_open()
        return _MemoryStateReader(self._buckets, self._nodes)

    def get(self, key: bytes) -> bytes | None:
        return self._reader().get(key)

    def iter_bucket(self, bucket: int) -> Iterator[tuple[bytes, bytes]]:
        return self._reader().iter_bucket(bucket)

    def iter_bucket_leaves(self, bucket: int) -> Iterator[tuple[bytes, bytes]]:
        return self._reader().iter_bucket_leaves(bucket)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        return self._reader().iter_prefix(prefix)

    def get_tree_node(self, level: int, index: int) -> Hash32:
        return self._reader().get_tree_node(level, index)

    # -- commit ----------------------------------------------------------------------------

    def commit_block(
        self,
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
        self._check_open()
        validate_commit_arguments(
            height=height,
            block_hash=block_hash,
            block_bytes=block_bytes,
            state_writes=state_writes,
            receipts=receipts,
            events=events,
            state_root=state_root,
            head_attestation=head_attestation,
        )
        validate_commit_height(self._head, height)
        if block_hash in self._heights:
            raise DuplicateEntry(f"block {block_hash.hex()} is already stored", reason="duplicate_block")
        for tx_id, _ in receipts:
            if tx_id in self._receipts:
                raise DuplicateEntry(
                    f"transaction {tx_id.hex()} already has a receipt", reason="duplicate_receipt"
                )
        update = compute_state_update(_MemoryStateReader(self._buckets, self._nodes), state_writes)
        if update.root != state_root:
            raise StateRootMismatch(f"state root {state_root.hex()} claimed, {update.root.hex()} recomputed")

        # Everything is checked; record the undo data, build the new maps, then swap them in.
        if height > 0:
            self._undo[height] = _Undo(
                block_hash=block_hash,
                rows={key: self._buckets[compute_bucket(key)].get(key) for key in state_writes},
                nodes={position: self._nodes.get(position) for position in update.nodes},
                tx_ids=tuple(tx_id for tx_id, _ in receipts),
                events_before=len(self._events),
            )
        buckets = list(self._buckets)
        touched: dict[int, dict[bytes, tuple[bytes, bytes]]] = {}
        for key, value in state_writes.items():
            bucket = compute_bucket(key)
            if bucket not in touched:
                touched[bucket] = dict(buckets[bucket])
            if value is None:
                touched[bucket].pop(key, None)
            else:
                touched[bucket][key] = (value, compute_entry_leaf(key, value))
        for bucket, rows in touched.items():
            buckets[bucket] = rows
        nodes = dict(self._nodes)
        for (level, index), node in update.nodes.items():
            if node == ZERO_HASHES[level]:
                nodes.pop((level, index), None)
            else:
                nodes[(level, index)] = node

        self._buckets = tuple(buckets)
        self._nodes = nodes
        self._blocks[height] = bytes(block_bytes)
        self._hashes[height] = block_hash
        self._heights[block_hash] = height
        for index, (tx_id, receipt) in enumerate(receipts):
            self._receipts[tx_id] = StoredReceipt(height, index, bytes(receipt))
        self._events.extend(bytes(event) for event in events)
        self._head = Head(height, block_hash)
        self._head_attestation = bytes(head_attestation)

    # -- revert ----------------------------------------------------------------------------

    def revert_head(self, *, expected_hash: Hash32) -> Head:
        self._check_open()
        head = validate_revert(
            self._head,
            expected_hash,
            floor=self._undo_floor,
            has_undo=self._head is not None and self._head.height in self._undo,
        )
        undo = self._undo[head.height]
        parent = Height(head.height - 1)

        buckets = list(self._buckets)
        touched: dict[int, dict[bytes, tuple[bytes, bytes]]] = {}
        for key, previous in undo.rows.items():
            bucket = compute_bucket(key)
            if bucket not in touched:
                touched[bucket] = dict(buckets[bucket])
            if previous is None:
                touched[bucket].pop(key, None)
            else:
                touched[bucket][key] = previous
        for bucket, rows in touched.items():
            buckets[bucket] = rows
        nodes = dict(self._nodes)
        for position, node in undo.nodes.items():
            if node is None:
                nodes.pop(position, None)
            else:
                nodes[position] = node

        self._buckets = tuple(buckets)
        self._nodes = nodes
        del self._blocks[head.height]
        del self._hashes[head.height]
        del self._heights[head.block_hash]
        for tx_id in undo.tx_ids:
            del self._receipts[tx_id]
        del self._events[undo.events_before :]
        del self._undo[head.height]
        self._head = Head(parent, self._hashes[parent])
        self._head_attestation = b""
        return self._head

    def get_head_attestation(self) -> bytes:
        self._check_open()
        return self._head_attestation

    def get_head_previous_rows(self) -> Mapping[bytes, bytes | None] | None:
        self._check_open()
        undo = None if self._head is None else self._undo.get(int(self._head.height))
        if undo is None:
            return None
        return {key: None if previous is None else previous[0] for key, previous in undo.rows.items()}

    def prune_undo(self, below_height: Height) -> int:
        self._check_open()
        validate_prune(self._head, below_height)
        dropped = [height for height in self._undo if height < below_height]
        for height in dropped:
            del self._undo[height]
        self._undo_floor = max(self._undo_floor, below_height)
        return len(dropped)

    def undo_floor(self) -> Height:
        self._check_open()
        return self._undo_floor

    # -- block reads -----------------------------------------------------------------------

    def head(self) -> Head | None:
        self._check_open()
        return self._head

    def get_block_bytes(self, height: Height) -> bytes | None:
        self._check_open()
        validate_height(height)
        return self._blocks.get(height)

    def get_block_hash(self, height: Height) -> Hash32 | None:
        self._check_open()
        validate_height(height)
        return self._hashes.get(height)

    def get_block_bytes_by_hash(self, block_hash: Hash32) -> bytes | None:
        self._check_open()
        validate_hash(block_hash)
        height = self._heights.get(block_hash)
        return None if height is None else self._blocks[height]

    def get_height_by_hash(self, block_hash: Hash32) -> Height | None:
        self._check_open()
        validate_hash(block_hash)
        return self._heights.get(block_hash)

    def get_receipt(self, tx_id: Hash32) -> StoredReceipt | None:
        self._check_open()
        validate_hash(tx_id)
        return self._receipts.get(tx_id)

    def iter_events(self, after_sequence: int, limit: int) -> list[StoredEvent]:
        self._check_open()
        validate_event_page(after_sequence, limit)
        start = after_sequence  # sequence s lives at list index s - 1
        return [
            StoredEvent(start + offset + 1, event)
            for offset, event in enumerate(self._events[start : start + limit])
        ]

    def event_sequence_head(self) -> int:
        self._check_open()
        return len(self._events)

    def close(self) -> None:
        self._closed = True

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("store is closed")
