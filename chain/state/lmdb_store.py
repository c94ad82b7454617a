"""The node's store: blocks, indexes, state rows, the commitment tree, receipts and events in
one LMDB environment, one write transaction per block (DESIGN.md, Chain decisions: State).

Layout (named sub-databases of the environment at ``path``; integers big-endian so that
LMDB's bytewise order is numeric order)::

    meta           b"format" → u32 | b"head" → height:u64 ‖ hash[32] | b"event_seq" → u64
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

Durability: the environment is opened with ``sync=True, metasync=True``; LMDB's copy-on-write
B-trees make each commit atomic, so a crash at any point leaves the last committed block whole.
Readers (``read_view``) run in their own MVCC snapshots and never block the writer.

When a commit hits ``MapFullError`` the transaction is aborted, the map is doubled and the same
commit is retried. LMDB allows resizing only while this process has no open transaction, so
growth fails with :class:`~chain.state.exceptions.StoreFull` if read views are open then.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

import lmdb

from chain.state.abc import Head, StateReadAPI, StateViewAPI, StoreAPI, StoredEvent, StoredReceipt
from chain.state.commit import (
    validate_bucket,
    validate_commit_arguments,
    validate_commit_height,
    validate_event_page,
    validate_hash,
    validate_height,
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
FORMAT_VERSION: Final = 2
#: Doublings of the map tried for one commit before giving up with ``StoreFull``.
MAX_MAP_GROWTHS: Final = 8

_LEAF_BYTES: Final = 64
_META_FORMAT: Final = b"format"
_META_HEAD: Final = b"head"
_META_EVENT_SEQUENCE: Final = b"event_seq"
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


def _u64(value: int) -> bytes:
    return value.to_bytes(8, "big")


def _row_key(key: bytes) -> bytes:
    return compute_bucket(key).to_bytes(2, "big") + key


def _node_key(level: int, index: int) -> bytes:
    return bytes((level,)) + index.to_bytes(2, "big")


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
        )
        for _ in range(MAX_MAP_GROWTHS + 1):
            try:
                # One write transaction: committed on a normal exit, aborted on any exception.
                with self._env.begin(write=True) as txn:
                    self._write_block(
                        txn,
                        height=height,
                        block_hash=block_hash,
                        block_bytes=block_bytes,
                        state_writes=state_writes,
                        receipts=receipts,
                        events=events,
                        state_root=state_root,
                    )
                return
            except lmdb.MapFullError:
                self._grow()
        raise StoreFull(f"block {int(height)} does not fit after {MAX_MAP_GROWTHS} map doublings")

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
        sequence = _read_event_sequence(txn, dbs)
        for event in events:
            sequence += 1
            txn.put(_u64(sequence), event, db=dbs.events, append=True)
        txn.put(_META_EVENT_SEQUENCE, _u64(sequence), db=dbs.meta)
        txn.put(_META_HEAD, height_key + block_hash, db=dbs.meta)

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
