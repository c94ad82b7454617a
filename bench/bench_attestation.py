"""Attestation verification benchmark: one attestation (validation + ratification step votes,
two 64-credit committees) verified with ``chain.consensus.quorum.verify_attestation`` on each
BLS backend. Prints figures; not a test.

    .venv/bin/python bench/bench_attestation.py                     # 16 provisioners, 7 runs
    .venv/bin/python bench/bench_attestation.py --provisioners 100 --py-ecc-runs 3

Each step is one FastAggregateVerify over the voters' keys (each key once, whatever its
credits): the key additions, one hash to G2 and two pairings. The committees are drawn by the
real sortition from ``--provisioners`` equal stakes, so more provisioners means more distinct
voters per step. Voters are the largest credit holders until the Valid threshold (43 of 64)
is met. Each figure is the median of ``--runs`` runs after one warm-up call; the CPU-time
median is printed beside the wall-time one.
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

from chain.consensus.quorum import (  # noqa: E402
    ConsensusHeader,
    compute_quorum_threshold,
    compute_vote_signing_bytes,
    verify_attestation,
)
from chain.consensus.sortition import Committee, StepKind, get_step_committee  # noqa: E402
from chain.crypto import bls12_381 as bls  # noqa: E402
from chain.types.consensus import Attestation, ResultTag, StepVotes, Vote, VoteKind  # noqa: E402
from chain.types.primitives import U64, BlsSecretKey, Hash32, Height, Iteration, Lux, Seed  # noqa: E402

PREV = Hash32(b"\x42" * 32)
ROUND, ITERATION = 1000, 0
SEED = Seed(b"\x17" * 96)
VOTE = Vote(VoteKind.VALID, Hash32(b"\x99" * 32))


def median_seconds(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``runs`` calls of ``action`` after one warm-up call."""
    action()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def sign_step(
    committee: Committee, secrets: dict[bytes, BlsSecretKey], step: StepKind, header: ConsensusHeader
) -> tuple[StepVotes, int, int]:
    threshold = compute_quorum_threshold(VOTE.kind, committee.total_credits)
    order = sorted(range(len(committee.members)), key=lambda j: -committee.credits[j])
    chosen, credits = [], 0
    for j in order:
        if credits >= threshold:
            break
        chosen.append(j)
        credits += committee.credits[j]
    message = compute_vote_signing_bytes(header, step, VOTE)
    signatures = [bls.Sign(secrets[bytes(committee.members[j])], message) for j in sorted(chosen)]
    return StepVotes(U64(sum(1 << j for j in chosen)), bls.Aggregate(signatures)), len(chosen), credits


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--provisioners", type=int, default=16, help="provisioners with equal stakes")
    parser.add_argument("--runs", type=int, default=7, help="arkworks runs (the median is printed)")
    parser.add_argument("--py-ecc-runs", type=int, default=3, help="py_ecc runs")
    parser.add_argument("--skip-py-ecc", action="store_true")
    args = parser.parse_args()

    secrets: dict[bytes, BlsSecretKey] = {}
    provisioners = []
    for i in range(args.provisioners):
        sk = bls.KeyGen(hashlib.sha256(f"bench-attestation-{i}".encode()).digest())
        pk = bls.SkToPk(sk)
        secrets[bytes(pk)] = sk
        provisioners.append((pk, Lux(1000 * 10**9)))
    provisioners.sort(key=lambda e: bytes(e[0]))
    header = ConsensusHeader(PREV, Height(ROUND), Iteration(ITERATION))
    validation = get_step_committee(provisioners, SEED, ITERATION, StepKind.VALIDATION)
    ratification = get_step_committee(provisioners, SEED, ITERATION, StepKind.RATIFICATION)
    v_votes, v_voters, v_credits = sign_step(validation, secrets, StepKind.VALIDATION, header)
    r_votes, r_voters, r_credits = sign_step(ratification, secrets, StepKind.RATIFICATION, header)
    attestation = Attestation(ResultTag.SUCCESS, VOTE, v_votes, r_votes)

    print(f"Attestation verification: Python {platform.python_version()}, {platform.machine()}")
    print(
        f"{args.provisioners} provisioners; validation committee {len(validation.members)} members / "
        f"{validation.total_credits} credits, {v_voters} voters with {v_credits} credits; ratification "
        f"{len(ratification.members)} members / {ratification.total_credits} credits, {r_voters} voters "
        f"with {r_credits} credits"
    )
    names: list[bls.BackendName] = ["arkworks"] if args.skip_py_ecc else ["arkworks", "py_ecc"]
    for name in names:
        backend = bls.get_backend(name)
        runs = args.runs if name == "arkworks" else args.py_ecc_runs

        def verify(backend: bls.BlsBackendAPI = backend) -> None:
            verify_attestation(
                attestation,
                prev_hash=PREV,
                round=ROUND,
                iteration=ITERATION,
                validation_committee=validation,
                ratification_committee=ratification,
                backend=backend,
            )

        wall, cpu = median_seconds(verify, runs)
        print(
            f"  {name:9s} verify_attestation: {wall * 1000:10.1f} ms wall, "
            f"{cpu * 1000:10.1f} ms CPU (median of {runs})"
        )


if __name__ == "__main__":
    main()
