"""Jubjub benchmark (chain.crypto.jubjub, pure Python): scalar multiplications per second.

    .venv/bin/python bench/bench_jubjub.py              # defaults: n = 200, 5 runs
    .venv/bin/python bench/bench_jubjub.py --n 50 --runs 3

Prints, each the median of ``--runs`` runs of ``--n`` operations (one warm-up run first), wall
and CPU time (single-threaded: CPU time is the "on one core" figure and stays honest on a shared
machine):

- ``[k]P`` for full-size scalars ``k`` in ``[0, r_J)`` on a subgroup point (variable base);
- ``Point.from_bytes`` with the subgroup check (one ``[r_J]P`` each);
- ``value_commitment(v, b)`` (two scalar multiplications and an addition).

The scalars come from SHA-256 of a counter: no randomness, the same inputs every run.
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

from chain.crypto.jubjub import GENERATOR, GENERATOR_NUMS, R_J, Point  # noqa: E402
from chain.crypto.pedersen import MAX_VALUE, value_commitment  # noqa: E402


def scalars(count: int, tag: bytes) -> list[int]:
    """``count`` deterministic scalars in ``[0, r_J)``."""
    return [
        int.from_bytes(hashlib.sha256(tag + i.to_bytes(8, "little")).digest(), "little") % R_J
        for i in range(count)
    ]


def median_rate(action: Callable[[], object], count: int, runs: int) -> tuple[float, float]:
    """Median operations per second over ``runs`` calls of ``action`` (``count`` operations
    each), by wall time and by CPU time; one warm-up call first."""
    action()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return count / statistics.median(walls), count / statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="operations per run")
    parser.add_argument("--runs", type=int, default=5, help="runs; the median is printed")
    args = parser.parse_args()
    n, runs = args.n, args.runs

    ks = scalars(n, b"k")
    base = GENERATOR_NUMS * 0x1234567
    encoded = [(GENERATOR * k).to_bytes() for k in ks]
    values = [k % (MAX_VALUE + 1) for k in scalars(n, b"v")]
    blinders = scalars(n, b"b")

    def scalar_mults() -> None:
        for k in ks:
            base * k

    def decodes() -> None:
        for data in encoded:
            Point.from_bytes(data)

    def commitments() -> None:
        for value, blinder in zip(values, blinders, strict=True):
            value_commitment(value, blinder)

    print(f"Python {platform.python_version()} on {platform.machine()}; n = {n}, median of {runs} runs")
    for label, action in (
        ("scalar multiplication [k]P", scalar_mults),
        ("from_bytes (subgroup check)", decodes),
        ("value_commitment(v, b)", commitments),
    ):
        wall, cpu = median_rate(action, n, runs)
        print(f"{label:30} {wall:8.0f}/s wall  {cpu:8.0f}/s CPU  ({1000 / cpu:.2f} ms each on one core)")


if __name__ == "__main__":
    main()
