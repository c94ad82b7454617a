"""What only the LMDB store must do: survive close/reopen, grow its map, survive SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import lmdb
import pytest

from chain.state import (
    LmdbStore,
    StoreCorrupt,
    StoreFull,
    compute_state_root_reference,
    get_state_root,
)
from chain.state.commitment import BUCKET_COUNT, TREE_DEPTH
from chain.types.primitives import Height
from tests.chain.state import crash_writer
from tests.chain.state.helpers import all_rows, commit_writes
from tests.chain.state.test_stores import build_chain, snapshot_of

REPO_ROOT = Path(__file__).resolve().parents[3]


def tree_of(store: LmdbStore) -> list[bytes]:
    return [
        store.get_tree_node(level, i)
        for level in range(TREE_DEPTH + 1)
        for i in range(1 << (TREE_DEPTH - level))
    ]


def test_reopen_finds_everything(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = LmdbStore(path)
    build_chain(store, blocks=4)
    before, tree = snapshot_of(store), tree_of(store)
    store.close()

    reopened = LmdbStore(path)
    try:
        assert snapshot_of(reopened) == before
        assert tree_of(reopened) == tree
        build_chain_next = reopened.head()
        assert build_chain_next is not None
        commit_writes(reopened, {b"after": b"reopen"}, events=[b"e"])  # and it goes on
        assert reopened.event_sequence_head() == before["event_head"] + 1
    finally:
        reopened.close()


def test_map_grows_when_full_and_retries_the_same_commit(tmp_path: Path) -> None:
    store = LmdbStore(tmp_path / "store", map_size=1 << 18)
    try:
        start = store.map_size
        writes = {b"big-%d" % i: bytes([i % 256]) * 2000 for i in range(600)}  # ~1.2 MB
        root = commit_writes(store, writes, events=[b"x" * 1000] * 50)
        assert store.map_size > start
        assert all_rows(store) == writes
        assert get_state_root(store) == root == compute_state_root_reference(writes)
        assert store.event_sequence_head() == 50
    finally:
        store.close()


def test_invalid_growth_with_an_open_view_writes_nothing(tmp_path: Path) -> None:
    store = LmdbStore(tmp_path / "store", map_size=1 << 18)
    try:
        build_chain(store, blocks=1)
        before = snapshot_of(store)
        view = store.read_view()
        with pytest.raises(StoreFull) as caught:
            commit_writes(store, {b"big-%d" % i: b"v" * 2000 for i in range(600)})
        assert caught.value.reason == "map_full"
        view.close()
        assert snapshot_of(store) == before
        commit_writes(store, {b"big-%d" % i: b"v" * 2000 for i in range(600)})  # now it can grow
        head = store.head()
        assert head is not None
        assert head.height == 1
    finally:
        store.close()


def test_invalid_store_format(tmp_path: Path) -> None:
    path = tmp_path / "store"
    LmdbStore(path).close()
    env = lmdb.open(str(path), max_dbs=16)
    with env.begin(write=True) as txn:
        txn.put(b"format", (99).to_bytes(4, "big"), db=env.open_db(b"meta", txn=txn))
    env.close()
    with pytest.raises(StoreCorrupt) as caught:
        LmdbStore(path)
    assert caught.value.reason == "unsupported_format"


def test_invalid_store_event_counter(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = LmdbStore(path)
    build_chain(store, blocks=1)
    store.close()
    env = lmdb.open(str(path), max_dbs=16)
    with env.begin(write=True) as txn:
        txn.put(b"event_seq", (7).to_bytes(8, "big"), db=env.open_db(b"meta", txn=txn))
    env.close()
    with pytest.raises(StoreCorrupt):
        LmdbStore(path)


def test_readers_in_another_process_do_not_block_the_writer(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = LmdbStore(path)
    try:
        commit_writes(store, {b"a": b"1"})
        reader = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys, lmdb\n"
                f"env = lmdb.open({str(path)!r}, max_dbs=16, readonly=True, lock=True)\n"
                "txn = env.begin()\n"
                "print('reading', flush=True)\n"
                "sys.stdin.readline()\n",
            ],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert reader.stdout is not None
            assert reader.stdout.readline().strip() == "reading"
            for _ in range(3):
                commit_writes(store, {b"a": b"2"})  # returns while the reader holds its snapshot
        finally:
            reader.communicate("done\n", timeout=30)
        head = store.head()
        assert head is not None
        assert head.height == 3
    finally:
        store.close()


# -- crash -------------------------------------------------------------------------------------


def check_consistent(path: Path) -> int:
    """Reopen after a crash; everything up to the head is whole. Returns the head height."""
    store = LmdbStore(path)
    try:
        head = store.head()
        assert head is not None
        top = int(head.height)
        assert head.block_hash == crash_writer.block_hash(top)
        for height in range(top + 1):
            block = store.get_block_bytes(Height(height))
            assert block is not None
            assert block[:8] == height.to_bytes(8, "big")
            assert store.get_height_by_hash(crash_writer.block_hash(height)) == height
            receipt = store.get_receipt(crash_writer.tx_id(height))
            assert receipt is not None
            assert receipt.height == height
        assert store.get_block_bytes(Height(top + 1)) is None

        rows = all_rows(store)
        assert rows == crash_writer.expected_rows(top)
        root = compute_state_root_reference(rows)
        assert get_state_root(store) == root
        head_block = store.get_block_bytes(Height(top))
        assert head_block is not None
        assert head_block[8:] == root

        events = store.iter_events(0, 1_000_000)
        assert [e.sequence for e in events] == list(range(1, len(events) + 1))
        assert store.event_sequence_head() == len(events) == crash_writer.EVENTS_PER_BLOCK * (top + 1)
        assert [e.event for e in events] == [
            ev for h in range(top + 1) for ev in crash_writer.block_events(h)
        ]
        assert sum(1 for b in range(BUCKET_COUNT) for _ in store.iter_bucket(b)) == len(rows)
        return top
    finally:
        store.close()


# Seconds to wait after the child announces a commit before killing it: the commit
# (recompute the root, write ~4,500 rows, fsync) takes 40-150 ms, so the kills land before,
# inside and at the end of the write transaction.
KILL_DELAYS = (0.0, 0.005, 0.02, 0.04, 0.07, 0.1)


@pytest.mark.parametrize("done_before_kill", [1, 3])
def test_sigkill_mid_commit_leaves_the_last_block_whole(tmp_path: Path, done_before_kill: int) -> None:
    """A child commits blocks in a loop and is SIGKILLed while committing; one round per
    delay, each resuming from the head the previous crash left."""
    path = tmp_path / "store"
    heads, killed_inside = [], 0
    for delay in KILL_DELAYS:
        child = subprocess.Popen(
            [sys.executable, "-c", f"from tests.chain.state.crash_writer import run; run({str(path)!r})"],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        assert child.stdout is not None
        done = 0
        while True:
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else "child exited"
            if line.startswith("done"):
                done += 1
            elif done >= done_before_kill:  # "begin h": the child is entering commit_block
                began = int(line.split()[1])
                break
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        heads.append(check_consistent(path))
        assert heads[-1] in (began - 1, began)  # the interrupted block is all there or absent
        killed_inside += heads[-1] == began - 1
    assert heads == sorted(heads)
    assert killed_inside >= 1, "no kill landed inside a commit: the test did not test a crash"
