"""Benchmark of ``chain.state`` on LMDB: prints medians; asserts nothing about speed.

Figures:
1. ``compute_state_root`` of a block of 1,000 account writes with 100,000 accounts committed;
2. ``commit_block`` latency of that block (root re-verified, rows, tree, indexes, fsync);
3. reopen time of a store holding 100,000 accounts (open + head + first read).

Usage: ``.venv/bin/python bench/bench_state.py [--runs N] [--accounts N]``; results go to
``docs/benchmarks.md``.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import lmdb

from chain.crypto.hashes import sha3_256
from chain.state import Account, LmdbStore, State, compute_account_key
from chain.types.primitives import BlsPublicKey, Hash32, Height, Lux, Nonce

BLOCK_WRITES = 1_000


def make_pk(i: int) -> BlsPublicKey:
    return BlsPublicKey(sha3_256(i.to_bytes(8, "big")) + bytes(16))


def commit(store: LmdbStore, height: int, writes: Mapping[bytes, bytes | None], root: Hash32) -> None:
    store.commit_block(
        height=Height(height),
        block_hash=Hash32(sha3_256(b"bench" + height.to_bytes(8, "big"))),
        block_bytes=b"block %d" % height,
        state_writes=writes,
        receipts=(),
        events=(),
        state_root=root,
    )


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--accounts", type=int, default=100_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="gloam-bench-state-") as directory:
        path = Path(directory) / "store"
        store = LmdbStore(path)
        started = time.perf_counter()
        for first in range(0, args.accounts, 10_000):  # genesis plus filler blocks of 10,000
            with store.read_view() as view:
                state = State(view)
                for i in range(first, min(first + 10_000, args.accounts)):
                    state.set_account(make_pk(i), Account(Nonce(0), Lux(10**12 + i)))
                writes, root = state.pending_writes(), state.compute_state_root()
            commit(store, first // 10_000, writes, root)  # views closed: the map may grow
        setup = time.perf_counter() - started

        root_times, commit_times, apply_times = [], [], []
        height = -(-args.accounts // 10_000)
        for run in range(args.runs):
            with store.read_view() as view:
                state = State(view)

                def apply_block(state: State = state, run: int = run) -> None:
                    # Half transfers between existing accounts, half new accounts.
                    for j in range(BLOCK_WRITES // 2):
                        pk = make_pk((run * 7919 + j * 13) % args.accounts)
                        account = state.get_account(pk)
                        state.set_account(pk, Account(Nonce(account.nonce + 1), Lux(account.balance - 1)))
                    for j in range(BLOCK_WRITES - BLOCK_WRITES // 2):
                        state.set_account(
                            make_pk(args.accounts + run * BLOCK_WRITES + j), Account(Nonce(0), Lux(1))
                        )

                apply_times.append(timed(apply_block))
                root_times.append(timed(state.compute_state_root))
                writes, root = state.pending_writes(), state.compute_state_root()
            commit_times.append(timed(lambda: commit(store, height, writes, root)))  # noqa: B023
            height += 1
        store.close()

        reopen_times = []
        probe = compute_account_key(make_pk(1))
        for _ in range(args.runs):

            def reopen() -> None:
                reopened = LmdbStore(path)
                reopened.head()
                reopened.get(probe)
                reopened.close()

            reopen_times.append(timed(reopen))
        size = sum(f.stat().st_size for f in path.iterdir())

    def ms(values: list[float]) -> str:
        median, low, high = (1000 * f(values) for f in (statistics.median, min, max))
        return f"{median:8.1f} ms (min {low:.1f}, max {high:.1f})"

    print(
        f"chain.state on LMDB {'.'.join(map(str, lmdb.version()))}, py-lmdb {lmdb.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()}"
    )
    print(
        f"setup: {args.accounts:,} accounts committed in {setup:.1f} s; store {size / 2**20:.1f} MiB on disk"
    )
    print(
        f"block: {len(writes):,} account writes ({BLOCK_WRITES // 2} updated, "
        f"{BLOCK_WRITES - BLOCK_WRITES // 2} new); "
        f"median of {args.runs} runs"
    )
    print(f"  apply 1,000 account writes to State         {ms(apply_times)}")
    print(f"  compute_state_root (100k committed)          {ms(root_times)}")
    print(f"  commit_block to LMDB (verify root + fsync)   {ms(commit_times)}")
    print(f"  reopen store with {args.accounts:,} accounts          {ms(reopen_times)}")


if __name__ == "__main__":
    main()
