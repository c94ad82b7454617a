"""The Succinct Attestation engine of one provisioner: sans-I/O (reference §1.2–§1.7).

The engine takes messages and ``now`` (seconds, the caller's clock) and returns what to do:
messages to broadcast, a decided block to commit, fault evidence. It keeps one deadline
(:attr:`ConsensusEngine.deadline`); the caller calls :meth:`ConsensusEngine.on_timer` when it
passes. It never touches a socket, a clock, a thread or a store: the chain is reached through
a :class:`ChainContext` that answers from committed state.

A round (one block) runs iterations of three steps (§1.4):

1. **Proposal.** The iteration's generator (sortition, §1.2) builds, signs and broadcasts a
   candidate; the others wait for it until the proposal timeout.
2. **Validation.** The 64-credit committee votes ``Valid(h)`` for a candidate that passes
   ``ChainContext.is_valid_candidate``, ``Invalid(h)`` otherwise, ``NoCandidate`` if none
   came; votes are aggregated until a quorum (§1.3) or the timeout (``NoQuorum``).
3. **Ratification.** The second committee re-votes the validation result; a quorum ends the
   iteration and its :class:`~chain.types.consensus.Attestation` is broadcast in a
   :class:`QuorumMessage`. ``Valid(h)`` decides block ``h`` (:class:`Decided`); any other
   result, or a ratification timeout, starts the next iteration, recording a failed
   iteration (with its attestation before relaxed mode, §1.4).

Late and early messages of the round are kept per iteration, so a quorum reached for an
earlier iteration still decides, and a future iteration may already have its result when the
engine gets there. Messages of the next rounds are buffered (bounded) and replayed.

**Fork choice** (§1.7). The engine keeps the *previous round*, the one that produced the tip
(its prev_hash, provisioners, seed, committees, candidates and votes per iteration), and
keeps taking that round's candidates, votes and quorum messages. When a Success attestation
for it (a :class:`QuorumMessage` verified against that round's committees, or a quorum of the
votes it counts itself) names an iteration lower than the tip's, and it holds (or later
receives) that iteration's candidate with the attested hash, it outputs :class:`Revert`: the
caller replaces the tip by that block (same parent), never past a Final block, and calls
:meth:`ConsensusEngine.on_block_committed`. Never for an iteration >= the tip's. Older rounds,
and the tip's round on another parent, are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from chain.consensus.aggregator import FaultDetected, QuorumReached, StepAggregator, VoteMessage
from chain.consensus.exceptions import ConsensusError
from chain.consensus.faults import FaultEvidence
from chain.consensus.quorum import ConsensusHeader, compute_vote_signing_bytes, verify_attestation
from chain.consensus.sortition import (
    RATIFICATION_COMMITTEE_CREDITS,
    VALIDATION_COMMITTEE_CREDITS,
    Committee,
    Provisioners,
    StepKind,
    compute_committee,
    compute_step,
    get_generator,
    get_step_committee,
)
from chain.consensus.timeouts import (
    EMPTY_DURATIONS,
    StepDurations,
    TimeoutParams,
    apply_step_duration,
    apply_step_timeout,
    compute_round_timeouts,
    get_step_timeout,
    is_failed_iteration_recorded,
    is_vote_allowed,
)
from chain.crypto import bls12_381 as bls
from chain.transition.roots import compute_block_hash
from chain.types.blocks import Block, BlockHeader, FailedIteration
from chain.types.consensus import EMPTY_STEP_VOTES, Attestation, ResultTag, StepVotes, Vote, VoteKind
from chain.types.primitives import BlsPublicKey, BlsSecretKey, Hash32, Height, Iteration

MAX_ITERATIONS: Final = 50
MAX_BUFFERED_MESSAGES: Final = 10_000
#: Messages further ahead than this many rounds are dropped (reference §1.4: ±10 rounds).
MAX_ROUNDS_AHEAD: Final = 10


@dataclass(frozen=True, slots=True)
class CandidateMessage:
    """A generator's candidate block (signed in ``header.signature``)."""

    block: Block


@dataclass(frozen=True, slots=True)
class RatificationMessage:
    """A ratification vote with the validation step votes of the result it ratifies."""

    vote: VoteMessage
    validation: StepVotes


@dataclass(frozen=True, slots=True)
class QuorumMessage:
    """An iteration's outcome: its attestation (§1.4 "Quorum message")."""

    header: ConsensusHeader
    attestation: Attestation


Message = CandidateMessage | VoteMessage | RatificationMessage | QuorumMessage


def get_message_address(message: Message) -> tuple[int, Hash32, int]:
    """``(round, prev_hash, iteration)`` a consensus message belongs to."""
    if isinstance(message, CandidateMessage):
        header = message.block.header
        return int(header.height), header.prev_block_hash, int(header.iteration)
    address = message.vote.header if isinstance(message, RatificationMessage) else message.header
    return int(address.round), address.prev_hash, int(address.iteration)


@dataclass(frozen=True, slots=True)
class Send:
    """Broadcast ``message`` to every provisioner."""

    message: Message


@dataclass(frozen=True, slots=True)
class Decided:
    """Commit ``block``; ``attestation`` attests it (it goes into the next header)."""

    block: Block
    attestation: Attestation


@dataclass(frozen=True, slots=True)
class Revert:
    """Fork choice (§1.7): replace the tip by ``block``, a block of the tip's round on the same
    parent at a lower iteration; ``attestation`` (Success, verified) attests it.

    The caller reverts the tip to the common ancestor (the tip's parent), commits ``block``,
    refusing if the tip is Final, then calls :meth:`ConsensusEngine.on_block_committed`.
    """

    block: Block
    attestation: Attestation


@dataclass(frozen=True, slots=True)
class Fault:
    """Evidence of equivocation, for a later block to carry (§1.8)."""

    evidence: FaultEvidence


Output = Send | Decided | Revert | Fault


class ChainContext(Protocol):
    """What the engine needs from the chain (answered from committed state)."""

    def get_tip(self) -> BlockHeader:
        """The last committed block's header."""

    def get_provisioners(self) -> Provisioners:
        """Provisioners eligible for the round after the tip, sorted by key (§1.1)."""

    def get_tip_round(self) -> tuple[Provisioners, bytes]:
        """Provisioners and seed (the parent's, 48 bytes) of the round that produced the tip:
        what the tip's attestation, and any rival of the tip, is checked against (§1.6)."""

    def build_candidate(
        self, *, iteration: int, failed_iterations: tuple[FailedIteration | None, ...], timestamp: int
    ) -> Block:
        """Assemble and sign a candidate on the tip (never commits)."""

    def is_valid_candidate(self, block: Block, *, now: float) -> bool:
        """Whether ``block`` is a valid next block: header, attestation of the tip,
        transactions and state root (never commits)."""


class SigningRecord(Protocol):
    """Durable memory of the last ``(round, iteration)`` a provisioner signed anything in.

    A second candidate or vote for the same (round, iteration, step) is equivocation
    (reference §1.8), and an honest node that restarts mid-round has forgotten what it
    signed. The engine records the iteration *before* it signs in it (one write per
    iteration), and a restarted engine skips, in that round, every iteration up to the
    recorded one. A node process keeps it on disk (``chain.node.signing_record``).
    """

    def get_last_signed(self) -> tuple[int, int] | None:
        """``(round, iteration)`` last recorded, or ``None``."""

    def record_signed(self, round: int, iteration: int) -> None:
        """Record ``(round, iteration)`` durably before returning; a pair not above the one
        recorded (in round, then iteration order) is ignored."""


class MemorySigningRecord:
    """A :class:`SigningRecord` in memory: for one process (tests, the simulator, which
    keeps it across a node's simulated restart)."""

    def __init__(self) -> None:
        self._last: tuple[int, int] | None = None

    def get_last_signed(self) -> tuple[int, int] | None:
        return self._last

    def record_signed(self, round: int, iteration: int) -> None:
        if self._last is None or (round, iteration) > self._last:
            self._last = (round, iteration)


DEFAULT_MIN_PROVISIONERS_FOR_EXCLUSION: Final = 10


def compute_voting_committee(
    provisioners: Provisioners,
    seed: bytes,
    iteration: int,
    kind: StepKind,
    *,
    min_provisioners_for_exclusion: int = DEFAULT_MIN_PROVISIONERS_FOR_EXCLUSION,
) -> Committee:
    """The validation or ratification committee of ``iteration`` (§1.2), with the generators
    excluded only when there are at least ``min_provisioners_for_exclusion`` provisioners.

    A Gloam deviation for small networks: with 4 provisioners the exclusions leave two
    voters, and a single crash would stop every quorum.
    """
    if len(provisioners) >= min_provisioners_for_exclusion:
        return get_step_committee(provisioners, seed, iteration, kind)
    size = VALIDATION_COMMITTEE_CREDITS if kind is StepKind.VALIDATION else RATIFICATION_COMMITTEE_CREDITS
    return compute_committee(provisioners, seed, compute_step(iteration, kind), size)


def verify_block_attestation(
    attestation: Attestation,
    *,
    block: BlockHeader,
    provisioners: Provisioners,
    seed: bytes,
    min_provisioners_for_exclusion: int = DEFAULT_MIN_PROVISIONERS_FOR_EXCLUSION,
    backend: bls.BlsBackendAPI | None = None,
) -> None:
    """Check that ``attestation`` attests ``block`` as Valid at its iteration (§1.6).

    ``provisioners`` and ``seed`` are those of the block's round (the seed is the parent's).
    Raises ``ConsensusError`` (``not_a_success`` or a reason of ``verify_attestation``).
    """
    if attestation.vote.kind is not VoteKind.VALID or attestation.vote.block_hash != compute_block_hash(
        block
    ):
        raise ConsensusError("the attestation does not attest this block as valid", reason="not_a_success")
    validation, ratification = (
        compute_voting_committee(
            provisioners,
            seed,
            int(block.iteration),
            kind,
            min_provisioners_for_exclusion=min_provisioners_for_exclusion,
        )
        for kind in (StepKind.VALIDATION, StepKind.RATIFICATION)
    )
    verify_attestation(
        attestation,
        prev_hash=block.prev_block_hash,
        round=int(block.height),
        iteration=int(block.iteration),
        validation_committee=validation,
        ratification_committee=ratification,
        backend=backend,
    )


@dataclass(slots=True)
class _Iteration:
    candidate: Block | None = None
    validation: StepAggregator | None = None
    ratification: StepAggregator | None = None
    validation_result: tuple[Vote, StepVotes] | None = None
    relayed_validation: dict[Vote, StepVotes] = field(default_factory=dict)
    """Validation step votes carried by ratification messages, by the vote they back."""
    outcome: Attestation | None = None


@dataclass(slots=True)
class _Round:
    """One round's address and electorate, and what each of its iterations has seen."""

    number: int
    prev_hash: Hash32
    seed: bytes
    provisioners: Provisioners
    iterations: dict[int, _Iteration] = field(default_factory=dict)
    committees: dict[tuple[int, StepKind], Committee] = field(default_factory=dict)

    def header(self, iteration: int) -> ConsensusHeader:
        return ConsensusHeader(self.prev_hash, Height(self.number), Iteration(iteration))

    def state(self, iteration: int) -> _Iteration:
        return self.iterations.setdefault(iteration, _Iteration())


@dataclass(slots=True)
class EngineStats:
    """Counters for operators and the simulator."""

    rejected_messages: int = 0
    buffered_messages: int = 0
    timeouts: int = 0
    iterations_failed: int = 0
    reverts: int = 0
    """:class:`Revert` outputs (fork choice, §1.7)."""
    rejections: dict[str, int] = field(default_factory=dict)


class ConsensusEngine:
    """One provisioner's consensus state machine (module docstring)."""

    def __init__(
        self,
        *,
        secret_key: BlsSecretKey,
        context: ChainContext,
        timing: TimeoutParams,
        min_block_time: float,
        backend: bls.BlsBackendAPI | None = None,
        min_provisioners_for_exclusion: int = DEFAULT_MIN_PROVISIONERS_FOR_EXCLUSION,
        signing_record: SigningRecord | None = None,
    ) -> None:
        self.secret_key = secret_key
        self.signing_record: SigningRecord = signing_record or MemorySigningRecord()
        """Written before the engine signs in an iteration (:class:`SigningRecord`)."""
        self.public_key: BlsPublicKey = bls.SkToPk(secret_key)
        self.context = context
        self.timing = timing
        self.min_block_time = min_block_time
        self.backend = backend
        self.min_provisioners_for_exclusion = min_provisioners_for_exclusion
        """Below this many provisioners the generators are not excluded from the voting
        committees (a Gloam deviation from §1.2: with 4 provisioners the exclusions leave two
        voters, and one crash would stop every quorum)."""
        self.stats = EngineStats()
        self.deadline: float | None = None
        self._history: StepDurations = EMPTY_DURATIONS
        self._future: list[Message] = []
        self._current: _Round | None = None
        self._previous: _Round | None = None
        """The round that produced the tip (None at genesis): fork choice (§1.7)."""
        self._start_round(now=None)

    # -- round and iteration --------------------------------------------------------
    @property
    def round(self) -> int:
        """The round being decided: the tip's height + 1."""
        return self._round.number

    @property
    def prev_hash(self) -> Hash32:
        """The tip's hash."""
        return self._round.prev_hash

    @property
    def seed(self) -> bytes:
        """The tip's seed, which this round's sortition draws with (§1.2)."""
        return self._round.seed

    @property
    def provisioners(self) -> Provisioners:
        return self._round.provisioners

    @property
    def _round(self) -> _Round:
        assert self._current is not None  # set by __init__
        return self._current

    def _start_round(self, now: float | None) -> None:
        tip = self.context.get_tip()
        self.tip = tip
        self._previous = self._find_tip_round(tip)
        self._current = _Round(
            int(tip.height) + 1, compute_block_hash(tip), bytes(tip.seed), self.context.get_provisioners()
        )
        last = self.signing_record.get_last_signed()
        self._signed_through = last[1] if last is not None and last[0] == self._current.number else -1
        """Iterations of this round up to this one were signed in before a restart: never again."""
        self._recorded = self._signed_through
        self.iteration = min(self._signed_through + 1, MAX_ITERATIONS - 1)
        self.step: StepKind | None = None  # None: waiting for the minimum block time
        self.step_started = 0.0
        self.decided = False
        self.failed: list[FailedIteration | None] = [None] * self.iteration
        """One entry per failed iteration (§2.1); skipped ones are unknown (``None``)."""
        self._voted: set[tuple[int, StepKind]] = set()
        self._timeouts = compute_round_timeouts(self._history, self.timing)
        self.earliest_start = float(tip.timestamp) + self.min_block_time
        self.deadline = self.earliest_start if now is None or now < self.earliest_start else now

    def _find_tip_round(self, tip: BlockHeader) -> _Round | None:
        """The round that produced ``tip``: the one just decided, the one kept before (after
        a revert the tip's round is the same), or a fresh one (after a sync or a restart)."""
        if int(tip.height) == 0:
            return None  # genesis is never reverted
        for known in (self._current, self._previous):
            if (
                known is not None
                and known.number == int(tip.height)
                and known.prev_hash == tip.prev_block_hash
            ):
                return known
        provisioners, seed = self.context.get_tip_round()
        return _Round(int(tip.height), tip.prev_block_hash, seed, provisioners)

    def start(self, now: float) -> list[Output]:
        """Begin (or resume) work at ``now``; call once after construction."""
        return self.on_timer(now)

    def on_block_committed(self, now: float) -> list[Output]:
        """The caller committed a block (decided, synchronised, or replacing the tip after a
        :class:`Revert`): start the next round on the context's tip."""
        self._start_round(now)
        outputs = self.on_timer(now)
        pending, self._future = self._future, []
        self.stats.buffered_messages = 0
        for message in pending:
            outputs += self.on_message(message, now)
        return outputs

    def committee(self, iteration: int, kind: StepKind) -> Committee:
        """The current round's ``kind`` committee of ``iteration``."""
        return self._committee(self._round, iteration, kind)

    def _committee(self, rnd: _Round, iteration: int, kind: StepKind) -> Committee:
        key = (iteration, kind)
        if key not in rnd.committees:
            rnd.committees[key] = compute_voting_committee(
                rnd.provisioners,
                rnd.seed,
                iteration,
                kind,
                min_provisioners_for_exclusion=self.min_provisioners_for_exclusion,
            )
        return rnd.committees[key]

    def generator(self, iteration: int) -> BlsPublicKey:
        """The current round's generator of ``iteration``."""
        return get_generator(self.provisioners, self.seed, iteration)

    def _aggregator(self, iteration: int, kind: StepKind, rnd: _Round | None = None) -> StepAggregator:
        rnd = rnd or self._round
        state = rnd.state(iteration)
        current = state.validation if kind is StepKind.VALIDATION else state.ratification
        if current is None:
            current = StepAggregator(
                rnd.header(iteration), kind, self._committee(rnd, iteration, kind), backend=self.backend
            )
            if kind is StepKind.VALIDATION:
                state.validation = current
            else:
                state.ratification = current
        return current

    def _enter(self, step: StepKind, now: float) -> None:
        if self.step is not None:
            self._history = apply_step_duration(
                self._history, self.step, now - self.step_started, self.timing
            )
        self.step = step
        self.step_started = now
        timeout = get_step_timeout(self._timeouts, step, self.iteration, self.timing)
        # Emergency mode casts no timeout votes (``is_vote_allowed``) but still moves on after
        # the longest timeout, keeping earlier iterations open, so the round can end (§1.4).
        self.deadline = now + (self.timing.max_timeout if timeout is None else timeout)

    def _begin_iteration(self, iteration: int, now: float) -> list[Output]:
        self.iteration = iteration
        self.step = None
        self._enter(StepKind.PROPOSAL, now)
        outputs: list[Output] = []
        state = self._round.state(iteration)
        if (
            state.candidate is None
            and self.generator(iteration) == self.public_key
            and self._may_sign(iteration)
        ):
            timestamp = int(max(now, self.earliest_start))
            block = self.context.build_candidate(
                iteration=iteration, failed_iterations=tuple(self.failed), timestamp=timestamp
            )
            state.candidate = block
            outputs.append(Send(CandidateMessage(block)))
        if state.candidate is not None:
            outputs += self._enter_validation(now)
        return outputs

    def _enter_validation(self, now: float) -> list[Output]:
        self._enter(StepKind.VALIDATION, now)
        state = self._round.state(self.iteration)
        outputs: list[Output] = []
        if state.candidate is None:
            vote = Vote(VoteKind.NO_CANDIDATE)
        else:
            block_hash = compute_block_hash(state.candidate.header)
            valid = self.context.is_valid_candidate(state.candidate, now=now)
            vote = Vote(VoteKind.VALID if valid else VoteKind.INVALID, block_hash)
        outputs += self._cast(StepKind.VALIDATION, vote, now, validation=None)
        if state.validation_result is not None and self.step is StepKind.VALIDATION:
            outputs += self._enter_ratification(now)
        return outputs

    def _enter_ratification(self, now: float) -> list[Output]:
        self._enter(StepKind.RATIFICATION, now)
        state = self._round.state(self.iteration)
        vote, step_votes = state.validation_result or (Vote(VoteKind.NO_QUORUM), EMPTY_STEP_VOTES)
        if state.validation_result is None:
            state.validation_result = (vote, step_votes)
        return self._cast(StepKind.RATIFICATION, vote, now, validation=step_votes)

    def _cast(self, kind: StepKind, vote: Vote, now: float, *, validation: StepVotes | None) -> list[Output]:
        """Sign and count our own vote, if we sit in the committee and may vote it."""
        key = (self.iteration, kind)
        if key in self._voted or self.committee(self.iteration, kind).index_of(self.public_key) is None:
            return []
        if not is_vote_allowed(vote.kind, self.iteration, self.timing) or not self._may_sign(self.iteration):
            return []
        self._voted.add(key)
        header = self._round.header(self.iteration)
        signature = (self.backend.Sign if self.backend else bls.Sign)(
            self.secret_key, compute_vote_signing_bytes(header, kind, vote)
        )
        message = VoteMessage(header, kind, vote, self.public_key, signature)
        wire: Message = message if validation is None else RatificationMessage(message, validation)
        return [Send(wire), *self._count(self._round, message, validation, now)]

    def _may_sign(self, iteration: int) -> bool:
        """Whether this engine may sign in ``iteration`` of the current round; if so, the
        signing record holds it before this returns (:class:`SigningRecord`)."""
        if iteration <= self._signed_through:
            return False
        if iteration > self._recorded:
            self.signing_record.record_signed(self.round, iteration)
            self._recorded = iteration
        return True

    # -- inputs ------------------------------------------------------------------------
    def on_timer(self, now: float) -> list[Output]:
        """Act on the deadline if it has passed (no-op otherwise)."""
        if self.decided or self.deadline is None or now < self.deadline:
            return []
        if self.step is None:
            return self._begin_iteration(self.iteration, now)
        self.stats.timeouts += 1
        self._timeouts = apply_step_timeout(self._timeouts, self.step, self.timing)
        if self.step is StepKind.PROPOSAL:
            return self._enter_validation(now)
        if self.step is StepKind.VALIDATION:
            return self._enter_ratification(now)
        return self._fail_iteration(self.iteration, None, now)

    def _fail_iteration(self, iteration: int, attestation: Attestation | None, now: float) -> list[Output]:
        if iteration != self.iteration or self.decided:
            return []
        self.stats.iterations_failed += 1
        if len(self.failed) == iteration:  # each iteration is listed once (§2.1)
            entry = None
            if attestation is not None and is_failed_iteration_recorded(iteration, self.timing):
                entry = FailedIteration(attestation, self.generator(iteration))
            self.failed.append(entry)
        if iteration + 1 >= MAX_ITERATIONS:
            # Open consensus: keep every iteration's votes live and wait for a late quorum.
            self.step = StepKind.RATIFICATION
            self.deadline = now + self.timing.max_timeout
            return []
        return self._begin_iteration(iteration + 1, now)

    def on_message(self, message: Message, now: float) -> list[Output]:
        """Take one message from the network; invalid ones are counted and ignored."""
        try:
            return self._on_message(message, now)
        except ConsensusError as exc:
            self._reject(exc.reason)
            return []

    def _reject(self, reason: str) -> None:
        self.stats.rejected_messages += 1
        self.stats.rejections[reason] = self.stats.rejections.get(reason, 0) + 1

    def _on_message(self, message: Message, now: float) -> list[Output]:
        round_, prev_hash, iteration = get_message_address(message)
        if round_ > self.round:
            if round_ - self.round <= MAX_ROUNDS_AHEAD and len(self._future) < MAX_BUFFERED_MESSAGES:
                self._future.append(message)
                self.stats.buffered_messages += 1
            else:
                self._reject("too_far_ahead")
            return []
        rnd = self._round
        if round_ < self.round:
            previous = self._previous
            if previous is None or round_ != previous.number or prev_hash != previous.prev_hash:
                return []  # an older round, or the tip's round on another parent
            rnd = previous
        elif prev_hash != rnd.prev_hash:
            self._reject("wrong_prev_hash")
            return []
        if iteration >= MAX_ITERATIONS:
            self._reject("wrong_iteration")
            return []
        if isinstance(message, CandidateMessage):
            return self._on_candidate(rnd, message.block, iteration, now)
        if isinstance(message, QuorumMessage):
            return self._on_quorum(rnd, message, now)
        if isinstance(message, RatificationMessage):
            return self._count(rnd, message.vote, message.validation, now)
        return self._count(rnd, message, None, now)

    def _on_candidate(self, rnd: _Round, block: Block, iteration: int, now: float) -> list[Output]:
        state = rnd.state(iteration)
        if state.candidate is not None:
            return []
        header = block.header
        if header.generator != get_generator(rnd.provisioners, rnd.seed, iteration):
            self._reject("not_the_generator")
            return []
        verify = self.backend.Verify if self.backend else bls.Verify
        if not verify(header.generator, bytes(compute_block_hash(header)), header.signature):
            self._reject("bad_candidate_signature")
            return []
        state.candidate = block
        if rnd is not self._round:
            return self._revert(iteration)
        outputs: list[Output] = []
        if iteration == self.iteration and self.step is StepKind.PROPOSAL:
            outputs += self._enter_validation(now)
        if state.outcome is not None and state.outcome.vote.kind is VoteKind.VALID:
            outputs += self._decide(iteration, state.outcome)
        return outputs

    def _count(
        self, rnd: _Round, message: VoteMessage, validation: StepVotes | None, now: float
    ) -> list[Output]:
        iteration = int(message.header.iteration)
        aggregator = self._aggregator(iteration, message.step, rnd)
        result = aggregator.add_vote(message)
        state = rnd.state(iteration)
        if message.step is StepKind.RATIFICATION and validation is not None:
            # Keep the validation step votes a ratifier saw, to build the attestation.
            if state.validation_result is None:
                state.validation_result = (message.vote, validation)
            if validation.bitset:
                state.relayed_validation.setdefault(message.vote, validation)
        if isinstance(result, FaultDetected):
            return [Fault(result.evidence)]
        if not isinstance(result, QuorumReached):
            return []
        return self._on_quorum_reached(rnd, result, now)

    def _on_quorum_reached(self, rnd: _Round, reached: QuorumReached, now: float) -> list[Output]:
        iteration = int(reached.header.iteration)
        state = rnd.state(iteration)
        if reached.step is StepKind.VALIDATION:
            state.validation_result = (reached.vote, reached.step_votes)
            if rnd is self._round and iteration == self.iteration and self.step is StepKind.VALIDATION:
                return self._enter_ratification(now)
            return []
        validation = state.relayed_validation.get(reached.vote, EMPTY_STEP_VOTES)
        if state.validation_result is not None and state.validation_result[0] == reached.vote:
            validation = state.validation_result[1]
        if not validation.bitset:
            # E.g. our validation step timed out (NoQuorum) but the committee ratified the
            # quorum others saw: take the step votes its ratifiers relayed.
            validation = state.relayed_validation.get(reached.vote, validation)
        attestation = Attestation(
            ResultTag.SUCCESS if reached.vote.kind is VoteKind.VALID else ResultTag.FAIL,
            reached.vote,
            validation,
            reached.step_votes,
        )
        return [
            Send(QuorumMessage(reached.header, attestation)),
            *self._conclude(rnd, iteration, attestation, now),
        ]

    def _on_quorum(self, rnd: _Round, message: QuorumMessage, now: float) -> list[Output]:
        iteration = int(message.header.iteration)
        state = rnd.state(iteration)
        if state.outcome is not None:
            return []
        try:
            verify_attestation(
                message.attestation,
                prev_hash=rnd.prev_hash,
                round=rnd.number,
                iteration=iteration,
                validation_committee=self._committee(rnd, iteration, StepKind.VALIDATION),
                ratification_committee=self._committee(rnd, iteration, StepKind.RATIFICATION),
                backend=self.backend,
            )
        except ConsensusError as exc:
            self._reject(exc.reason)
            return []
        return self._conclude(rnd, iteration, message.attestation, now)

    def _conclude(self, rnd: _Round, iteration: int, attestation: Attestation, now: float) -> list[Output]:
        state = rnd.state(iteration)
        if state.outcome is not None:
            return []
        state.outcome = attestation
        if rnd is not self._round:
            return self._revert(iteration)
        if attestation.vote.kind is VoteKind.VALID:
            return self._decide(iteration, attestation)
        return self._fail_iteration(iteration, attestation, now)

    def _decide(self, iteration: int, attestation: Attestation) -> list[Output]:
        state = self._round.state(iteration)
        block = state.candidate
        if self.decided or block is None or compute_block_hash(block.header) != attestation.vote.block_hash:
            return []  # the candidate may still arrive; _on_candidate decides then
        self.decided = True
        self.deadline = None
        return [Decided(block, attestation)]

    def _revert(self, iteration: int) -> list[Output]:
        """:class:`Revert` if the tip's round has a Success outcome and its candidate at
        ``iteration``, lower than the tip's (§1.7 fork choice); nothing otherwise."""
        rnd = self._previous
        if rnd is None or iteration >= int(self.tip.iteration):
            return []
        state = rnd.state(iteration)
        outcome, block = state.outcome, state.candidate
        if outcome is None or outcome.vote.kind is not VoteKind.VALID or block is None:
            return []  # a Fail outcome, or the candidate may still arrive
        if compute_block_hash(block.header) != outcome.vote.block_hash:
            return []
        self.stats.reverts += 1
        return [Revert(block, outcome)]


def compute_failed_iterations_count(failed: Sequence[FailedIteration | None]) -> int:
    """Failed iterations that carry an attestation (for PNI, §1.7)."""
    return sum(1 for entry in failed if entry is not None)


__all__ = [
    "CandidateMessage",
    "ChainContext",
    "ConsensusEngine",
    "Decided",
    "Fault",
    "Message",
    "Output",
    "QuorumMessage",
    "MemorySigningRecord",
    "RatificationMessage",
    "Revert",
    "Send",
    "SigningRecord",
    "compute_failed_iterations_count",
    "compute_voting_committee",
    "get_message_address",
    "verify_block_attestation",
]
