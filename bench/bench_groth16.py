"""Groth16 verification benchmark (chain.crypto.groth16): prints figures; not a test.

    .venv/bin/python bench/bench_groth16.py            # 21 runs of each
    .venv/bin/python bench/bench_groth16.py --runs 5

Verifies circuits/fixtures/range_product's proof against circuits/build/range_product.vk:
with the key decoded once (as a node keeps it per vk_id) and with the key decoded on every
call, and the cost of decoding the proof alone. Each figure is the median of ``--runs`` runs
(one warm-up first), wall and CPU time; single-threaded.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from chain.crypto import groth16  # noqa: E402


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
    args = parser.parse_args()
    runs = max(5, args.runs)
    circuits = ROOT / "circuits"
    vk_bytes = (circuits / "build" / "range_product.vk").read_bytes()
    proof = groth16.proof_from_snarkjs(
        json.loads((circuits / "fixtures" / "range_product.proof.json").read_text())
    )
    public = groth16.public_inputs_from_snarkjs(
        json.loads((circuits / "fixtures" / "range_product.public.json").read_text())
    )
    key = groth16.decode_verifying_key(vk_bytes)
    python = f"{platform.python_implementation()} {platform.python_version()}"
    print(f"Groth16 / BLS12-381, py-arkworks-bls12381, {python}")
    print(f"circuit range_product: {key.n_public} public inputs; median of {runs} runs")
    print(f"proof size: {len(proof)} B; public inputs: {len(public)} B; verification key: {len(vk_bytes)} B")
    for label, action in (
        ("verify, key decoded once", lambda: groth16.verify(key, public, proof)),
        ("verify, key decoded per call", lambda: groth16.verify(vk_bytes, public, proof)),
        ("decode proof only (3 points, subgroup checks)", lambda: groth16.decode_proof(proof)),
    ):
        wall, cpu = median_ms(action, runs)
        print(f"{label:48s} {wall:7.3f} ms wall  {cpu:7.3f} ms CPU")


if __name__ == "__main__":
    main()
