"""Poseidon (Hades252) benchmark: permutations, Merkle4 node hashes and 2-input hashes per second.

    .venv/bin/python bench/bench_poseidon.py            # defaults: n = 500 per run, 5 runs
    .venv/bin/python bench/bench_poseidon.py --n 200 --runs 3

Pure Python, one core. Each figure is the median over ``--runs`` runs of ``--n`` calls (one
warm-up run first); wall time and CPU time are both printed, since on a shared machine wall
time also counts waiting for the core. Inputs are fixed (derived from SHA-256 of a counter):
the script uses no randomness. Prints figures; not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chain.crypto import poseidon  # noqa: E402


def element(i: int) -> int:
    """A fixed field element from the counter ``i``."""
    return int.from_bytes(hashlib.sha256(i.to_bytes(8, "little")).digest(), "little") % poseidon.MODULUS


def rate(action: Callable[[int], object], n: int, runs: int) -> tuple[float, float]:
    """Median calls per second over ``runs`` runs of ``n`` calls: (wall, CPU)."""
    for i in range(min(n, 20)):
        action(i)
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(n):
            action(i)
        walls.append(n / (time.perf_counter() - wall))
        cpus.append(n / (time.process_time() - cpu))
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="calls per run")
    parser.add_argument("--runs", type=int, default=5, help="runs (the median is printed)")
    args = parser.parse_args()

    pool = [element(i) for i in range(64)]
    states = [[pool[(i + k) % 64] for k in range(5)] for i in range(64)]
    fours = [[pool[(i + k) % 64] for k in range(4)] for i in range(64)]
    pairs = [[pool[i % 64], pool[(i + 7) % 64]] for i in range(64)]

    cases: list[tuple[str, Callable[[int], object]]] = [
        ("Hades252 permutation", lambda i: poseidon.permute(states[i % 64])),
        ("merkle4_hash (1 permutation)", lambda i: poseidon.merkle4_hash(fours[i % 64])),
        ("hash(2 inputs, Other)", lambda i: poseidon.hash(pairs[i % 64], poseidon.Domain.OTHER)),
    ]
    print(f"Python {platform.python_version()} on {platform.machine()}, n = {args.n}, runs = {args.runs}")
    for name, action in cases:
        wall, cpu = rate(action, args.n, args.runs)
        print(f"{name:32s} {wall:10,.0f} /s wall  {cpu:10,.0f} /s CPU  ({1e6 / cpu:,.0f} µs each, CPU)")


if __name__ == "__main__":
    main()
