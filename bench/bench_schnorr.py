"""Schnorr benchmark (chain.crypto.schnorr, pure Python): signs and verifies per second.

    .venv/bin/python bench/bench_schnorr.py              # defaults: n = 50, 5 runs
    .venv/bin/python bench/bench_schnorr.py --n 20 --runs 3

Prints, each the median of ``--runs`` runs of ``--n`` operations (one warm-up run first), wall
and CPU time (single-threaded: CPU time is the "on one core" figure):

- ``sign`` and ``verify`` (single: ``u·G + c·PK == R``, both points subgroup-checked);
- ``sign_double`` and ``verify_double`` (two equations, four points checked).

Keys, messages and nonce bytes come from SHA-256/SHA-512 of a counter: no randomness, the same
inputs every run.
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

from chain.crypto import schnorr  # noqa: E402
from chain.crypto.jubjub import R_J  # noqa: E402
from chain.crypto.poseidon import MODULUS  # noqa: E402


def _digest(tag: bytes, i: int) -> int:
    return int.from_bytes(hashlib.sha256(tag + i.to_bytes(8, "little")).digest(), "little")


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
    parser.add_argument("--n", type=int, default=50, help="operations per run")
    parser.add_argument("--runs", type=int, default=5, help="runs; the median is printed")
    args = parser.parse_args()
    n, runs = args.n, args.runs

    sks = [_digest(b"sk", i) % (R_J - 1) + 1 for i in range(n)]
    messages = [_digest(b"m", i) % MODULUS for i in range(n)]
    randoms = [hashlib.sha512(b"r" + i.to_bytes(8, "little")).digest() for i in range(n)]
    pks = [schnorr.public_key(sk) for sk in sks]
    pks_double = [schnorr.public_key_double(sk) for sk in sks]
    sigs = [schnorr.sign(*args) for args in zip(sks, messages, randoms, strict=True)]
    sigs_double = [schnorr.sign_double(*args) for args in zip(sks, messages, randoms, strict=True)]

    def sign() -> None:
        for sk, m, r in zip(sks, messages, randoms, strict=True):
            schnorr.sign(sk, m, r)

    def verify() -> None:
        for pk, sig, m in zip(pks, sigs, messages, strict=True):
            assert schnorr.verify(pk, sig, m)

    def sign_double() -> None:
        for sk, m, r in zip(sks, messages, randoms, strict=True):
            schnorr.sign_double(sk, m, r)

    def verify_double() -> None:
        for pk, sig, m in zip(pks_double, sigs_double, messages, strict=True):
            assert schnorr.verify_double(pk, sig, m)

    print(f"Python {platform.python_version()} on {platform.machine()}; n = {n}, median of {runs} runs")
    for label, action in (
        ("sign", sign),
        ("verify", verify),
        ("sign_double", sign_double),
        ("verify_double", verify_double),
    ):
        wall, cpu = median_rate(action, n, runs)
        print(f"{label:15} {wall:8.0f}/s wall  {cpu:8.0f}/s CPU  ({1000 / cpu:.2f} ms each on one core)")


if __name__ == "__main__":
    main()
