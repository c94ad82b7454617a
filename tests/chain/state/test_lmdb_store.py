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
    RevertRefused,
    StoreCorrupt,
    StoreFull,
    compute_state_root_reference,
    get_state_root,
)
from chain.state.commitment import BUCKET_COUNT, TREE_DEPTH
from chain.types.primitives import Height
from tests.chain.state import crash_writer
from tests.chain.state.helpers import all_rows, commit_writes, make_block_hash
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


def test_undo_records_survive_reopen(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = LmdbStore(path)
    build_chain(store, blocks=2)
    after_one = snapshot_of(store)
    head_one = store.head()
    commit_writes(store, {b"row-0": None, b"shared": b"late"}, events=[b"late"])
    store.prune_undo(Height(1))
    store.close()

    with LmdbStore(path) as reopened:
        assert reopened.undo_floor() == 1
        assert head_one is not None
        assert reopened.revert_head(expected_hash=make_block_hash(2)) == head_one
        assert snapshot_of(reopened) == after_one
        assert reopened.revert_head(expected_hash=make_block_hash(1)).height == 0


def test_format_2_store_is_upgraded_without_undo_records(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = LmdbStore(path)
    build_chain(store, blocks=3)
    before = snapshot_of(store)
    store.close()
    env = lmdb.open(str(path), max_dbs=16)  # make it look like format 2: no undo records
    with env.begin(write=True) as txn:
        txn.put(b"format", (2).to_bytes(4, "big"), db=env.open_db(b"meta", txn=txn))
        txn.drop(env.open_db(b"undo", txn=txn), delete=True)
    env.close()

    with LmdbStore(path) as upgraded:
        assert snapshot_of(upgraded) == before
        assert upgraded.undo_floor() == 3
        with pytest.raises(RevertRefused) as caught:
            upgraded.revert_head(expected_hash=make_block_hash(2))
        assert caught.value.reason == "no_undo_record"
        assert snapshot_of(upgraded) == before
        commit_writes(upgraded, {b"new": b"block"})  # blocks committed now can be reverted
        assert upgraded.revert_head(expected_hash=make_block_hash(3)).height == 2
        assert snapshot_of(upgraded) == before
    env = lmdb.open(str(path), max_dbs=16, readonly=True)
    with env.begin() as txn:
        assert txn.get(b"format", db=env.open_db(b"meta", txn=txn)) == (3).to_bytes(4, "big")
    env.close()


def test_invalid_store_undo_record_above_head(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = LmdbStore(path)
    build_chain(store, blocks=2)
    store.close()
    env = lmdb.open(str(path), max_dbs=16)
    with env.begin(write=True) as txn:
        txn.put((5).to_bytes(8, "big"), b"stale", db=env.open_db(b"undo", txn=txn))
    env.close()
    with pytest.raises(StoreCorrupt):
        LmdbStore(path)


def test_invalid_store_undo_record_for_another_block(tmp_path: Path) -> None:
    path = tmp_path / "store"
    store = LmdbStore(path)
    build_chain(store, blocks=3)
    store.close()
    env = lmdb.open(str(path), max_dbs=16)
    with env.begin(write=True) as txn:
        undo = env.open_db(b"undo", txn=txn)
        other = txn.get((1).to_bytes(8, "big"), db=undo)
        assert other is not None
        txn.put((2).to_bytes(8, "big"), other, db=undo)
    env.close()
    with LmdbStore(path) as damaged:
        before = snapshot_of(damaged)
        with pytest.raises(StoreCorrupt):
            damaged.revert_head(expected_hash=make_block_hash(2))
        assert snapshot_of(damaged) == before


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
        heads.append(check_consistent(path))  # whole, wherever the kill landed
        # Block ``began`` is all there or absent; on a loaded machine the kill may land
        # later still, after more whole blocks, which proves nothing about ``began``.
        assert heads[-1] >= began - 1
        killed_inside += heads[-1] == began - 1
    assert heads == sorted(heads)
    assert killed_inside >= 1, "no kill landed inside a commit: the test did not test a crash"


# Reverts of a 1,500-row block take 20-70 ms (restore rows and nodes, delete the rest, fsync).
REVERT_KILL_DELAYS = (0.0, 0.003, 0.008, 0.015, 0.025, 0.04, 0.06)


def test_sigkill_mid_revert_leaves_the_store_before_or_after_it(tmp_path: Path) -> None:
    """A child reverts the head and commits it again in a loop and is SIGKILLed right after
    starting a revert; after each kill the store is whole at the reverted block or at its
    parent, and the next round (a new child) reverts and commits from there."""
    path = tmp_path / "store"
    interrupted = 0
    for delay in REVERT_KILL_DELAYS:
        child = subprocess.Popen(
            [
                sys.executable,
                "-c",
                f"from tests.chain.state.crash_writer import run_reverts; run_reverts({str(path)!r})",
            ],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        )
        assert child.stdout is not None
        reverts_done = 0
        while True:
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else "child exited"
            if line.startswith("done revert"):
                reverts_done += 1
            elif line.startswith("begin revert") and reverts_done >= 1:
                reverting = int(line.split()[2])
                break
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert child.returncode == -signal.SIGKILL
        rest = child.stdout.read()
        top = check_consistent(path)
        assert top in (reverting - 1, reverting)
        reverted = f"done revert {reverting}" in rest.splitlines()
        if top == reverting and not reverted:
            interrupted += 1  # the revert never committed: the store is whole before it
        with LmdbStore(path) as store:  # nothing of the reverted block is left over
            assert store.get_block_bytes(Height(top + 1)) is None
            assert store.get_height_by_hash(crash_writer.block_hash(top + 1)) is None
            assert store.get_receipt(crash_writer.tx_id(top + 1)) is None
    assert interrupted >= 1, "no kill landed before a revert committed: the test did not test a crash"

    with LmdbStore(path) as store:  # the undo records survived the crashes: revert in-process
        head = store.head()
        assert head is not None
        store.revert_head(expected_hash=head.block_hash)
    assert check_consistent(path) == head.height - 1
