"""The proof system's seam: ``prove(circuit, witness)`` and ``verify(vk, public_inputs, proof)``.

Django-free and off-chain: the Celery proving workers (the ``proving`` app) and the
benchmarks use it; the chain never does (nodes only verify, with ``chain.crypto.groth16``,
and need no Node.js). Today's backend is Groth16 over BLS12-381 by snarkjs 0.7.6
(:mod:`proving.prover.snarkjs`, ``circuits/prover.mjs``); a PlonK backend would replace these two
functions and keep their signatures and errors (docs/zk.md, "Proofs").

:func:`prove` validates the witness against the circuit (:mod:`proving.prover.circuits`), has snarkjs
compute the witness in memory and prove, converts the proof to the chain's bytes and
**verifies it** with ``chain.crypto.groth16`` against ``circuits/build/<name>.vk`` before
returning: it returns a proof that verifies or raises, never a bad proof.
"""

from __future__ import annotations

import functools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chain.node.client import (
    ProofRefused,
    VerifyingKey,
    decode_public_inputs,
    decode_verifying_key,
    proof_attachment_from_snarkjs,
)
from chain.node.client import verify_groth16_proof as groth16_verify
from proving.prover.circuits import (
    DEFAULT_CIRCUITS_DIR,
    Circuit,
    get_circuit,
    list_circuits,
    validate_witness,
)
from proving.prover.errors import (
    ProverCrashed,
    ProverError,
    ProverTimeout,
    ProverUnavailable,
    ProvingFailed,
    UnknownCircuit,
    WitnessRejected,
    WitnessShapeError,
)
from proving.prover.snarkjs import SnarkjsProver

#: Stages reported to ``on_stage`` in order: ``witness`` (computing the witness), ``proving``
#: (snarkjs groth16.prove), ``verifying`` (the Python check of the proof).
STAGES = ("witness", "proving", "verifying")


@dataclass(frozen=True)
class ProofResult:
    """A verified proof in the chain's byte formats (``chain.crypto.groth16``): ``proof`` 192
    bytes A ‖ B ‖ C compressed; ``public_inputs`` 32 bytes per signal, little-endian, in
    snarkjs's order (outputs, then public inputs); ``public_signals`` the same as integers.
    Timings in seconds: snarkjs's witness and proving time, and the Python verification."""

    circuit: str
    proof: bytes
    public_inputs: bytes
    public_signals: tuple[int, ...]
    witness_seconds: float
    prove_seconds: float
    verify_seconds: float


@functools.lru_cache(maxsize=32)
def _verifying_key(path: str, mtime_ns: int) -> VerifyingKey:
    return decode_verifying_key(Path(path).read_bytes())


def verifying_key(circuit: Circuit) -> VerifyingKey:
    """The circuit's decoded verification key (cached until the file changes)."""
    return _verifying_key(str(circuit.vk), circuit.vk.stat().st_mtime_ns)


def verify(vk: VerifyingKey | bytes, public_inputs: bytes, proof: bytes) -> None:
    """Verify a Groth16 proof (``chain.crypto.groth16.verify``): ``None`` if it holds,
    ``chain.crypto.exceptions.ProofRefused`` with a stable ``reason`` otherwise."""
    groth16_verify(vk, public_inputs, proof)


_default_lock = threading.Lock()
_default: dict[tuple[str, str, bool, int], SnarkjsProver] = {}


def default_prover(
    circuits_dir: Path | None = None, *, node: str | None = None, warm: bool = True
) -> SnarkjsProver:
    """The process-wide prover for these settings (one warm Node process per worker process).
    ``node`` defaults to ``GLOAM_NODE_BIN`` or ``node``."""
    root = circuits_dir or DEFAULT_CIRCUITS_DIR
    binary = node or os.environ.get("GLOAM_NODE_BIN", "node")
    key = (str(root), binary, warm, os.getpid())
    with _default_lock:
        if key not in _default:
            _default[key] = SnarkjsProver(root, node=binary, warm=warm)
        return _default[key]


def prove(
    circuit: str,
    witness: object,
    *,
    timeout: float = 120.0,
    on_stage: Callable[[str], None] | None = None,
    prover: SnarkjsProver | None = None,
    circuits_dir: Path | None = None,
) -> ProofResult:
    """Prove that ``witness`` satisfies ``circuit``; return the verified proof.

    ``witness`` maps the circuit's input names to integers in [0, r) (ints or decimal
    strings, lists for array inputs). ``timeout`` bounds snarkjs in seconds. ``prover``
    defaults to :func:`default_prover` (warm).

    Raises (all :class:`proving.prover.errors.ProverError`): :class:`UnknownCircuit`,
    :class:`WitnessShapeError`, :class:`WitnessRejected` (constraints not satisfied),
    :class:`ProvingFailed` (snarkjs failed, or its proof does not verify: ``reason`` is the
    verifier's), and the transient :class:`ProverCrashed`, :class:`ProverTimeout`,
    :class:`ProverUnavailable`.
    """
    spec = get_circuit(circuit, circuits_dir)
    inputs = validate_witness(spec, witness)
    engine = prover or default_prover(spec.wasm.parent.parent)
    if on_stage is not None:
        on_stage("witness")
    answer = engine.run(spec.name, inputs, timeout=timeout, on_stage=on_stage)
    if on_stage is not None:
        on_stage("verifying")
    started = time.perf_counter()
    try:
        public_inputs, proof = proof_attachment_from_snarkjs(answer.proof, answer.public)
        groth16_verify(verifying_key(spec), public_inputs, proof)
    except ProofRefused as exc:
        raise ProvingFailed(f"snarkjs's proof does not verify ({exc.reason})", reason=exc.reason) from None
    verify_seconds = time.perf_counter() - started
    return ProofResult(
        circuit=spec.name,
        proof=proof,
        public_inputs=public_inputs,
        public_signals=decode_public_inputs(public_inputs),
        witness_seconds=answer.witness_ms / 1000,
        prove_seconds=answer.prove_ms / 1000,
        verify_seconds=verify_seconds,
    )


__all__ = [
    "STAGES",
    "Circuit",
    "ProofResult",
    "ProverCrashed",
    "ProverError",
    "ProverTimeout",
    "ProverUnavailable",
    "ProvingFailed",
    "SnarkjsProver",
    "UnknownCircuit",
    "WitnessRejected",
    "WitnessShapeError",
    "default_prover",
    "get_circuit",
    "list_circuits",
    "prove",
    "validate_witness",
    "verify",
    "verifying_key",
]
