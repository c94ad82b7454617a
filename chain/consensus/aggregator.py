"""A pure vote accumulator for one step of one iteration (reference/dusk-protocol.md §1.3,
§1.5, §1.6, §1.8).

A :class:`StepAggregator` is the only mutable object here, like a fork-choice store: it is
fed votes (:meth:`StepAggregator.add_vote`) and answers with what happened. It does no I/O and
reads no clock. It checks each vote's signature on entry, so the aggregate it produces
always verifies; it counts each member once, with all its credits; it ignores replays; and it
turns a second, different vote of the same member into fault evidence (§1.8) instead of
counting it. A rejected vote leaves the aggregator as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from chain.consensus.exceptions import InvalidVote
from chain.consensus.faults import DoubleRatificationVote, DoubleValidationVote, SignedVote
from chain.consensus.quorum import ConsensusHeader, compute_quorum_threshold, compute_vote_signing_bytes
from chain.consensus.sortition import Committee, StepKind
from chain.crypto import bls12_381 as bls
from chain.types.consensus import StepVotes, Vote
from chain.types.primitives import U64, BlsPublicKey, BlsSignature


@dataclass(frozen=True, slots=True)
class VoteMessage:
    """A validation or ratification vote as it arrives from the network (§1.5)."""

    header: ConsensusHeader
    step: StepKind
    vote: Vote
    signer: BlsPublicKey
    signature: BlsSignature
    """Over :func:`~chain.consensus.quorum.compute_vote_signing_bytes` of the step."""


@dataclass(frozen=True, slots=True)
class QuorumReached:
    """A vote reached its threshold (§1.3); ``step_votes`` attest it (§1.6)."""

    header: ConsensusHeader
    step: StepKind
    vote: Vote
    step_votes: StepVotes
    credits: int
    """Credits of the voters in ``step_votes``."""


@dataclass(frozen=True, slots=True)
class FaultDetected:
    """A member voted twice, differently, in this step (§1.8)."""

    evidence: DoubleValidationVote | DoubleRatificationVote


class StepAggregator:
    """Collects the votes of one (round, iteration, step) from one committee.

    Parameters
    ----------
    header
        The iteration's consensus header (prev_hash, round, iteration).
    step
        ``VALIDATION`` or ``RATIFICATION``.
    committee
        The step's committee (:func:`~chain.consensus.sortition.get_step_committee`).
    backend
        A BLS backend; the default one if None.
    """

    def __init__(
        self,
        header: ConsensusHeader,
        step: StepKind,
        committee: Committee,
        *,
        backend: bls.BlsBackendAPI | None = None,
    ) -> None:
        if step is StepKind.PROPOSAL:
            raise InvalidVote("the proposal step has no votes", reason="wrong_step")
        self.header = header
        self.step = step
        self.committee = committee
        self.replays = 0
        """Votes received again and ignored."""
        self._backend = backend
        self._first_vote: dict[bytes, VoteMessage] = {}
        self._signatures: dict[Vote, dict[int, BlsSignature]] = {}
        self._reached: set[Vote] = set()
        self._equivocators: set[bytes] = set()

    def add_vote(self, message: VoteMessage) -> QuorumReached | FaultDetected | None:
        """Take one vote.

        Returns
        -------
        QuorumReached
            The first time this vote's credits reach its threshold.
        FaultDetected
            The signer had voted differently in this step (reported once per signer; the new
            vote is not counted).
        None
            Counted without reaching a new quorum, or a replay (counted in ``replays``).

        Raises
        ------
        InvalidVote
            ``wrong_step``, ``wrong_round``, ``wrong_iteration``, ``wrong_prev_hash``,
            ``not_in_committee`` or ``invalid_signature``; nothing changes.
        """
        self._check_address(message)
        index = self.committee.index_of(message.signer)
        if index is None:
            raise InvalidVote("the signer holds no credit in this committee", reason="not_in_committee")
        key = bytes(message.signer)
        earlier = self._first_vote.get(key)
        if earlier is not None and earlier.vote == message.vote:
            self.replays += 1
            return None
        self._check_signature(message)
        if earlier is not None:
            if key in self._equivocators:
                return None
            self._equivocators.add(key)
            return FaultDetected(self._evidence(earlier, message))
        self._first_vote[key] = message
        signatures = self._signatures.setdefault(message.vote, {})
        signatures[index] = message.signature
        credits = self.credits_for(message.vote)
        threshold = compute_quorum_threshold(message.vote.kind, self.committee.total_credits)
        if message.vote in self._reached or credits < threshold:
            return None
        self._reached.add(message.vote)
        step_votes = self._aggregate(signatures)
        return QuorumReached(self.header, self.step, message.vote, step_votes, credits)

    def credits_for(self, vote: Vote) -> int:
        """Credits of the members counted for ``vote`` so far."""
        return sum(self.committee.credits[j] for j in self._signatures.get(vote, {}))

    def get_step_votes(self, vote: Vote) -> StepVotes | None:
        """The bitset and aggregate signature of the votes for ``vote`` so far, or ``None``."""
        signatures = self._signatures.get(vote)
        return self._aggregate(signatures) if signatures else None

    def _aggregate(self, signatures: dict[int, BlsSignature]) -> StepVotes:
        bitset = sum(1 << j for j in signatures)
        ordered = [signatures[j] for j in sorted(signatures)]
        aggregate = bls.Aggregate(ordered) if self._backend is None else self._backend.Aggregate(ordered)
        return StepVotes(U64(bitset), aggregate)

    def _check_address(self, message: VoteMessage) -> None:
        if message.step is not self.step:
            raise InvalidVote(f"a {message.step.name} vote in the {self.step.name} step", reason="wrong_step")
        if message.header.round != self.header.round:
            raise InvalidVote(f"a vote for round {message.header.round}", reason="wrong_round")
        if message.header.iteration != self.header.iteration:
            raise InvalidVote(f"a vote for iteration {message.header.iteration}", reason="wrong_iteration")
        if message.header.prev_hash != self.header.prev_hash:
            raise InvalidVote("a vote on another previous block", reason="wrong_prev_hash")

    def _check_signature(self, message: VoteMessage) -> None:
        signing_bytes = compute_vote_signing_bytes(message.header, message.step, message.vote)
        verify = bls.Verify if self._backend is None else self._backend.Verify
        if not verify(message.signer, signing_bytes, message.signature):
            raise InvalidVote("the vote's signature does not verify", reason="invalid_signature")

    def _evidence(
        self, first: VoteMessage, second: VoteMessage
    ) -> DoubleValidationVote | DoubleRatificationVote:
        sides = [SignedVote(m.header, m.vote, m.signer, m.signature) for m in (first, second)]
        if self.step is StepKind.VALIDATION:
            return DoubleValidationVote(sides[0], sides[1])
        return DoubleRatificationVote(sides[0], sides[1])
