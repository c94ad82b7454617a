"""The vote aggregator: quorum, replays, equivocation evidence (reference §1.3, §1.5, §1.8)."""

from __future__ import annotations

import dataclasses

import pytest

from chain.consensus.aggregator import FaultDetected, QuorumReached, StepAggregator, VoteMessage
from chain.consensus.exceptions import InvalidVote
from chain.consensus.faults import DoubleRatificationVote, DoubleValidationVote, validate_fault
from chain.consensus.quorum import ConsensusHeader, compute_vote_signing_bytes, verify_step_votes
from chain.consensus.sortition import Committee, StepKind, get_step_committee
from chain.crypto import bls12_381 as bls
from chain.types.consensus import Vote, VoteKind
from chain.types.primitives import Hash32, Height, Iteration, Seed
from tests.chain.consensus.helpers import secret_of, stake_list

PREV = Hash32(b"\x11" * 32)
HEADER = ConsensusHeader(PREV, Height(12), Iteration(0))
VALID = Vote(VoteKind.VALID, Hash32(b"\x22" * 32))
PROVISIONERS = stake_list([1000, 2000, 3000, 1500, 2500, 1000, 1000, 4000, 1200, 1800], real_keys=True)
SEED = Seed(b"\x05" * 96)


@pytest.fixture(scope="module")
def committee() -> Committee:
    return get_step_committee(PROVISIONERS, SEED, 0, StepKind.VALIDATION)


def signed(
    committee: Committee, j: int, vote: Vote = VALID, step: StepKind = StepKind.VALIDATION
) -> VoteMessage:
    signer = committee.members[j]
    signature = bls.Sign(secret_of(signer), compute_vote_signing_bytes(HEADER, step, vote))
    return VoteMessage(HEADER, step, vote, signer, signature)


def by_credits(committee: Committee) -> list[int]:
    return sorted(range(len(committee.members)), key=lambda j: -committee.credits[j])


def test_quorum_is_reached_once_with_a_verifiable_aggregate(committee: Committee) -> None:
    aggregator = StepAggregator(HEADER, StepKind.VALIDATION, committee)
    outcomes = [aggregator.add_vote(signed(committee, j)) for j in by_credits(committee)]
    reached = [o for o in outcomes if isinstance(o, QuorumReached)]
    assert len(reached) == 1
    quorum = reached[0]
    assert quorum.vote == VALID
    assert quorum.credits >= 43
    # Quorum is announced at the first vote that crosses 43 credits, not later.
    first = outcomes.index(quorum)
    assert quorum.credits - committee.credits[by_credits(committee)[first]] < 43
    verify_step_votes(
        quorum.step_votes,
        committee,
        compute_vote_signing_bytes(HEADER, StepKind.VALIDATION, VALID),
        43,
    )


def test_majority_suffices_for_non_valid_results(committee: Committee) -> None:
    aggregator = StepAggregator(HEADER, StepKind.VALIDATION, committee)
    vote = Vote(VoteKind.NO_CANDIDATE)
    for j in by_credits(committee):
        outcome = aggregator.add_vote(signed(committee, j, vote))
        if isinstance(outcome, QuorumReached):
            assert 33 <= outcome.credits < 33 + committee.credits[j]
            return
    pytest.fail("no quorum")


def test_replays_are_ignored_and_counted(committee: Committee) -> None:
    aggregator = StepAggregator(HEADER, StepKind.VALIDATION, committee)
    message = signed(committee, 0)
    assert aggregator.add_vote(message) is None
    assert aggregator.add_vote(message) is None
    assert aggregator.add_vote(message) is None
    assert aggregator.replays == 2
    assert aggregator.credits_for(VALID) == committee.credits[0]


def test_equivocation_yields_evidence_that_validates(committee: Committee) -> None:
    aggregator = StepAggregator(HEADER, StepKind.VALIDATION, committee)
    first = signed(committee, 1)
    second = signed(committee, 1, Vote(VoteKind.NO_CANDIDATE))
    assert aggregator.add_vote(first) is None
    outcome = aggregator.add_vote(second)
    assert isinstance(outcome, FaultDetected)
    evidence = outcome.evidence
    assert isinstance(evidence, DoubleValidationVote)
    validate_fault(evidence, current_round=12, epoch_length=2160)
    # The second vote is not counted, and the equivocation is reported once.
    assert aggregator.credits_for(Vote(VoteKind.NO_CANDIDATE)) == 0
    third = signed(committee, 1, Vote(VoteKind.NO_QUORUM))
    assert aggregator.add_vote(third) is None


def test_ratification_equivocation_evidence(committee: Committee) -> None:
    aggregator = StepAggregator(HEADER, StepKind.RATIFICATION, committee)
    aggregator.add_vote(signed(committee, 0, step=StepKind.RATIFICATION))
    outcome = aggregator.add_vote(signed(committee, 0, Vote(VoteKind.NO_QUORUM), StepKind.RATIFICATION))
    assert isinstance(outcome, FaultDetected)
    assert isinstance(outcome.evidence, DoubleRatificationVote)
    validate_fault(outcome.evidence, current_round=12, epoch_length=2160)


def test_invalid_vote_from_outside_the_committee(committee: Committee) -> None:
    outsider = next(pk for pk, _ in PROVISIONERS if committee.credits_of(pk) == 0)
    message = VoteMessage(
        HEADER,
        StepKind.VALIDATION,
        VALID,
        outsider,
        bls.Sign(secret_of(outsider), compute_vote_signing_bytes(HEADER, StepKind.VALIDATION, VALID)),
    )
    with pytest.raises(InvalidVote) as exc:
        StepAggregator(HEADER, StepKind.VALIDATION, committee).add_vote(message)
    assert exc.value.reason == "not_in_committee"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"step": StepKind.RATIFICATION}, "wrong_step"),
        ({"header": ConsensusHeader(PREV, Height(13), Iteration(0))}, "wrong_round"),
        ({"header": ConsensusHeader(PREV, Height(12), Iteration(1))}, "wrong_iteration"),
        ({"header": ConsensusHeader(Hash32(bytes(32)), Height(12), Iteration(0))}, "wrong_prev_hash"),
    ],
)
def test_invalid_vote_for_another_step(committee: Committee, change: dict[str, object], reason: str) -> None:
    aggregator = StepAggregator(HEADER, StepKind.VALIDATION, committee)
    with pytest.raises(InvalidVote) as exc:
        aggregator.add_vote(dataclasses.replace(signed(committee, 0), **change))  # type: ignore[arg-type]
    assert exc.value.reason == reason
    assert aggregator.credits_for(VALID) == 0


def test_invalid_vote_signature_leaves_the_aggregator_untouched(committee: Committee) -> None:
    aggregator = StepAggregator(HEADER, StepKind.VALIDATION, committee)
    forged = dataclasses.replace(signed(committee, 0), signature=signed(committee, 1).signature)
    with pytest.raises(InvalidVote) as exc:
        aggregator.add_vote(forged)
    assert exc.value.reason == "invalid_signature"
    assert aggregator.credits_for(VALID) == 0
    # The real vote of that member is still accepted afterwards.
    assert aggregator.add_vote(signed(committee, 0)) is None
    assert aggregator.credits_for(VALID) == committee.credits[0]
