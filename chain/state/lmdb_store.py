"""The node's store: blocks, indexes, state rows, the commitment tree, receipts and events in
one LMDB environment, one write transaction per block or revert (DESIGN.md, Chain decisions:
State).

Layout (named sub-databases of the environment at ``path``; integers big-endian so that
LMDB's bytewise order is numeric order)::

    meta           b"format" → u32 | b"head" → height:u64 ‖ hash[32] | b"event_seq" → u64
                   | b"undo_floor" → u64             (absent: 0)
    blocks         height:u64 → block bytes
    block_hashes   height:u64 → block hash[32]
    block_heights  block hash[32] → height:u64
    state          bucket:u16 ‖ key → leaf[64] ‖ value
                   (a prefix scan lists one bucket; leaf = SHA3(key) ‖ SHA3(value), kept
                   so that rehashing a bucket hashes only the rows that changed)
    state_keys     key → b""                         (index for namespace scans: iter_prefix)
    tree           level:u8 ‖ index:u16 → hash[32]   (bucket hashes and internal nodes;
                                                      an absent row is an empty subtree)
    receipts       tx_id[32] → height:u64 ‖ index:u32 ‖ receipt bytes
    events         sequence:u64 → event bytes        (sequences 1, 2, 3 … without gaps)
    undo           height:u64 → undo record          (per block above genesis, until pruned;
                                                      what ``revert_head`` needs, see below)

Undo record (format 1), written by ``commit_block`` in the block's transaction::

    version:u8 = 1 ‖ block_hash[32] ‖ event_seq_before:u64
    ‖ rows:u32 ‖ rows × (key_len:u16 ‖ key ‖ present:u8 [‖ row_len:u32 ‖ leaf[64] ‖ value])
    ‖ nodes:u32 ‖ nodes × (level:u8 ‖ index:u16 ‖ hash[32])   (previous hash; Z_level = absent)
    ‖ tx_ids:u32 ‖ tx_ids × tx_id[32]

i.e. the previous stored row of every key the block wrote, the previous hash of every tree
node it changed, its receipts' transaction ids and the event sequence head before it.
``revert_head`` puts those rows and nodes back, deletes the block, indexes, receipts, events
above ``event_seq_before`` and the record, and moves the head to the parent, in one write
transaction. ``prune_undo`` deletes the records below a height and raises ``undo_floor``.

Format history: 2 had no ``undo`` database; such a store is upgraded to 3 on open, with
``undo_floor`` set above its head (its blocks cannot be reverted).

Durability: the environment is opened with ``sync=True, metasync=True``; LMDB's copy-on-write
B-trees make each commit atomic, so a crash at any point leaves the last committed block whole.
Readers (``read_view``) run in their own MVCC snapshots and never block the writer.

When a commit hits ``MapFullError`` the transaction is aborted, the map is doubled and the same
commit is retried. LMDB allows resizing only while this process has no open transaction, so
growth fails with :class:`~chain.state.exceptions.StoreFull` if read views are open then.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, TypeVar

import lmdb

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
from chain.state.commitment import ZERO_HASHES, compute_bucket, compute_entry_leaf, compute_state_update
from chain.state.exceptions import (
    DuplicateEntry,
    InvalidStateValue,
    StateRootMismatch,
    StoreClosed,
    StoreCorrupt,
    StoreFull,
)
from chain.types.primitives import Hash32, Height

#: Default LMDB map size: 4 GiB of address space (the file grows only as data is written).
DEFAULT_MAP_SIZE: Final = 4 << 30
#: On-disk layout version, written on creation and checked on open.
FORMAT_VERSION: Final = 3
#: Older layout versions this code upgrades on open.
_UPGRADABLE_FORMATS: Final = (2,)
#: Doublings of the map tried for one commit before giving up with ``StoreFull``.
MAX_MAP_GROWTHS: Final = 8

_T = TypeVar("_T")

_LEAF_BYTES: Final = 64
_META_FORMAT: Final = b"format"
_META_HEAD: Final = b"head"
_META_EVENT_SEQUENCE: Final = b"event_seq"
_META_UNDO_FLOOR: Final = b"undo_floor"
_META_HEAD_ATTESTATION: Final = b"head_attestation"
_UNDO_VERSION: Final = 1
_DB_NAMES: Final = (
    "meta",
    "blocks",
    "block_hashes",
    "block_heights",
    "state",
    "state_keys",
    "tree",
    "receipts",
    "events",
    "undo",
)


@dataclass(frozen=True, slots=True)
class _Dbs:
    meta: lmdb._Database
    blocks: lmdb._Database
    block_hashes: lmdb._Database
    block_heights: lmdb._Database
    state: lmdb._Database
    state_keys: lmdb._Database
    tree: lmdb._Database
    receipts: lmdb._Database
    events: lmdb._Database
    undo: lmdb._Database


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def _row_key(key: bytes) -> bytes:
    return compute_bucket(key).to_bytes(2, "big") + key


def _node_key(level: int, index: int) -> bytes:
    return bytes((level,)) + index.to_bytes(2, "big")


@dataclass(frozen=True, slots=True)
class _UndoRecord:
    """A decoded undo record (format in the module docstring)."""

    block_hash: bytes
    event_sequence_before: int
    rows: list[tuple[bytes, bytes | None]]  # key → previous stored row (leaf ‖ value) or absent
    nodes: list[tuple[int, int, bytes]]  # (level, index, previous hash)
    tx_ids: list[bytes]


def _encode_undo(record: _UndoRecord) -> bytes:
    parts = [bytes((_UNDO_VERSION,)), record.block_hash, _u64(record.event_sequence_before)]
    parts.append(len(record.rows).to_bytes(4, "big"))
    for key, row in record.rows:
        parts.append(len(key).to_bytes(2, "big") + key)
        parts.append(b"\x00" if row is None else b"\x01" + len(row).to_bytes(4, "big") + row)
    parts.append(len(record.nodes).to_bytes(4, "big"))
    parts.extend(_node_key(level, index) + node for level, index, node in record.nodes)
    parts.append(len(record.tx_ids).to_bytes(4, "big"))
    parts.extend(record.tx_ids)
    return b"".join(parts)


def _decode_undo(data: bytes) -> _UndoRecord:
    """Decode an undo record; ``StoreCorrupt`` if it does not parse exactly."""
    position = 0

    def take(length: int) -> bytes:
        nonlocal position
        if position + length > len(data):
            raise StoreCorrupt("undo record is truncated")
        chunk = data[position : position + length]
        position += length
        return chunk

    def number(length: int) -> int:
        return int.from_bytes(take(length), "big")

    if number(1) != _UNDO_VERSION:
        raise StoreCorrupt("undo record has an unknown version")
    block_hash = take(32)
    event_sequence_before = number(8)
    rows: list[tuple[bytes, bytes | None]] = []
    for _ in range(number(4)):
        key = take(number(2))
        present = number(1)
        if present not in (0, 1):
            raise StoreCorrupt("undo record row flag is not 0 or 1")
        rows.append((key, take(number(4)) if present else None))
    nodes = [(number(1), number(2), take(32)) for _ in range(number(4))]
    tx_ids = [take(32) for _ in range(number(4))]
    if position != len(data):
        raise StoreCorrupt("undo record has trailing bytes")
    return _UndoRecord(block_hash, event_sequence_before, rows, nodes, tx_ids)


class _LmdbStateReader(StateReadAPI):
    """State reads inside one LMDB transaction (a read view's, or ``commit_block``'s)."""

    def __init__(self, txn: lmdb.Transaction, dbs: _Dbs) -> None:
        self._txn = txn
        self._dbs = dbs

    def get(self, key: bytes) -> bytes | None:
        if not isinstance(key, bytes) or not key:
            raise InvalidStateValue("state key must be non-empty bytes")
        row: bytes | None = self._txn.get(_row_key(key), db=self._dbs.state)
        return None if row is None else row[_LEAF_BYTES:]

    def iter_bucket(self, bucket: int) -> Iterator[tuple[bytes, bytes]]:
        return iter(self._scan_bucket(bucket, leaves=False))

    def iter_bucket_leaves(self, bucket: int) -> Iterator[tuple[bytes, bytes]]:
        return iter(self._scan_bucket(bucket, leaves=True))

    def _scan_bucket(self, bucket: int, *, leaves: bool) -> list[tuple[bytes, bytes]]:
        """``(key, leaf)`` or ``(key, value)`` of every row of ``bucket``, in key order."""
        validate_bucket(bucket)
        prefix = bucket.to_bytes(2, "big")
        rows: list[tuple[bytes, bytes]] = []
        with self._txn.cursor(db=self._dbs.state) as cursor:
            if cursor.set_range(prefix):
                for row_key, row in cursor:
                    if row_key[:2] != prefix:
                        break
                    rows.append((row_key[2:], row[:_LEAF_BYTES] if leaves else row[_LEAF_BYTES:]))
        return rows

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        if not isinstance(prefix, bytes):
            raise InvalidStateValue("prefix must be bytes")
        rows: list[tuple[bytes, bytes]] = []
        with self._txn.cursor(db=self._dbs.state_keys) as cursor:
            if cursor.set_range(prefix):
                for key in cursor.iternext(keys=True, values=False):
                    key = bytes(key)
                    if not key.startswith(prefix):
                        break
                    row = self._txn.get(_row_key(key), db=self._dbs.state)
                    if row is None:
                        raise StoreCorrupt(f"key index lists {key.hex()} but the row is missing")
                    rows.append((key, row[_LEAF_BYTES:]))
        return iter(rows)

    def get_tree_node(self, level: int, index: int) -> Hash32:
        validate_tree_node(level, index)
        node = self._txn.get(_node_key(level, index), db=self._dbs.tree)
        return ZERO_HASHES[level] if node is None else Hash32(node)


class LmdbStateView(StateViewAPI):
    """A read view of an :class:`LmdbStore`: one LMDB read transaction (an MVCC snapshot)."""

    def __init__(self, store: LmdbStore, txn: lmdb.Transaction, dbs: _Dbs) -> None:
        self._store = store
        self._txn: lmdb.Transaction | None = txn
        self._reader = _LmdbStateReader(txn, dbs)

    def _open(self) -> _LmdbStateReader:
        if self._txn is None or self._store.is_closed:
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
        if self._txn is None:
            return
        if not self._store.is_closed:
            self._txn.abort()
        self._txn = None
        self._store._on_view_closed()


class LmdbStore(StoreAPI):
    """A :class:`~chain.state.abc.StoreAPI` in an LMDB environment directory.

    Parameters
    ----------
    path
        Directory of the environment; created if missing.
    map_size
        Initial LMDB map size in bytes (default 4 GiB); grows by doubling on demand. If the
        existing environment is larger, its size is kept.
    max_readers
        Most concurrent read transactions (LMDB ``max_readers``).

    Raises
    ------
    StoreCorrupt
        If the directory holds another layout version or inconsistent bookkeeping.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, map_size: int = DEFAULT_MAP_SIZE, max_readers: int = 126
    ) -> None:
        if isinstance(map_size, bool) or not isinstance(map_size, int) or map_size <= 0:
            raise InvalidStateValue(f"map_size must be a positive int, got {map_size!r}")
        self._closed = False
        self._open_views = 0
        self._env = lmdb.open(
            os.fspath(path),
            map_size=map_size,
            max_dbs=len(_DB_NAMES),
            max_readers=max_readers,
            subdir=True,
            sync=True,
            metasync=True,
            readahead=False,
            lock=True,
        )
        try:
            with self._env.begin(write=True) as txn:
                handles = {name: self._env.open_db(name.encode(), txn=txn, create=True) for name in _DB_NAMES}
                dbs = _Dbs(**handles)
                stored = txn.get(_META_FORMAT, db=dbs.meta)
                if stored is None:
                    txn.put(_META_FORMAT, FORMAT_VERSION.to_bytes(4, "big"), db=dbs.meta)
                elif int.from_bytes(stored, "big") in _UPGRADABLE_FORMATS:
                    _upgrade(txn, dbs)
                elif int.from_bytes(stored, "big") != FORMAT_VERSION:
                    raise StoreCorrupt(
                        f"store format {int.from_bytes(stored, 'big')} is not {FORMAT_VERSION}",
                        reason="unsupported_format",
                    )
                _check_consistency(txn, dbs)
        except BaseException:
            self._env.close()
            raise
        self._dbs = dbs

    @property
    def is_closed(self) -> bool:
        """True after :meth:`close`."""
        return self._closed

    @property
    def map_size(self) -> int:
        """The current LMDB map size in bytes."""
        self._check_open()
        size: int = self._env.info()["map_size"]
        return size

    # -- state reads -----------------------------------------------------------------------

    def read_view(self) -> LmdbStateView:
        self._check_open()
        txn = self._env.begin(write=False)
        self._open_views += 1
        return LmdbStateView(self, txn, self._dbs)

    def _on_view_closed(self) -> None:
        self._open_views -= 1

    def get(self, key: bytes) -> bytes | None:
        with self._read() as txn:
            return _LmdbStateReader(txn, self._dbs).get(key)

    def iter_bucket(self, bucket: int) -> Iterator[tuple[bytes, bytes]]:
        with self._read() as txn:
            return _LmdbStateReader(txn, self._dbs).iter_bucket(bucket)

    def iter_bucket_leaves(self, bucket: int) -> Iterator[tuple[bytes, bytes]]:
        with self._read() as txn:
            return _LmdbStateReader(txn, self._dbs).iter_bucket_leaves(bucket)

    def iter_prefix(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        with self._read() as txn:
            return _LmdbStateReader(txn, self._dbs).iter_prefix(prefix)

    def get_tree_node(self, level: int, index: int) -> Hash32:
        with self._read() as txn:
            return _LmdbStateReader(txn, self._dbs).get_tree_node(level, index)

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
        self._in_write_transaction(
            lambda txn: self._write_block(
                txn,
                height=height,
                block_hash=block_hash,
                block_bytes=block_bytes,
                state_writes=state_writes,
                receipts=receipts,
                events=events,
                state_root=state_root,
                head_attestation=head_attestation,
            ),
            f"block {int(height)}",
        )

    def _in_write_transaction(self, action: Callable[[lmdb.Transaction], _T], what: str) -> _T:
        """Run ``action`` in one write transaction: committed on a normal exit, aborted on
        any exception; on ``MapFullError`` the map is doubled and ``action`` runs again."""
        for _ in range(MAX_MAP_GROWTHS + 1):
            try:
                with self._env.begin(write=True) as txn:
                    return action(txn)
            except lmdb.MapFullError:
                self._grow()
        raise StoreFull(f"{what} does not fit after {MAX_MAP_GROWTHS} map doublings")

    def _write_block(
        self,
        txn: lmdb.Transaction,
        *,
        height: Height,
        block_hash: Hash32,
        block_bytes: bytes,
        state_writes: Mapping[bytes, bytes | None],
        receipts: Sequence[tuple[Hash32, bytes]],
        events: Sequence[bytes],
        state_root: Hash32,
        head_attestation: bytes,
    ) -> None:
        dbs = self._dbs
        validate_commit_height(_read_head(txn, dbs), height)
        if txn.get(block_hash, db=dbs.block_heights) is not None:
            raise DuplicateEntry(f"block {block_hash.hex()} is already stored", reason="duplicate_block")
        for tx_id, _ in receipts:
            if txn.get(tx_id, db=dbs.receipts) is not None:
                raise DuplicateEntry(
                    f"transaction {tx_id.hex()} already has a receipt", reason="duplicate_receipt"
                )
        update = compute_state_update(_LmdbStateReader(txn, dbs), state_writes)
        if update.root != state_root:
            raise StateRootMismatch(f"state root {state_root.hex()} claimed, {update.root.hex()} recomputed")

        event_sequence_before = _read_event_sequence(txn, dbs)
        if height > 0:
            record = _UndoRecord(
                block_hash=block_hash,
                event_sequence_before=event_sequence_before,
                rows=[(key, txn.get(_row_key(key), db=dbs.state)) for key in state_writes],
                nodes=[
                    (level, index, txn.get(_node_key(level, index), db=dbs.tree) or ZERO_HASHES[level])
                    for level, index in update.nodes
                ],
                tx_ids=[tx_id for tx_id, _ in receipts],
            )
            txn.put(_u64(height), _encode_undo(record), db=dbs.undo)

        for key, value in state_writes.items():
            if value is None:
                txn.delete(_row_key(key), db=dbs.state)
                txn.delete(key, db=dbs.state_keys)
            else:
                txn.put(_row_key(key), compute_entry_leaf(key, value) + value, db=dbs.state)
                txn.put(key, b"", db=dbs.state_keys)
        for (level, index), node in update.nodes.items():
            if node == ZERO_HASHES[level]:
                txn.delete(_node_key(level, index), db=dbs.tree)
            else:
                txn.put(_node_key(level, index), node, db=dbs.tree)

        height_key = _u64(height)
        txn.put(height_key, block_bytes, db=dbs.blocks)
        txn.put(height_key, block_hash, db=dbs.block_hashes)
        txn.put(block_hash, height_key, db=dbs.block_heights)
        for index, (tx_id, receipt) in enumerate(receipts):
            txn.put(tx_id, height_key + index.to_bytes(4, "big") + receipt, db=dbs.receipts)
        sequence = event_sequence_before
        for event in events:
            sequence += 1
            txn.put(_u64(sequence), event, db=dbs.events, append=True)
        txn.put(_META_EVENT_SEQUENCE, _u64(sequence), db=dbs.meta)
        txn.put(_META_HEAD, height_key + block_hash, db=dbs.meta)
        # Keyed to the head's hash: a value left from another head is never taken for this one.
        txn.put(_META_HEAD_ATTESTATION, block_hash + head_attestation, db=dbs.meta)

    # -- revert ----------------------------------------------------------------------------

    def revert_head(self, *, expected_hash: Hash32) -> Head:
        self._check_open()
        return self._in_write_transaction(
            lambda txn: self._revert_head(txn, expected_hash), "the revert of the head"
        )

    def _revert_head(self, txn: lmdb.Transaction, expected_hash: Hash32) -> Head:
        dbs = self._dbs
        stored_head = _read_head(txn, dbs)
        raw = None if stored_head is None else txn.get(_u64(stored_head.height), db=dbs.undo)
        floor = _read_undo_floor(txn, dbs)
        head = validate_revert(stored_head, expected_hash, floor=floor, has_undo=raw is not None)
        if raw is None:  # unreachable: validate_revert refuses a head without a record
            raise StoreCorrupt(f"block {int(head.height)} has no undo record")
        record = _decode_undo(raw)
        if record.block_hash != head.block_hash:
            raise StoreCorrupt(f"the undo record of height {int(head.height)} is for another block")
        parent = Height(head.height - 1)
        parent_hash = txn.get(_u64(parent), db=dbs.block_hashes)
        if parent_hash is None:
            raise StoreCorrupt(f"the parent of the head, at {int(parent)}, is not stored")

        for key, row in record.rows:
            if row is None:
                txn.delete(_row_key(key), db=dbs.state)
                txn.delete(key, db=dbs.state_keys)
            else:
                txn.put(_row_key(key), row, db=dbs.state)
                txn.put(key, b"", db=dbs.state_keys)
        for level, index, node in record.nodes:
            if node == ZERO_HASHES[level]:
                txn.delete(_node_key(level, index), db=dbs.tree)
            else:
                txn.put(_node_key(level, index), node, db=dbs.tree)

        height_key = _u64(head.height)
        txn.delete(height_key, db=dbs.blocks)
        txn.delete(height_key, db=dbs.block_hashes)
        txn.delete(head.block_hash, db=dbs.block_heights)
        for tx_id in record.tx_ids:
            txn.delete(tx_id, db=dbs.receipts)
        for sequence in range(record.event_sequence_before + 1, _read_event_sequence(txn, dbs) + 1):
            txn.delete(_u64(sequence), db=dbs.events)
        txn.put(_META_EVENT_SEQUENCE, _u64(record.event_sequence_before), db=dbs.meta)
        txn.delete(height_key, db=dbs.undo)
        txn.put(_META_HEAD, _u64(parent) + parent_hash, db=dbs.meta)
        txn.delete(_META_HEAD_ATTESTATION, db=dbs.meta)
        return Head(parent, Hash32(parent_hash))

    def get_head_previous_rows(self) -> Mapping[bytes, bytes | None] | None:
        with self._read() as txn:
            head = _read_head(txn, self._dbs)
            raw = None if head is None else txn.get(_u64(head.height), db=self._dbs.undo)
        if raw is None:
            return None
        return {key: None if row is None else row[_LEAF_BYTES:] for key, row in _decode_undo(raw).rows}

    def get_head_attestation(self) -> bytes:
        with self._read() as txn:
            head = _read_head(txn, self._dbs)
            raw = txn.get(_META_HEAD_ATTESTATION, db=self._dbs.meta)
        if head is None or raw is None or bytes(raw[:32]) != head.block_hash:
            return b""
        return bytes(raw[32:])

    def prune_undo(self, below_height: Height) -> int:
        self._check_open()
        return self._in_write_transaction(lambda txn: self._prune_undo(txn, below_height), "pruning")

    def _prune_undo(self, txn: lmdb.Transaction, below_height: Height) -> int:
        dbs = self._dbs
        validate_prune(_read_head(txn, dbs), below_height)
        doomed: list[bytes] = []
        with txn.cursor(db=dbs.undo) as cursor:
            if cursor.first():
                for key in cursor.iternext(keys=True, values=False):
                    if int.from_bytes(key, "big") >= below_height:
                        break
                    doomed.append(bytes(key))
        for key in doomed:
            txn.delete(key, db=dbs.undo)
        if below_height > _read_undo_floor(txn, dbs):
            txn.put(_META_UNDO_FLOOR, _u64(below_height), db=dbs.meta)
        return len(doomed)

    def undo_floor(self) -> Height:
        with self._read() as txn:
            return Height(_read_undo_floor(txn, self._dbs))

    def _grow(self) -> None:
        if self._open_views:
            raise StoreFull(
                f"the LMDB map is full and cannot grow while {self._open_views} read views are open"
            )
        self._env.set_mapsize(self._env.info()["map_size"] * 2)

    # -- block reads -----------------------------------------------------------------------

    def head(self) -> Head | None:
        with self._read() as txn:
            return _read_head(txn, self._dbs)

    def get_block_bytes(self, height: Height) -> bytes | None:
        with self._read() as txn:
            block: bytes | None = txn.get(_u64(_validated_height(height)), db=self._dbs.blocks)
            return block

    def get_block_hash(self, height: Height) -> Hash32 | None:
        with self._read() as txn:
            raw = txn.get(_u64(_validated_height(height)), db=self._dbs.block_hashes)
            return None if raw is None else Hash32(raw)

    def get_block_bytes_by_hash(self, block_hash: Hash32) -> bytes | None:
        with self._read() as txn:
            raw = txn.get(_validated_hash(block_hash), db=self._dbs.block_heights)
            if raw is None:
                return None
            block: bytes | None = txn.get(raw, db=self._dbs.blocks)
            if block is None:
                raise StoreCorrupt(f"block {block_hash.hex()} is indexed but missing")
            return block

    def get_height_by_hash(self, block_hash: Hash32) -> Height | None:
        with self._read() as txn:
            raw = txn.get(_validated_hash(block_hash), db=self._dbs.block_heights)
            return None if raw is None else Height(int.from_bytes(raw, "big"))

    def get_receipt(self, tx_id: Hash32) -> StoredReceipt | None:
        with self._read() as txn:
            raw = txn.get(_validated_hash(tx_id), db=self._dbs.receipts)
            if raw is None:
                return None
            return StoredReceipt(
                Height(int.from_bytes(raw[:8], "big")), int.from_bytes(raw[8:12], "big"), bytes(raw[12:])
            )

    def iter_events(self, after_sequence: int, limit: int) -> list[StoredEvent]:
        validate_event_page(after_sequence, limit)
        page: list[StoredEvent] = []
        with self._read() as txn, txn.cursor(db=self._dbs.events) as cursor:
            if cursor.set_range(_u64(after_sequence + 1)):
                for key, event in cursor:
                    page.append(StoredEvent(int.from_bytes(key, "big"), event))
                    if len(page) == limit:
                        break
        return page

    def event_sequence_head(self) -> int:
        with self._read() as txn:
            return _read_event_sequence(txn, self._dbs)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._env.close()

    # -- internals -------------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._closed:
            raise StoreClosed("store is closed")

    def _read(self) -> lmdb.Transaction:
        self._check_open()
        return self._env.begin(write=False)


def _read_head(txn: lmdb.Transaction, dbs: _Dbs) -> Head | None:
    raw = txn.get(_META_HEAD, db=dbs.meta)
    if raw is None:
        return None
    return Head(Height(int.from_bytes(raw[:8], "big")), Hash32(raw[8:]))


def _read_event_sequence(txn: lmdb.Transaction, dbs: _Dbs) -> int:
    raw = txn.get(_META_EVENT_SEQUENCE, db=dbs.meta)
    return 0 if raw is None else int.from_bytes(raw, "big")


def _read_undo_floor(txn: lmdb.Transaction, dbs: _Dbs) -> int:
    raw = txn.get(_META_UNDO_FLOOR, db=dbs.meta)
    return 0 if raw is None else int.from_bytes(raw, "big")


def _upgrade(txn: lmdb.Transaction, dbs: _Dbs) -> None:
    """Format 2 → 3: the ``undo`` database is new (and empty); the blocks already stored have
    no undo records, so the floor goes above the head."""
    head = _read_head(txn, dbs)
    if head is not None:
        txn.put(_META_UNDO_FLOOR, _u64(head.height + 1), db=dbs.meta)
    txn.put(_META_FORMAT, FORMAT_VERSION.to_bytes(4, "big"), db=dbs.meta)


def _check_consistency(txn: lmdb.Transaction, dbs: _Dbs) -> None:
    """Cheap checks on open: the head's block is stored, the event counter matches the log."""
    head = _read_head(txn, dbs)
    if head is not None:
        height_key = _u64(head.height)
        if (
            txn.get(height_key, db=dbs.blocks) is None
            or txn.get(height_key, db=dbs.block_hashes) != head.block_hash
        ):
            raise StoreCorrupt(f"head {int(head.height)} is not stored")
        with txn.cursor(db=dbs.blocks) as cursor:
            if cursor.last() and cursor.key() != height_key:
                raise StoreCorrupt("a block above the head is stored")
    with txn.cursor(db=dbs.undo) as cursor:
        if cursor.last() and (head is None or int.from_bytes(cursor.key(), "big") > head.height):
            raise StoreCorrupt("an undo record above the head is stored")
    sequence = _read_event_sequence(txn, dbs)
    with txn.cursor(db=dbs.events) as cursor:
        last = int.from_bytes(cursor.key(), "big") if cursor.last() else 0
    if last != sequence:
        raise StoreCorrupt(f"event log ends at {last}, counter says {sequence}")


def _validated_height(height: Height) -> int:
    validate_height(height)
    return int(height)


def _validated_hash(value: Hash32) -> bytes:
    validate_hash(value)
    return bytes(value)
