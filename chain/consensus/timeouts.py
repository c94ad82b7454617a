"""Adaptive step timeouts, relaxed mode and emergency mode (reference/dusk-protocol.md §1.4,
rusk: consensus/src/config.rs, iteration_ctx.rs; node/src/chain/metrics.rs).

- A step's **base timeout** for a round is the mean of its last 5 measured durations, rounded
  up (to whole seconds on Dusk), clamped to ``[min, max]`` (7..40 s); with no history it is
  the maximum.
- Each timeout of a step adds ``increment`` (2 s) to that step's timeout for the rest of the
  round, capped at ``max``.
- **Relaxed mode**: from iteration 8 no more failed-iteration attestations are recorded.
- **Emergency mode**: from iteration 16 steps have no timeout and only ``Valid`` votes are cast.

Everything is pure: durations are measured by the caller with its own clock and passed in as
float seconds; state is frozen and each ``apply_`` returns a new value. Timing is
configuration (DESIGN.md, Consensus): a devnet may use e.g. 0.5..4 s rounded to 0.1 s.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from chain.consensus.exceptions import InvalidParameter
from chain.consensus.sortition import StepKind
from chain.types.consensus import VoteKind


@dataclass(frozen=True, slots=True)
class TimeoutParams:
    """Timing parameters; the defaults are Dusk's (§1.4)."""

    min_timeout: float = 7.0
    """Lower bound of a base timeout, seconds (``MIN_STEP_TIMEOUT``)."""

    max_timeout: float = 40.0
    """Upper bound of any timeout, seconds (``MAX_STEP_TIMEOUT``)."""

    increment: float = 2.0
    """Added to a step's timeout each time it expires, seconds (``TIMEOUT_INCREASE``)."""

    history_length: int = 5
    """How many past durations of a step the base timeout averages."""

    rounding: float = 1.0
    """The base timeout is rounded up to a multiple of this, seconds (whole seconds on Dusk)."""

    relax_iteration: int = 8
    """From this iteration no failed-iteration attestation is recorded (``RELAX_ITERATION_THRESHOLD``)."""

    emergency_iteration: int = 16
    """From this iteration: no timeouts, only Valid votes (``EMERGENCY_MODE_ITERATION_THRESHOLD``)."""

    def __post_init__(self) -> None:
        if not 0 < self.min_timeout <= self.max_timeout:
            raise InvalidParameter("timeouts need 0 < min_timeout ≤ max_timeout")
        if self.increment < 0 or self.rounding <= 0 or self.history_length < 1:
            raise InvalidParameter("increment ≥ 0, rounding > 0 and history_length ≥ 1 are required")
        if not 0 <= self.relax_iteration <= self.emergency_iteration:
            raise InvalidParameter("relax_iteration must not exceed emergency_iteration")


@dataclass(frozen=True, slots=True)
class StepDurations:
    """The last measured durations of each step, oldest first, in seconds."""

    proposal: tuple[float, ...] = ()
    validation: tuple[float, ...] = ()
    ratification: tuple[float, ...] = ()

    def of(self, step: StepKind) -> tuple[float, ...]:
        """The durations of ``step``."""
        return (self.proposal, self.validation, self.ratification)[step]


EMPTY_DURATIONS: Final = StepDurations()


@dataclass(frozen=True, slots=True)
class RoundTimeouts:
    """The current timeout of each step in this round, in seconds."""

    proposal: float
    validation: float
    ratification: float

    def of(self, step: StepKind) -> float:
        """The timeout of ``step``."""
        return (self.proposal, self.validation, self.ratification)[step]


_FIELDS: Final = ("proposal", "validation", "ratification")


def apply_step_duration(
    history: StepDurations, step: StepKind, duration: float, params: TimeoutParams
) -> StepDurations:
    """Record how long ``step`` took, keeping the last ``history_length`` durations.

    Raises
    ------
    InvalidParameter
        For a negative or non-finite duration.
    """
    if not (math.isfinite(duration) and duration >= 0):
        raise InvalidParameter(f"a duration must be finite and non-negative, got {duration}")
    kept = (*history.of(step), float(duration))[-params.history_length :]
    return replace(history, **{_FIELDS[step]: kept})


def compute_base_timeout(durations: Sequence[float], params: TimeoutParams) -> float:
    """Mean of the last ``history_length`` durations, rounded up to ``rounding``, clamped to
    ``[min_timeout, max_timeout]``; ``max_timeout`` with no history (§1.4).

    Returns
    -------
    float
        Seconds.
    """
    recent = list(durations)[-params.history_length :]
    if not recent:
        return params.max_timeout
    mean = sum(recent) / len(recent)
    # round() first so that 0.3 / 0.1 = 2.9999999999999996 rounds up to 3, not 4.
    steps = math.ceil(round(mean / params.rounding, 9))
    rounded = round(steps * params.rounding, 9)
    return min(max(rounded, params.min_timeout), params.max_timeout)


def compute_round_timeouts(history: StepDurations, params: TimeoutParams) -> RoundTimeouts:
    """Each step's base timeout at the start of a round (§1.4)."""
    return RoundTimeouts(*(compute_base_timeout(history.of(step), params) for step in StepKind))


def apply_step_timeout(timeouts: RoundTimeouts, step: StepKind, params: TimeoutParams) -> RoundTimeouts:
    """``step`` timed out: its timeout grows by ``increment``, capped at ``max_timeout``, for
    the rest of the round (§1.4)."""
    grown = min(timeouts.of(step) + params.increment, params.max_timeout)
    return replace(timeouts, **{_FIELDS[step]: grown})


def is_emergency_mode(iteration: int, params: TimeoutParams) -> bool:
    """Whether ``iteration`` runs in emergency mode (iteration ≥ 16 on Dusk, §1.4)."""
    return iteration >= params.emergency_iteration


def is_relaxed_mode(iteration: int, params: TimeoutParams) -> bool:
    """Whether ``iteration`` comes after 8 failed iterations (§1.4 "Relaxed mode")."""
    return iteration >= params.relax_iteration


def is_failed_iteration_recorded(iteration: int, params: TimeoutParams) -> bool:
    """Whether a failure of ``iteration`` gets an attestation in ``failed_iterations``: only
    before relaxed mode, so a header lists at most 8 (§1.4)."""
    return not is_relaxed_mode(iteration, params)


def get_step_timeout(
    timeouts: RoundTimeouts, step: StepKind, iteration: int, params: TimeoutParams
) -> float | None:
    """How long ``step`` of ``iteration`` waits, in seconds; ``None`` (no timeout) in
    emergency mode (§1.4)."""
    if is_emergency_mode(iteration, params):
        return None
    return timeouts.of(step)


def is_vote_allowed(vote_kind: VoteKind, iteration: int, params: TimeoutParams) -> bool:
    """Whether a provisioner casts a ``vote_kind`` vote in ``iteration``: in emergency mode
    only ``Valid`` (§1.4, rusk: consensus/src/validation/step.rs)."""
    return vote_kind is VoteKind.VALID or not is_emergency_mode(iteration, params)
