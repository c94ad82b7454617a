"""Emission and the block reward split (reference §1.9, §1.8 "Any reward resets the counters")."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain.state.memory import MemoryStore
from chain.state.stakes import Stake, StakeAmount
from chain.state.state import State
from chain.transition.rewards import (
    EMISSION_PERIOD,
    EMISSION_SCHEDULE,
    LAST_MINT_HEIGHT,
    InvalidRewards,
    apply_block_rewards,
    compute_emission,
    compute_period_emission,
    compute_reward_split,
)
from chain.types.primitives import U8, BlsPublicKey, Height, Lux
from tests.chain.helpers import keypair

GENERATOR, VOTER_A, VOTER_B, TREASURY = (keypair(n).public for n in ("gen", "voter-a", "voter-b", "treasury"))
UNIT = 10**9


# -- emission --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("height", "units"),
    [
        (0, "0"),
        (1, "19.8574"),
        (12_614_400, "19.8574"),
        (12_614_401, "9.9287"),
        (25_228_800, "9.9287"),
        (25_228_801, "4.96435"),
        (37_843_201, "2.48218"),
        (50_457_601, "1.24109"),
        (63_072_001, "0.62054"),
        (75_686_401, "0.31027"),
        (88_300_801, "0.15514"),
        (100_915_200, "0.15514"),
        (100_915_201, "0.07757"),
        (113_529_596, "0.07757"),
        (113_529_597, "0.05428"),
        (113_529_598, "0"),
        (113_529_600, "0"),
        (2**64 - 1, "0"),
    ],
)
def test_emission_at_period_boundaries(height: int, units: str) -> None:
    whole, _, fraction = units.partition(".")
    lux = int(whole) * UNIT + int(fraction.ljust(9, "0"))
    assert compute_emission(Height(height)) == lux


def test_emission_schedule_is_the_rounded_halving() -> None:
    """The table equals 19.8574 halved per period, rounded to 5 decimals half up; the ninth
    amount is the reference's 0.07757 (the exact halving, 0.0775679…, is not)."""
    assert [compute_period_emission(k) for k in range(9)] == list(EMISSION_SCHEDULE)
    assert EMISSION_SCHEDULE[-1] == 77_570_000
    assert 19_857_400_000 / 2**8 == 77_567_968.75


def test_total_emission_is_500_million_units() -> None:
    """Eight full periods, the ninth ending at 113,529,596, and the last mint: exactly 500 M."""
    total = sum(int(amount) * EMISSION_PERIOD for amount in EMISSION_SCHEDULE[:8])
    total += int(EMISSION_SCHEDULE[8]) * (LAST_MINT_HEIGHT - 1 - 8 * EMISSION_PERIOD)
    total += int(compute_emission(Height(LAST_MINT_HEIGHT)))
    assert total == 500_000_000 * UNIT


# -- the split ---------------------------------------------------------------------------------------


def test_split_matches_hand_computed_figures() -> None:
    reward = 19_857_400_000 + 3  # first-period emission plus 3 Lux of fees
    split = compute_reward_split(reward, credits=100, voters=[(VOTER_A, 60), (VOTER_B, 40)])
    # 70%: ⌊19,857,400,003 × 0.7⌋; extra 1,985,740,000 × (100 − 86)/42; voters' pool
    # 1,985,740,000 × 60/128 and × 40/128; the treasury gets the rest.
    assert split.generator == 13_900_180_002 + 661_913_333
    assert split.generator_extra == 661_913_333
    assert split.voters == ((VOTER_A, 930_815_625), (VOTER_B, 620_543_750))
    # 10% + unearned extra + unpaid pool + 1 Lux of rounding
    assert split.treasury == 1_985_740_000 + 1_323_826_667 + 434_380_625 + 1 == 3_743_947_293
    assert split.generator + sum(v for _, v in split.voters) + split.treasury == reward


@pytest.mark.parametrize(("credits", "extra"), [(0, 0), (86, 0), (87, 2), (107, 50), (127, 97), (128, 100)])
def test_generator_extra_by_credits(credits: int, extra: int) -> None:
    """``extra/42 × (credits − 86)`` of a 100-Lux extra (reward 1,000), all of it at 128."""
    split = compute_reward_split(1_000, credits=credits, voters=[])
    assert split.generator_extra == extra
    assert split.generator == 700 + extra
    assert split.treasury == 1_000 - 700 - extra


def test_full_attestation_pays_everyone_their_share() -> None:
    split = compute_reward_split(1_280, credits=128, voters=[(VOTER_A, 64), (VOTER_B, 64)])
    assert split.generator == 896 + 128
    assert split.voters == ((VOTER_A, 64), (VOTER_B, 64))
    assert split.treasury == 128


@given(
    reward=st.integers(0, 2**60),
    credits=st.integers(0, 128),
    voter_credits=st.lists(st.integers(0, 16), max_size=8),
)
def test_split_always_sums_to_the_reward(reward: int, credits: int, voter_credits: list[int]) -> None:
    voters = [(VOTER_A, c) for c in voter_credits]
    split = compute_reward_split(reward, credits=credits, voters=voters)
    assert split.generator + sum(v for _, v in split.voters) + split.treasury == reward
    assert split.treasury >= reward // 10


@pytest.mark.parametrize(
    ("credits", "voters"), [(129, []), (-1, []), (100, [(VOTER_A, 100), (VOTER_B, 29)]), (1, [(VOTER_A, -1)])]
)
def test_invalid_credits(credits: int, voters: list[tuple[BlsPublicKey, int]]) -> None:
    with pytest.raises(InvalidRewards) as error:
        compute_reward_split(1_000, credits=credits, voters=voters)
    assert error.value.reason == "too_many_credits"


# -- applying --------------------------------------------------------------------------------------


def test_apply_block_rewards_accrues_to_stakes_and_resets_faults() -> None:
    state = State(MemoryStore())
    faulty = Stake(StakeAmount(Lux(5_000), Lux(500), Height(4320)), Lux(7), U8(2), U8(1))
    state.set_stake(GENERATOR, faulty)
    split = apply_block_rewards(
        state,
        height=Height(1),
        generator=GENERATOR,
        fees=Lux(3),
        voters=[(VOTER_A, 60), (VOTER_B, 40)],
        prev_attestation_credits=100,
        treasury=TREASURY,
    )
    assert split.reward == 19_857_400_003
    assert state.get_stake(GENERATOR) == Stake(
        faulty.amount, Lux(7 + 13_900_180_002 + 661_913_333), U8(0), U8(0)
    )
    assert state.get_stake(VOTER_A) == Stake(None, Lux(930_815_625), U8(0), U8(0))
    assert state.get_stake(VOTER_B) == Stake(None, Lux(620_543_750), U8(0), U8(0))
    assert state.get_stake(TREASURY) == Stake(None, Lux(3_743_947_293), U8(0), U8(0))
    # nothing reaches an account: rewards are withdrawn through the stake contract
    assert all(state.get_account(k).balance == 0 for k in (GENERATOR, VOTER_A, VOTER_B, TREASURY))


def test_apply_block_rewards_after_emission_ends_pays_only_fees() -> None:
    state = State(MemoryStore())
    split = apply_block_rewards(
        state,
        height=Height(LAST_MINT_HEIGHT + 1),
        generator=GENERATOR,
        fees=Lux(0),
        voters=[(VOTER_A, 128)],
        prev_attestation_credits=128,
        treasury=TREASURY,
    )
    assert split.reward == 0
    assert state.pending_writes() == {}


def test_invalid_apply_block_rewards_writes_nothing() -> None:
    state = State(MemoryStore())
    with pytest.raises(InvalidRewards):
        apply_block_rewards(
            state,
            height=Height(1),
            generator=GENERATOR,
            fees=Lux(0),
            voters=[(VOTER_A, 129)],
            prev_attestation_credits=128,
            treasury=TREASURY,
        )
    assert state.pending_writes() == {}
