"""Block rewards and emission (reference/dusk-protocol.md §1.9, §1.8 "Any reward resets the
counters").

Emission
--------
19.8574 units per block for blocks 1–12,614,400 (one 4-year period of 8,640 blocks a day),
halving each period over 9 periods, and a last mint of 0.05428 units at block 113,529,597.
The reference gives the first and the ninth amount (19.8574 … 0.07757): halving 19.8574
exactly gives 0.0775679… in the ninth period, so each period's amount is the halving
rounded to 5 decimals (10,000 Lux), half up (:func:`compute_period_emission`). The ninth
period ends at block 113,529,596, three blocks short of 9 × 12,614,400, so that the total
emission is exactly 500,000,000 units ("≈ 500 M over 36 years"); both facts are tested.

Split
-----
``reward = emission(h) + fees`` (Lux), split with integer arithmetic:

- generator: ``⌊70% · reward⌋`` plus the earned part of the extra,
  ``⌊extra · min(max(credits − 86, 0), 42) / 42⌋`` with ``extra = ⌊10% · reward⌋`` and
  ``credits`` those of the previous block's attestation (all of it at 128 credits, none at
  86 or fewer);
- each voter of the previous block's attestation: ``⌊pool · credits_i / 128⌋`` with
  ``pool = ⌊10% · reward⌋`` (``pool/128`` per credit);
- the treasury (Dusk's "Dusk key", ``ChainParams.treasury``): everything else, that is
  ``⌊10% · reward⌋``, the extra the generator did not earn (the reference does not say where
  it goes; rusk gives it to the Dusk key), the voters' pool not paid out (fewer than 128
  credits) and every rounding remainder.

So the amounts paid always sum to ``reward`` exactly. Rewards accrue to ``Stake.reward``
(withdrawn by the stake's owner, :func:`chain.transition.staking.apply_withdraw`), a key
without a stake row gets one with no amount, and any positive reward resets the key's
``faults`` and ``hard_faults`` (§1.8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from chain.state.stakes import Stake
from chain.state.state import State
from chain.transition.exceptions import TransitionError
from chain.transition.params import LUX_PER_UNIT
from chain.types.primitives import U8, BlsPublicKey, Height, Lux

#: Blocks per emission period: 4 years of 8,640 blocks a day (reference §1.9).
EMISSION_PERIOD: Final = 12_614_400
EMISSION_PERIODS: Final = 9
#: 19.8574 units per block in the first period (reference §1.9).
INITIAL_EMISSION: Final = 198_574 * LUX_PER_UNIT // 10_000
#: Per-block emission of each period in Lux: the halving rounded to 10,000 Lux, half up.
EMISSION_SCHEDULE: Final[tuple[Lux, ...]] = (
    Lux(19_857_400_000),
    Lux(9_928_700_000),
    Lux(4_964_350_000),
    Lux(2_482_180_000),
    Lux(1_241_090_000),
    Lux(620_540_000),
    Lux(310_270_000),
    Lux(155_140_000),
    Lux(77_570_000),
)
#: The last block of the ninth period, and the one block after it with a last mint.
LAST_PERIOD_END: Final = 113_529_596
LAST_MINT_HEIGHT: Final = 113_529_597
LAST_MINT: Final = Lux(54_280_000)

TREASURY_PERCENT: Final = 10
GENERATOR_PERCENT: Final = 70
GENERATOR_EXTRA_PERCENT: Final = 10
VOTERS_PERCENT: Final = 10
#: Credits of an attestation: 64 in validation plus 64 in ratification (reference §1.2).
ATTESTATION_CREDITS: Final = 128
#: Credits of the two supermajority quorums, 43 + 43 (reference §1.3): the extra starts here.
QUORUM_CREDITS: Final = 86
EXTRA_CREDITS: Final = ATTESTATION_CREDITS - QUORUM_CREDITS


class InvalidRewards(TransitionError):
    """Reward inputs that no attestation can produce: ``too_many_credits``."""


@dataclass(frozen=True, slots=True)
class RewardSplit:
    """How one block's reward is paid (module docstring, Split); the parts sum to ``reward``."""

    reward: Lux
    """``emission(h) + fees``."""
    generator: Lux
    """The fixed 70% plus the extra earned."""
    generator_extra: Lux
    """The part of ``generator`` earned by the attestation's credits above 86."""
    voters: tuple[tuple[BlsPublicKey, Lux], ...]
    """Each voter of the previous attestation with its share, in the order given."""
    treasury: Lux
    """10%, the unearned extra, the unpaid voters' pool and every rounding remainder."""


def compute_period_emission(period: int) -> Lux:
    """Per-block emission of ``period`` (0-based, < 9) from the rule: 19.8574 units halved
    ``period`` times, rounded to 5 decimals (10,000 Lux) half up. The readable reference of
    :data:`EMISSION_SCHEDULE`."""
    divisor = (1 << period) * 10_000
    return Lux((INITIAL_EMISSION + divisor // 2) // divisor * 10_000)


def compute_emission(height: Height) -> Lux:
    """Lux minted by the block at ``height`` (reference §1.9): 0 at genesis, then
    :data:`EMISSION_SCHEDULE` by period until block 113,529,596, ``LAST_MINT`` at block
    113,529,597, and 0 after."""
    if height == 0 or height > LAST_MINT_HEIGHT:
        return Lux(0)
    if height == LAST_MINT_HEIGHT:
        return LAST_MINT
    return EMISSION_SCHEDULE[(height - 1) // EMISSION_PERIOD]


def compute_reward_split(
    reward: int, *, credits: int, voters: Sequence[tuple[BlsPublicKey, int]]
) -> RewardSplit:
    """Split ``reward`` Lux (module docstring, Split).

    Parameters
    ----------
    reward
        ``emission + fees`` in Lux.
    credits
        Credits of the previous block's attestation, 0 to 128.
    voters
        ``(key, credits)`` of each voter of that attestation; the credits sum to at most 128.

    Raises
    ------
    InvalidRewards
        ``too_many_credits`` if ``credits`` or the voters' credits exceed 128 or one is
        negative.
    """
    if not 0 <= credits <= ATTESTATION_CREDITS:
        raise InvalidRewards(f"{credits} credits: an attestation has 0 to 128", reason="too_many_credits")
    if any(c < 0 for _, c in voters) or sum(c for _, c in voters) > ATTESTATION_CREDITS:
        raise InvalidRewards("the voters' credits must be 0 to 128 in all", reason="too_many_credits")
    generator_fixed = reward * GENERATOR_PERCENT // 100
    extra = reward * GENERATOR_EXTRA_PERCENT // 100
    pool = reward * VOTERS_PERCENT // 100
    earned = extra * min(max(credits - QUORUM_CREDITS, 0), EXTRA_CREDITS) // EXTRA_CREDITS
    shares = tuple((key, Lux(pool * c // ATTESTATION_CREDITS)) for key, c in voters)
    treasury = reward - generator_fixed - earned - sum(share for _, share in shares)
    return RewardSplit(Lux(reward), Lux(generator_fixed + earned), Lux(earned), shares, Lux(treasury))


def apply_block_rewards(
    state: State,
    *,
    height: Height,
    generator: BlsPublicKey,
    fees: Lux,
    voters: Sequence[tuple[BlsPublicKey, int]],
    prev_attestation_credits: int,
    treasury: BlsPublicKey,
) -> RewardSplit:
    """Mint ``emission(height)`` and pay ``emission + fees`` to the stakes of the generator,
    the previous attestation's voters and the treasury (reference §1.9).

    Each share is added to ``Stake.reward`` (not to an account); a positive share resets the
    key's fault counters (§1.8). ``fees`` must not also be paid elsewhere. Nothing in the
    transition calls this yet: ``process_transaction`` still pays fees to the generator's
    account until consensus supplies the attestation's voters (issue 4).

    Parameters
    ----------
    fees
        The block's fees in Lux (sum of its receipts' ``fee_paid``).
    voters, prev_attestation_credits
        As :func:`compute_reward_split`; the credits are normally the voters' sum.
    treasury
        ``ChainParams.treasury``.

    Raises
    ------
    InvalidRewards
        As :func:`compute_reward_split`; nothing is written then.
    """
    split = compute_reward_split(
        int(compute_emission(height)) + int(fees), credits=prev_attestation_credits, voters=voters
    )
    _add_reward(state, generator, split.generator)
    for key, share in split.voters:
        _add_reward(state, key, share)
    _add_reward(state, treasury, split.treasury)
    return split


def _add_reward(state: State, key: BlsPublicKey, amount: int) -> None:
    if amount == 0:
        return
    stake = state.get_stake(key) or Stake(None, Lux(0), U8(0), U8(0))
    state.set_stake(key, replace(stake, reward=Lux(stake.reward + amount), faults=U8(0), hard_faults=U8(0)))
