"""Note tree benchmark (chain/state/note_tree.py): appends, roots, openings, verifications.

    .venv/bin/python bench/bench_note_tree.py                 # n = 200 per run, 5 runs
    .venv/bin/python bench/bench_note_tree.py --n 100 --runs 7 --base 1000

Depth 17, pure Python, one core. An append hashes 17 Merkle4 nodes (one Hades252 permutation
each) and reads up to 3 left siblings per level; it runs on a ``State`` over an LMDB store that
already holds ``--base`` committed leaves (so reads go to LMDB, as in a node), the run's own
appends staying in the overlay. Each figure is the median over ``--runs`` runs (one warm-up
first) of wall time and CPU time; on a shared machine CPU time is the figure to price with.

Gas columns: at ``verify_bls``'s 0.74 gas/ns (docs/vm-abi.md), and the same price as a ratio
to a BLS ``Verify`` timed in the same run (robust to the load, which inflates CPU time on this
shared virtual machine); the last column is each time in units of one ``merkle4_hash`` of the
same run. Leaves are fixed (SHA-256 of a counter mod r); no randomness. Prints figures; not a
test.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchlib import commit_at_height_0, timed  # noqa: E402

from chain.crypto import bls12_381 as bls  # noqa: E402
from chain.crypto.poseidon import MODULUS, merkle4_hash  # noqa: E402
from chain.state import LmdbStore  # noqa: E402
from chain.state.note_tree import NoteTree, verify_opening  # noqa: E402
from chain.state.state import State  # noqa: E402

GAS_PER_NS = 0.74
#: What the host query ``verify_bls`` costs (chain/vm/session.py ``BLS_VERIFY_GAS``).
BLS_VERIFY_GAS = 2_000_000


def leaf(i: int) -> bytes:
    value = int.from_bytes(hashlib.sha256(i.to_bytes(8, "little")).digest(), "little") % MODULUS
    return value.to_bytes(32, "little")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="calls per run")
    parser.add_argument("--runs", type=int, default=5, help="runs (the median is printed)")
    parser.add_argument("--base", type=int, default=500, help="leaves committed before measuring")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, depth 17, base {args.base} leaves")

    with tempfile.TemporaryDirectory(prefix="gloam-bench-notes-") as directory:
        store = LmdbStore(Path(directory) / "store", map_size=1 << 30)
        try:

            def append_base(state: State) -> None:
                tree = NoteTree(state)
                for i in range(args.base):
                    tree.append(leaf(i), height=0)

            commit_at_height_0(store, append_base)
            with store.read_view() as view:
                state = State(view)
                tree = NoteTree(state)
                counter = iter(range(args.base, 1 << 40))
                four = [int.from_bytes(leaf(i), "little") for i in range(4)]
                secret = bls.KeyGen(hashlib.sha256(b"bench-note-tree").digest())
                pk, message = bls.SkToPk(secret), b"note tree bench"
                signature = bls.Sign(secret, message)
                results = {
                    "verify_bls": timed(lambda: bls.Verify(pk, message, signature), args.n, args.runs),
                    "merkle4_hash": timed(lambda: merkle4_hash(four), args.n, args.runs),
                    "append": timed(lambda: tree.append(leaf(next(counter)), height=1), args.n, args.runs),
                    "root": timed(tree.root, args.n * 10, args.runs),
                    "size": timed(tree.size, args.n * 10, args.runs),
                }
                positions = iter(range(1 << 40))
                results["opening"] = timed(
                    lambda: tree.opening(next(positions) % args.base), args.n, args.runs
                )
                current = tree.root()
                samples = [(p, leaf(p), tree.opening(p)) for p in range(min(args.base, 64))]
                cycle = iter(range(1 << 40))

                def verify() -> None:
                    p, value, opening = samples[next(cycle) % len(samples)]
                    assert verify_opening(current, value, p, opening)  # noqa: S101 - a bench sanity check

                results["verify_opening"] = timed(verify, args.n, args.runs)
                results["is_known_root"] = timed(
                    lambda: tree.is_known_root(current, height=2), args.n * 10, args.runs
                )
        finally:
            store.close()

    unit = results["merkle4_hash"][1]
    bls_cpu = results["verify_bls"][1]
    print(
        f"{'operation':16} {'wall':>12} {'CPU':>12} {'per s (CPU)':>12} {'gas @0.74/ns':>14}"
        f" {'gas by BLS':>12} {'/ merkle4':>10}"
    )
    for name, (wall, cpu) in results.items():
        print(
            f"{name:16} {wall * 1e6:10.1f}us {cpu * 1e6:10.1f}us {1 / cpu:12.0f}"
            f" {cpu * 1e9 * GAS_PER_NS:14,.0f} {BLS_VERIFY_GAS * cpu / bls_cpu:12,.0f} {cpu / unit:10.3f}"
        )
    print(
        "'gas by BLS': 2,000,000 x (CPU time / verify_bls CPU time in this run), the 0.74 gas/ns rate"
        " anchored to the verify_bls price at this run's load; '/ merkle4': CPU time in units of"
        " one merkle4_hash of this run."
    )


if __name__ == "__main__":
    main()
