"""Errors of ``chain.consensus``: one tree, each with a stable ``reason`` code.

Reason codes (stable, machine-readable; tests and callers may match on them):

``no_provisioners``
    a committee was asked of an empty provisioner list.
``invalid_parameter``
    an argument outside its domain (negative step, zero committee size, a proposal step where
    a voting step is required, an unknown step kind, a count larger than the iteration).
``bits_beyond_committee``
    a step-votes bitset with a bit set at or beyond the committee's member count (§1.6).
``empty_bitset``
    no voter at all in a step that needs votes (§1.6).
``insufficient_credits``
    the voters' credits are below the quorum threshold (§1.3).
``invalid_signature``
    an aggregate or single signature that does not verify over the §1.5 signed bytes.
``result_mismatch``
    an attestation whose result tag does not fit its vote (Success iff Valid, §1.6).
``not_in_committee``
    a vote from a key that holds no credit in the step's committee.
``wrong_round``, ``wrong_iteration``, ``wrong_prev_hash``, ``wrong_step``
    a vote addressed to another (round, iteration, previous block, step) than the aggregator's.
``same_content``
    fault evidence whose two sides sign the same content (§1.8).
``different_context``
    fault evidence whose two sides differ in round, iteration, previous block or signer (§1.8).
``fault_too_old``, ``fault_in_future``, ``fault_at_genesis``, ``fault_in_emergency``
    fault evidence outside the window in which it may be reported (§1.8).
``malformed``
    bytes that do not decode (short input, trailing bytes, unknown tag).
"""

from __future__ import annotations


class ConsensusError(Exception):
    """Root of the ``chain.consensus`` errors. ``reason`` is a stable machine-readable code."""

    reason: str = "invalid"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class InvalidParameter(ConsensusError, ValueError):
    """An argument outside its domain: ``invalid_parameter`` or ``no_provisioners``."""

    reason = "invalid_parameter"


class InvalidStepVotes(ConsensusError):
    """Step votes that do not attest their result: ``bits_beyond_committee``,
    ``empty_bitset``, ``insufficient_credits`` or ``invalid_signature``."""

    reason = "invalid_step_votes"


class InvalidAttestation(InvalidStepVotes):
    """An attestation that does not verify: the step-votes reasons, or ``result_mismatch``.

    ``step`` names the failing step (``"validation"``, ``"ratification"``) or is ``None``.
    """

    reason = "invalid_attestation"

    def __init__(self, message: str, *, reason: str | None = None, step: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.step = step


class InvalidVote(ConsensusError):
    """A single vote the aggregator refuses: ``not_in_committee``, ``wrong_round``,
    ``wrong_iteration``, ``wrong_prev_hash``, ``wrong_step`` or ``invalid_signature``."""

    reason = "invalid_vote"


class InvalidFault(ConsensusError):
    """Fault evidence that proves nothing: ``same_content``, ``different_context``,
    ``invalid_signature``, ``fault_too_old``, ``fault_in_future``, ``fault_at_genesis``,
    ``fault_in_emergency`` or ``malformed``."""

    reason = "invalid_fault"
