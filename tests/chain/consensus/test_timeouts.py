"""Adaptive step timeouts, relaxed and emergency modes (reference/dusk-protocol.md §1.4)."""

from __future__ import annotations

import pytest

from chain.consensus.exceptions import InvalidParameter
from chain.consensus.sortition import StepKind
from chain.consensus.timeouts import (
    EMPTY_DURATIONS,
    TimeoutParams,
    apply_step_duration,
    apply_step_timeout,
    compute_base_timeout,
    compute_round_timeouts,
    get_step_timeout,
    is_emergency_mode,
    is_failed_iteration_recorded,
    is_relaxed_mode,
    is_vote_allowed,
)
from chain.types.consensus import VoteKind

DUSK = TimeoutParams()
DEVNET = TimeoutParams(min_timeout=0.5, max_timeout=4.0, increment=0.5, rounding=0.1)


def test_reference_defaults() -> None:
    assert (DUSK.min_timeout, DUSK.max_timeout, DUSK.increment) == (7.0, 40.0, 2.0)
    assert (DUSK.history_length, DUSK.relax_iteration, DUSK.emergency_iteration) == (5, 8, 16)


@pytest.mark.parametrize(
    ("durations", "expected"),
    [
        ([7.2, 8.0, 9.0, 10.0, 11.0], 10.0),  # mean 9.04, rounded up to whole seconds
        ([12.0, 12.0], 12.0),
        ([1.0, 2.0], 7.0),  # clamped up to the minimum
        ([50.0, 60.0], 40.0),  # clamped down to the maximum
        ([], 40.0),  # no history: the maximum (rusk's default)
    ],
)
def test_base_timeout(durations: list[float], expected: float) -> None:
    assert compute_base_timeout(durations, DUSK) == expected


def test_base_timeout_on_a_devnet() -> None:
    assert compute_base_timeout([0.31, 0.33], DEVNET) == pytest.approx(0.5)
    assert compute_base_timeout([0.91, 0.93], DEVNET) == pytest.approx(1.0)
    assert compute_base_timeout([10.0], DEVNET) == pytest.approx(4.0)


def test_only_the_last_five_durations_count() -> None:
    history = EMPTY_DURATIONS
    for duration in [39.0, 39.0, 8.0, 8.0, 8.0, 8.0, 8.0]:
        history = apply_step_duration(history, StepKind.VALIDATION, duration, DUSK)
    assert history.of(StepKind.VALIDATION) == (8.0,) * 5
    timeouts = compute_round_timeouts(history, DUSK)
    assert get_step_timeout(timeouts, StepKind.VALIDATION, 0, DUSK) == 8.0
    assert get_step_timeout(timeouts, StepKind.PROPOSAL, 0, DUSK) == 40.0


def test_each_timeout_adds_the_increment_up_to_the_cap() -> None:
    history = apply_step_duration(EMPTY_DURATIONS, StepKind.PROPOSAL, 35.0, DUSK)
    timeouts = compute_round_timeouts(history, DUSK)
    seen = []
    for _ in range(4):
        seen.append(get_step_timeout(timeouts, StepKind.PROPOSAL, 1, DUSK))
        timeouts = apply_step_timeout(timeouts, StepKind.PROPOSAL, DUSK)
    assert seen == [35.0, 37.0, 39.0, 40.0]
    # Other steps are not affected.
    assert get_step_timeout(timeouts, StepKind.RATIFICATION, 1, DUSK) == 40.0


def test_emergency_mode_has_no_timeouts_and_only_valid_votes() -> None:
    timeouts = compute_round_timeouts(EMPTY_DURATIONS, DUSK)
    assert not is_emergency_mode(15, DUSK)
    assert is_emergency_mode(16, DUSK)
    assert get_step_timeout(timeouts, StepKind.VALIDATION, 15, DUSK) == 40.0
    assert get_step_timeout(timeouts, StepKind.VALIDATION, 16, DUSK) is None
    assert is_vote_allowed(VoteKind.NO_CANDIDATE, 15, DUSK)
    assert is_vote_allowed(VoteKind.VALID, 16, DUSK)
    for kind in (VoteKind.NO_CANDIDATE, VoteKind.INVALID, VoteKind.NO_QUORUM):
        assert not is_vote_allowed(kind, 16, DUSK)


def test_relaxed_mode_after_eight_failed_iterations() -> None:
    assert [is_failed_iteration_recorded(i, DUSK) for i in (0, 7, 8, 9)] == [True, True, False, False]
    assert not is_relaxed_mode(7, DUSK)
    assert is_relaxed_mode(8, DUSK)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_timeout": 0.0},
        {"min_timeout": 5.0, "max_timeout": 4.0},
        {"increment": -1.0},
        {"history_length": 0},
        {"rounding": 0.0},
        {"relax_iteration": 20, "emergency_iteration": 16},
    ],
)
def test_invalid_params(kwargs: dict[str, float]) -> None:
    with pytest.raises(InvalidParameter):
        TimeoutParams(**kwargs)  # type: ignore[arg-type]


def test_invalid_duration() -> None:
    with pytest.raises(InvalidParameter):
        apply_step_duration(EMPTY_DURATIONS, StepKind.PROPOSAL, -1.0, DUSK)
