"""Shared pieces of the benchmarks: the timing loop and a store whose height 0 holds rows
written by the caller (bench/bench_note_tree.py, bench/bench_nullifiers.py), and the line that
prints a sample of durations (bench/bench_phoenix.py, bench/bench_citadel.py). Not a test."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from chain.state import LmdbStore
from chain.state.commitment import compute_state_update
from chain.state.state import State
from chain.types.primitives import Hash32, Height


def timed(action: Callable[[], object], n: int, runs: int) -> tuple[float, float]:
    """Median seconds per call over ``runs`` runs of ``n`` calls: (wall, CPU)."""
    for _ in range(min(n, 10)):
        action()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            action()
        walls.append((time.perf_counter() - wall) / n)
        cpus.append((time.process_time() - cpu) / n)
    return statistics.median(walls), statistics.median(cpus)


def format_ms(values: list[float]) -> str:
    """Seconds as ``median X ms (min Y, max Z)``."""
    low, high = min(values) * 1e3, max(values) * 1e3
    return f"median {statistics.median(values) * 1e3:.1f} ms (min {low:.1f}, max {high:.1f})"


def commit_at_height_0(store: LmdbStore, fill: Callable[[State], object]) -> None:
    """Run ``fill`` on a ``State`` over ``store`` and commit what it wrote as block 0 (with
    its state root), so that later reads of those rows go to LMDB, as in a node."""
    with store.read_view() as view:
        state = State(view)
        fill(state)
        writes = state.pending_writes()
        root = compute_state_update(view, writes).root
    store.commit_block(
        height=Height(0),
        block_hash=Hash32(bytes(32)),
        block_bytes=b"bench",
        state_writes=writes,
        receipts=(),
        events=(),
        state_root=root,
    )
