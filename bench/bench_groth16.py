"""Groth16 verification benchmark (chain.crypto.groth16): prints figures; not a test.

    .venv/bin/python bench/bench_groth16.py            # 21 runs of each
    .venv/bin/python bench/bench_groth16.py --runs 5
    .venv/bin/python bench/bench_groth16.py --circuit note_spend

Verifies circuits/fixtures/<circuit>'s proof (default range_product) against circuits/build/<circuit>.vk:
with the key decoded once (as a node keeps it per vk_id) and with the key decoded on every
call, and the cost of decoding the proof alone. Then how a verification grows with the
number of public inputs n, with the key decoded per call and decoded once (the node's
verifying-key cache, as ``verify_proof`` and ProvenCall validation use it), on synthetic
keys: range_product's α, β, γ, δ and n + 1 random IC points, random inputs, the fixture's
proof; the pairing check fails, after the same work as one that holds. The VM's
``verify_proof`` gas is base + per input (docs/vm-abi.md), converted from time at the rate of
``verify_bls``, whose BLS ``Verify`` is timed in the same run. Each figure is the median of
``--runs`` runs (one warm-up first), wall and CPU time; single-threaded.
"""

from __future__ import annotations

import argparse
import functools
import json
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from py_arkworks_bls12381 import G1Point, Scalar  # noqa: E402

from chain.crypto import bls12_381 as bls  # noqa: E402
from chain.crypto import groth16  # noqa: E402
from chain.crypto.bls12_381.ciphersuite import CURVE_ORDER  # noqa: E402
from chain.crypto.exceptions import ProofCheckFailed  # noqa: E402


def synthetic_case(vk_bytes: bytes, n: int, seed: int) -> tuple[bytes, bytes]:
    """A key with ``vk_bytes``'s α, β, γ, δ and ``n + 1`` random IC points, and ``n`` random inputs."""
    rng = random.Random(seed)  # noqa: S311 - reproducible benchmark data, not keys
    points = b"".join(
        bytes((G1Point() * Scalar(rng.randrange(1, CURVE_ORDER))).to_compressed_bytes()) for _ in range(n + 1)
    )
    key = vk_bytes[:336] + n.to_bytes(4, "little") + points
    inputs = groth16.encode_public_inputs([rng.randrange(CURVE_ORDER) for _ in range(n)])
    return key, inputs


def refused(vk: bytes | groth16.VerifyingKey, public: bytes, proof: bytes) -> None:
    """Verify, expecting the pairing check (and nothing earlier) to refuse."""
    try:
        groth16.verify(vk, public, proof)
    except ProofCheckFailed:
        return
    raise AssertionError("a synthetic key verified")


def median_ms(action: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``runs`` calls of ``action`` after one warm-up."""
    action()
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls) * 1000, statistics.median(cpus) * 1000


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--circuit", default="range_product", help="range_product (default) or note_spend")
    args = parser.parse_args()
    runs = max(5, args.runs)
    circuits = ROOT / "circuits"
    name = args.circuit
    vk_bytes = (circuits / "build" / f"{name}.vk").read_bytes()
    proof = groth16.proof_from_snarkjs(json.loads((circuits / "fixtures" / f"{name}.proof.json").read_text()))
    public = groth16.public_inputs_from_snarkjs(
        json.loads((circuits / "fixtures" / f"{name}.public.json").read_text())
    )
    key = groth16.decode_verifying_key(vk_bytes)
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"Groth16 / BLS12-381, py-arkworks-bls12381, {python}")
    print(f"circuit {name}: {key.n_public} public inputs; median of {runs} runs")
    print(f"proof size: {len(proof)} B; public inputs: {len(public)} B; verification key: {len(vk_bytes)} B")
    secret = bls.KeyGen(bytes(range(32)))
    signer, signed = bls.SkToPk(secret), b"a 32-byte message to be signed!!"
    signature = bls.Sign(secret, signed)
    for label, action in (
        ("BLS Verify (verify_bls's work: the gas rate)", lambda: bls.Verify(signer, signed, signature)),
        ("verify, key decoded once", lambda: groth16.verify(key, public, proof)),
        ("verify, key decoded per call", lambda: groth16.verify(vk_bytes, public, proof)),
        ("decode proof only (3 points, subgroup checks)", lambda: groth16.decode_proof(proof)),
    ):
        wall, cpu = median_ms(action, runs)
        print(f"{label:48s} {wall:7.3f} ms wall  {cpu:7.3f} ms CPU")
    print("verify, key decoded per call, by public inputs n (synthetic keys):")
    for n in (1, 2, 8, 32, 128):
        key_n, public_n = synthetic_case(vk_bytes, n, seed=n)
        wall, cpu = median_ms(functools.partial(refused, key_n, public_n, proof), runs)
        print(f"  n = {n:3d}{'':38s} {wall:7.3f} ms wall  {cpu:7.3f} ms CPU")
    print("verify, key decoded once (the registry's cache), by public inputs n (synthetic keys):")
    for n in (1, 2, 8, 16, 32, 128):
        key_n, public_n = synthetic_case(vk_bytes, n, seed=n)
        decoded = groth16.decode_verifying_key(key_n)
        wall, cpu = median_ms(functools.partial(refused, decoded, public_n, proof), runs)
        print(f"  n = {n:3d}{'':38s} {wall:7.3f} ms wall  {cpu:7.3f} ms CPU")


if __name__ == "__main__":
    main()
