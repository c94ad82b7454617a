"""Nullifier set benchmark (chain/state/nullifiers.py): spends and lookups, for the gas prices
of ``nullifier_spend`` and ``nullifier_spent`` (docs/vm-abi.md "Nullifier set").

    .venv/bin/python bench/bench_nullifiers.py                 # n = 500 per run, 5 runs
    .venv/bin/python bench/bench_nullifiers.py --n 300 --runs 7 --base 5000

Pure Python, one core. The spends run on a ``State`` over an LMDB store that already holds
``--base`` committed nullifiers (so lookups of them go to LMDB, as in a node); the run's own
spends stay in the overlay. Each figure is the median over ``--runs`` runs (one warm-up first)
of wall time and CPU time; on a shared machine CPU time is the figure to price with, as a
ratio to a BLS ``Verify`` timed in the same run (bench/bench_note_tree.py does the same). The
last row is the state-root update the node computes for the run's new rows at block commit,
per row (``compute_state_update``).
Nullifiers are fixed (SHA-256 of a counter mod r); no randomness. Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import commit_at_height_0, timed  # noqa: E402

from chain.crypto import bls12_381 as bls  # noqa: E402
from chain.crypto.poseidon import MODULUS  # noqa: E402
from chain.state import LmdbStore  # noqa: E402
from chain.state.commitment import compute_state_update  # noqa: E402
from chain.state.exceptions import NullifierAlreadySpent  # noqa: E402
from chain.state.nullifiers import NullifierSet  # noqa: E402
from chain.state.state import State  # noqa: E402

#: What the host query ``verify_bls`` costs (chain/vm/session.py ``BLS_VERIFY_GAS``).
BLS_VERIFY_GAS = 2_000_000


def nullifier(i: int) -> bytes:
    value = int.from_bytes(hashlib.sha256(b"nullifier" + i.to_bytes(8, "little")).digest(), "little")
    return (value % MODULUS).to_bytes(32, "little")


def state_of(nullifiers: NullifierSet) -> State:
    return nullifiers._state  # noqa: SLF001 - the bench reads the overlay it wrote through


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="calls per run")
    parser.add_argument("--runs", type=int, default=5, help="runs (the median is printed)")
    parser.add_argument("--base", type=int, default=2000, help="nullifiers committed before measuring")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, base {args.base} nullifiers")

    with tempfile.TemporaryDirectory(prefix="gloam-bench-nullifiers-") as directory:
        store = LmdbStore(Path(directory) / "store", map_size=1 << 30)
        try:

            def spend_base(state: State) -> None:
                for start in range(0, args.base, 4):
                    NullifierSet(state).spend(
                        [nullifier(i) for i in range(start, min(start + 4, args.base))], height=0
                    )

            commit_at_height_0(store, spend_base)
            with store.read_view() as view:
                nullifiers = NullifierSet(State(view))
                counter = iter(range(args.base, 1 << 40))
                committed = iter(range(1 << 40))
                secret = bls.KeyGen(hashlib.sha256(b"bench-nullifiers").digest())
                pk, message = bls.SkToPk(secret), b"nullifier bench"
                signature = bls.Sign(secret, message)

                def double_spend() -> None:
                    try:
                        nullifiers.spend(
                            [nullifier(next(counter)), nullifier(next(committed) % args.base)], height=1
                        )
                    except NullifierAlreadySpent:
                        return
                    raise AssertionError("a committed nullifier was spent again")

                results = {
                    "verify_bls": timed(lambda: bls.Verify(pk, message, signature), args.n // 10, args.runs),
                    "spend 1": timed(
                        lambda: nullifiers.spend([nullifier(next(counter))], height=1), args.n, args.runs
                    ),
                    "spend 4": timed(
                        lambda: nullifiers.spend([nullifier(next(counter)) for _ in range(4)], height=1),
                        args.n,
                        args.runs,
                    ),
                    "refused (2, 2nd spent)": timed(double_spend, args.n, args.runs),
                    "is_spent (LMDB hit)": timed(
                        lambda: nullifiers.is_spent(nullifier(next(committed) % args.base)), args.n, args.runs
                    ),
                    "is_spent (miss)": timed(
                        lambda: nullifiers.is_spent(nullifier(next(counter))), args.n, args.runs
                    ),
                    "sha256 (in the keys)": timed(lambda: nullifier(next(counter)), args.n, args.runs),
                }
                # What the node pays per new row when it commits the block: the state root
                # update over the rows this run spent (thousands), per row.
                run_writes = state_of(nullifiers).pending_writes()
                wall, cpu = time.perf_counter(), time.process_time()
                compute_state_update(view, run_writes)
                rows = len(run_writes)
                results[f"root update / row ({rows})"] = (
                    (time.perf_counter() - wall) / rows,
                    (time.process_time() - cpu) / rows,
                )
        finally:
            store.close()

    bls_cpu = results["verify_bls"][1]
    print(f"{'operation':24} {'wall':>12} {'CPU':>12} {'gas by BLS':>12}")
    for name, (wall, cpu) in results.items():
        print(f"{name:24} {wall * 1e6:10.1f}us {cpu * 1e6:10.1f}us {BLS_VERIFY_GAS * cpu / bls_cpu:12,.0f}")
    print(
        "'gas by BLS': 2,000,000 x (CPU time / verify_bls CPU time in this run). The figures include"
        " making the test nullifiers (one SHA-256 each, 'sha256' row), which the host does not do."
    )


if __name__ == "__main__":
    main()
