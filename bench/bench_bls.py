"""BLS12-381 benchmark: single Verify and batch_verify on both backends. Prints figures; not a test.

    .venv/bin/python bench/bench_bls.py                 # defaults: n = 1000, 5 runs
    .venv/bin/python bench/bench_bls.py --n 200 --runs 3 --skip-py-ecc

Every call is single-threaded (the library does not use a thread pool: CPU time equals wall
time on an idle machine), so the CPU-time column is the "on one core" figure, and it stays
honest on a shared machine where wall time also counts waiting; ``--pin CPU`` pins the
process. The target is 1,000 signatures in under 1 s on one core. Each figure is the median
of ``--runs`` runs.
On arkworks it also times the parts of a batch separately, so that the floor is visible.
py_ecc is measured on a small batch and extrapolated linearly; those lines say so.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from py_arkworks_bls12381 import GT, G1Point, G2Point  # noqa: E402

from chain.crypto.bls12_381 import BlsBackendAPI, get_backend  # noqa: E402
from chain.crypto.bls12_381.ciphersuite import CIPHERSUITE_ID  # noqa: E402
from chain.types.primitives import BlsPublicKey, BlsSignature  # noqa: E402

Triple = tuple[BlsPublicKey, bytes, BlsSignature]


def median_seconds(action: Callable[[], object], runs: int) -> float:
    """Median wall time of ``runs`` calls of ``action`` (one warm-up call first).

    The median CPU time of the same calls is kept in ``LAST_CPU`` for :func:`report`: on a
    shared machine wall time includes waiting for the core, CPU time does not.
    """
    action()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    LAST_CPU[0] = statistics.median(cpus)
    return statistics.median(walls)


LAST_CPU = [0.0]


def make_triples(count: int, *, same_message: bool = False) -> list[Triple]:
    """``count`` distinct keys, each signing its own message (or one shared message)."""
    arkworks = get_backend("arkworks")
    triples = []
    for index in range(count):
        sk = arkworks.KeyGen(index.to_bytes(32, "big"), b"bench")
        message = b"vote: block 1" if same_message else f"transfer {index}: 100 EUR".encode()
        triples.append((arkworks.SkToPk(sk), message, arkworks.Sign(sk, message)))
    return triples


def report(label: str, seconds: float, per: int = 1, note: str = "") -> None:
    """One line: wall ms, CPU ms of the same runs, and per item when ``per`` > 1."""
    per_item = f"  {seconds / per * 1e3:7.3f} ms each" if per > 1 else ""
    print(f"  {label:<56} {seconds * 1e3:9.1f} ms wall {LAST_CPU[0] * 1e3:9.1f} ms CPU{per_item}{note}")


def bench_arkworks(triples: list[Triple], committee: list[Triple], runs: int) -> None:
    backend = get_backend("arkworks")
    n = len(triples)
    pk, message, signature = triples[0]
    print(f"arkworks (py-arkworks-bls12381), median of {runs} runs")
    report("Verify, one signature", median_seconds(lambda: backend.Verify(pk, message, signature), runs * 20))
    batch = median_seconds(lambda: backend.batch_verify(triples, entropy=os.urandom(32)), runs)
    verdict = "meets" if batch < 1.0 else "MISSES"
    report(f"batch_verify, {n} distinct keys and messages", batch, n, f"  [{verdict} the < 1 s target]")
    sequential = median_seconds(lambda: all(backend.Verify(*t) for t in triples), max(1, runs // 2))
    report(f"{n} x Verify, one by one (for comparison)", sequential, n)
    same = median_seconds(lambda: backend.batch_verify(committee, entropy=os.urandom(32)), runs)
    report(f"batch_verify, {len(committee)} keys, one shared message", same, len(committee))
    pks = [t[0] for t in committee[:64]]
    aggregate = backend.Aggregate([t[2] for t in committee[:64]])
    report(
        "FastAggregateVerify, 64 keys (a committee vote)",
        median_seconds(lambda: backend.FastAggregateVerify(pks, committee[0][1], aggregate), runs * 4),
    )
    print(f"  where the {n}-signature batch goes (library calls alone):")
    messages = [t[1] for t in triples]
    hashes = [G2Point.hash_to_curve(m, CIPHERSUITE_ID) for m in messages]
    pk_points = [G1Point.from_compressed_bytes(t[0]) for t in triples]
    report(
        f"    hash_to_curve (RFC 9380) x {n}",
        median_seconds(lambda: [G2Point.hash_to_curve(m, CIPHERSUITE_ID) for m in messages], runs),
        n,
    )
    report(
        f"    decode + subgroup check, G1 keys x {n}",
        median_seconds(lambda: [G1Point.from_compressed_bytes(t[0]) for t in triples], runs),
        n,
    )
    report(
        f"    decode + subgroup check, G2 signatures x {n}",
        median_seconds(lambda: [G2Point.from_compressed_bytes(t[2]) for t in triples], runs),
        n,
    )
    pairs_g1 = [*pk_points, -G1Point()]
    pairs_g2 = [*hashes, G2Point()]
    report(
        f"    pairing_check of {n + 1} pairs (Miller loops + 1 final exp.)",
        median_seconds(lambda: GT.pairing_check(pairs_g1, pairs_g2), runs),
        n + 1,
    )


def bench_py_ecc(triples: list[Triple], n_target: int, runs: int) -> None:
    backend: BlsBackendAPI = get_backend("py_ecc")
    pk, message, signature = triples[0]
    n = len(triples)
    print(f"py_ecc (pure Python), median of {runs} runs")
    single = median_seconds(lambda: backend.Verify(pk, message, signature), runs)
    single_cpu = LAST_CPU[0]
    report("Verify, one signature", single)
    batch = median_seconds(lambda: backend.batch_verify(triples, entropy=os.urandom(32)), runs)
    batch_cpu = LAST_CPU[0]
    report(f"batch_verify, {n} distinct keys and messages", batch, n)
    LAST_CPU[0] = batch_cpu / n * n_target
    report(f"batch_verify, {n_target}: EXTRAPOLATED linearly from {n}", batch / n * n_target, n_target)
    LAST_CPU[0] = single_cpu * n_target
    report(f"{n_target} x Verify: EXTRAPOLATED from one", single * n_target, n_target)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1000, help="signatures in the arkworks batch")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (the median is printed)")
    parser.add_argument("--py-ecc-batch", type=int, default=10, help="signatures in the py_ecc batch")
    parser.add_argument("--py-ecc-runs", type=int, default=3, help="runs per py_ecc figure")
    parser.add_argument("--skip-py-ecc", action="store_true")
    parser.add_argument("--pin", type=int, default=None, help="pin the process to this CPU")
    args = parser.parse_args()

    cpu = "not pinned (every call is single-threaded; CPU time is the one-core figure)"
    if args.pin is not None:
        os.sched_setaffinity(0, {args.pin})
        cpu = f"pinned to CPU {args.pin}"
    print(f"BLS12-381 benchmark: Python {platform.python_version()}, {platform.machine()}, {cpu}")
    print(f"setting up {args.n} key pairs and signatures ...")
    triples = make_triples(args.n)
    committee = make_triples(args.n, same_message=True)
    bench_arkworks(triples, committee, args.runs)
    if not args.skip_py_ecc:
        bench_py_ecc(triples[: args.py_ecc_batch], args.n, args.py_ecc_runs)


if __name__ == "__main__":
    main()
