"""What consensus adds to a block's execution: rewards and slashes (reference/dusk-protocol.md
§1.8, §1.9), applied after the block's transactions.

The transition does not know committees: like rusk's ``execute_state_transition`` (which
takes ``voters`` and ``slashing`` from the node), it receives a :class:`ConsensusEffects`
that the consensus layer derived from the header and checked
(:mod:`chain.consensus.incentives`):

- ``voters``: each voter of the previous block's attestation (``prev_block_cert``) with its
  credits in the two steps (at most 128 in all), for the rewards split of §1.9;
- ``slashes``: the generator of each failed iteration whose attestation says NoCandidate
  (a missed proposal) or Invalid (an invalid candidate), and the signer of each fault the
  block carries (§1.8 "Slash sources"). Hard slashing is disabled upstream and "all execute
  as soft" (§1.8), so every slash is :func:`~chain.transition.staking.apply_soft_slash`.

Each fault's SHA3 digest (the leaf of ``fault_root``) is recorded in the state, so the same
evidence can never be carried, and its signer slashed, twice.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from chain.state.state import State
from chain.transition.exceptions import InvalidBlock
from chain.transition.params import ChainParams
from chain.transition.rewards import InvalidRewards, RewardSplit, apply_block_rewards
from chain.transition.roots import compute_fault_leaf
from chain.transition.staking import apply_soft_slash
from chain.types.blocks import BlockHeader, Fault
from chain.types.primitives import BlsPublicKey, Lux


class SlashReason(enum.Enum):
    """Why a provisioner is slashed (reference §1.8 "Slash sources")."""

    MISSED_PROPOSAL = "missed_proposal"
    """The generator of a failed iteration whose attestation votes NoCandidate."""
    INVALID_CANDIDATE = "invalid_candidate"
    """The generator of a failed iteration whose attestation votes Invalid."""
    FAULT = "fault"
    """The signer of double-candidate or double-vote evidence carried by the block."""


@dataclass(frozen=True, slots=True)
class Slash:
    provisioner: BlsPublicKey
    reason: SlashReason


@dataclass(frozen=True, slots=True)
class ConsensusEffects:
    """Rewards and slashes of one block, derived from its header by consensus."""

    voters: tuple[tuple[BlsPublicKey, int], ...] = ()
    """``(key, credits)`` of each voter of ``prev_block_cert``; credits sum to ≤ 128."""
    slashes: tuple[Slash, ...] = ()


NO_CONSENSUS_EFFECTS: ConsensusEffects = ConsensusEffects()
"""For blocks without consensus (the single-authority producer): the generator and the
treasury share the reward, nobody is slashed."""


def apply_consensus_effects(
    state: State,
    *,
    header: BlockHeader,
    fees: int,
    faults: Sequence[Fault],
    effects: ConsensusEffects,
    params: ChainParams,
) -> RewardSplit:
    """Pay the block reward, record the faults and apply the slashes, in that order (rusk's
    ``reward_slash_and_update_root``).

    Parameters
    ----------
    fees
        The block's fees in Lux (sum of the receipts' ``fee_paid``).
    faults
        The block's faults (already checked by consensus).

    Raises
    ------
    InvalidBlock
        ``fault_already_reported`` if an earlier block carried one of ``faults``;
        ``invalid_rewards`` if the voters' credits exceed 128. The caller rolls back.
    """
    try:
        split = apply_block_rewards(
            state,
            height=header.height,
            generator=header.generator,
            fees=Lux(fees),
            voters=effects.voters,
            prev_attestation_credits=sum(credits for _, credits in effects.voters),
            treasury=params.treasury,
        )
    except InvalidRewards as exc:
        raise InvalidBlock(f"rewards: {exc}", reason="invalid_rewards") from exc
    for fault in faults:
        digest = compute_fault_leaf(fault)
        reported = state.get_fault_report(digest)
        if reported is not None:
            raise InvalidBlock(
                f"fault {digest.hex()[:16]} was already carried by block {reported}",
                reason="fault_already_reported",
            )
        state.set_fault_report(digest, header.height)
    for slash in effects.slashes:
        apply_soft_slash(state, slash.provisioner, height=header.height, params=params)
    return split
