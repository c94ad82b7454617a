"""The prover's typed errors: one tree, each with a stable ``code`` and whether retrying can help.

``code`` values (stable, shown to API clients): ``unknown_circuit``, ``bad_witness_shape``,
``witness_rejected``, ``proving_failed``, ``prover_crashed``, ``prover_timeout``,
``prover_unavailable``. Messages never contain a witness value: they name inputs, templates
and line numbers only.
"""

from __future__ import annotations


class ProverError(Exception):
    """Root of the prover's errors. ``transient`` is True when the same request may succeed
    if retried (a crashed or timed-out prover process), False when it never will."""

    code = "prover_error"
    transient = False

    def __init__(self, message: str, *, reason: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.code


class UnknownCircuit(ProverError):
    """No circuit of that name has a witness generator, a proving key and a verification key."""

    code = "unknown_circuit"


class WitnessShapeError(ProverError):
    """The witness is not a map of the circuit's input names to integers in [0, r) of the
    right counts (``reason``: ``not_an_object``, ``bad_name``, ``unknown_input``,
    ``wrong_count``, ``missing_input``, ``not_an_integer``, ``out_of_range``, ``too_large``)."""

    code = "bad_witness_shape"


class WitnessRejected(ProverError):
    """The witness has the right shape but does not satisfy the circuit's constraints."""

    code = "witness_rejected"


class ProvingFailed(ProverError):
    """snarkjs failed to prove, or produced a proof that does not verify against the
    circuit's verification key (``reason``: ``snarkjs``, or the verifier's refusal reason)."""

    code = "proving_failed"


class ProverCrashed(ProverError):
    """The Node.js prover process died or answered nonsense; retrying starts a new one."""

    code = "prover_crashed"
    transient = True


class ProverTimeout(ProverError):
    """The prover took longer than the time limit; its process was killed."""

    code = "prover_timeout"
    transient = True


class ProverUnavailable(ProverError):
    """Node.js or the prover script cannot be started (not installed, not on PATH)."""

    code = "prover_unavailable"
    transient = True


__all__ = [
    "ProverCrashed",
    "ProverError",
    "ProverTimeout",
    "ProverUnavailable",
    "ProvingFailed",
    "UnknownCircuit",
    "WitnessRejected",
    "WitnessShapeError",
]
