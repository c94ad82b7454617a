"""Proving benchmark (``prover.prove``: snarkjs 0.7.6 Groth16 under Node.js): prints a table; not a test.

    .venv/bin/python bench/bench_prove.py             # 7 runs of each
    .venv/bin/python bench/bench_prove.py --runs 5

For every provable circuit (``circuits/build/<name>.wasm`` + ``circuits/ceremony/<name>.zkey``
+ ``circuits/build/<name>.vk``) with a fixture input (``circuits/fixtures/<name>.input.json``,
written by ``scripts/ceremony.sh``): the constraint count (the r1cs header), then the median
of ``--runs`` proofs of the fixture

- **warm**: one long-lived ``node circuits/prover.mjs --serve`` (as the proving worker runs
  it; one warm-up proof first, not counted): snarkjs's witness time and proving time as Node
  measures them, and the whole ``prove()`` call seen from Python (validation, pipes, the
  conversion and the verification included);
- **cold**: ``node circuits/prover.mjs --once`` per proof (Node start-up, module loading, key
  reading and BLS12-381 engine set-up every time): the whole ``prove()`` call;
- **verify**: ``chain.crypto.groth16.verify`` in Python with the key decoded once;
- the proof's size (bytes) and the public inputs' (32 a signal).

Wall time; the prover uses snarkjs's worker threads (all cores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from proving import prover  # noqa: E402
from proving.prover.circuits import DEFAULT_CIRCUITS_DIR, r1cs_info  # noqa: E402


def _median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:,.1f}"


def bench_circuit(name: str, runs: int) -> dict[str, str] | None:
    fixture = DEFAULT_CIRCUITS_DIR / "fixtures" / f"{name}.input.json"
    if not fixture.is_file():
        print(f"{name}: no fixture input ({fixture.relative_to(ROOT)}), skipped", file=sys.stderr)
        return None
    witness = json.loads(fixture.read_text())
    circuit = prover.get_circuit(name)
    info = r1cs_info(circuit.r1cs)
    warm = prover.SnarkjsProver(DEFAULT_CIRCUITS_DIR, warm=True)
    cold = prover.SnarkjsProver(DEFAULT_CIRCUITS_DIR, warm=False)
    try:
        result = prover.prove(name, witness, prover=warm)  # warm-up: start Node, load the key
        witness_s, prove_s, warm_total, cold_total, verify_s = [], [], [], [], []
        for _ in range(runs):
            started = time.perf_counter()
            result = prover.prove(name, witness, prover=warm)
            warm_total.append(time.perf_counter() - started)
            witness_s.append(result.witness_seconds)
            prove_s.append(result.prove_seconds)
        for _ in range(runs):
            started = time.perf_counter()
            prover.prove(name, witness, prover=cold)
            cold_total.append(time.perf_counter() - started)
        key = prover.verifying_key(circuit)
        for _ in range(max(runs, 21)):
            started = time.perf_counter()
            prover.verify(key, result.public_inputs, result.proof)
            verify_s.append(time.perf_counter() - started)
    finally:
        warm.close()
    return {
        "circuit": name,
        "constraints": f"{info.constraints:,}",
        "public": str(info.public_outputs + info.public_inputs),
        "witness ms (warm)": _median_ms(witness_s),
        "prove ms (warm, snarkjs)": _median_ms(prove_s),
        "prove() ms warm": _median_ms(warm_total),
        "prove() ms cold": _median_ms(cold_total),
        "verify ms (Python)": _median_ms(verify_s),
        "proof B": str(len(result.proof)),
        "public inputs B": str(len(result.public_inputs)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="proofs per mode (at least 5)")
    args = parser.parse_args()
    runs = max(args.runs, 5)
    print(f"# bench_prove: Python {platform.python_version()}, {os.cpu_count()} CPUs, median of {runs} runs")
    rows = [row for name in prover.list_circuits() if (row := bench_circuit(name, runs)) is not None]
    if not rows:
        print("no provable circuit with a fixture input")
        return
    headers = list(rows[0])
    widths = [max(len(h), *(len(row[h]) for row in rows)) for h in headers]
    print(" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(row[h].rjust(w) for h, w in zip(headers, widths, strict=True)))


if __name__ == "__main__":
    main()
