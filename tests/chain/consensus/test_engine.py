"""The consensus engine rejects and counts bad input without changing its state, and four
honest engines driven by hand decide the same block."""

from __future__ import annotations

from dataclasses import replace

from chain.consensus.aggregator import VoteMessage
from chain.consensus.engine import (
    CandidateMessage,
    ConsensusEngine,
    MemorySigningRecord,
    QuorumMessage,
    Send,
    get_message_address,
)
from chain.consensus.quorum import ConsensusHeader, compute_vote_signing_bytes
from chain.consensus.sortition import StepKind
from chain.crypto import bls12_381 as bls
from chain.tools.simulator import SimConfig, Simulator
from chain.transition.roots import compute_block_hash
from chain.types.consensus import EMPTY_ATTESTATION, Vote, VoteKind
from chain.types.primitives import BlsSignature, Hash32, Height, Iteration
from tests.chain.helpers import keypair


def _engine_and_peer():
    simulator = Simulator(SimConfig(nodes=4, seed=11, rounds=1))
    return simulator, simulator.nodes[0], simulator.nodes[1]


def _vote(node, engine, *, round_=None, iteration=0, step=StepKind.VALIDATION, kind=VoteKind.NO_CANDIDATE):
    header = ConsensusHeader(engine.prev_hash, Height(round_ or engine.round), Iteration(iteration))
    vote = Vote(kind)
    signature = bls.Sign(node.secret, compute_vote_signing_bytes(header, step, vote))
    return VoteMessage(header, step, vote, node.public, signature)


def test_invalid_votes_are_rejected_and_counted():
    _, node, peer = _engine_and_peer()
    engine = node.engine
    good = _vote(peer, engine)
    outsider = keypair("outsider")
    cases = {
        "invalid_signature": replace(good, signature=BlsSignature(bytes(good.signature[:-1]) + b"\x00")),
        "not_in_committee": replace(good, signer=outsider.public),
        "wrong_prev_hash": replace(good, header=replace(good.header, prev_hash=Hash32(b"\x07" * 32))),
        "wrong_iteration": replace(good, header=replace(good.header, iteration=Iteration(60))),
    }
    for reason, message in cases.items():
        before = engine.stats.rejected_messages
        assert engine.on_message(message, now=0.0) == []
        assert engine.stats.rejected_messages == before + 1, reason
    assert set(engine.stats.rejections) >= {"not_in_committee", "wrong_prev_hash", "wrong_iteration"}


def test_replayed_vote_is_counted_once():
    _, node, peer = _engine_and_peer()
    engine = node.engine
    vote = _vote(peer, engine)
    engine.on_message(vote, now=0.0)
    engine.on_message(vote, now=0.0)
    aggregator = engine._aggregator(0, StepKind.VALIDATION)
    assert aggregator.replays == 1


def test_invalid_candidate_from_another_provisioner_is_rejected():
    simulator, node, _ = _engine_and_peer()
    engine = node.engine
    generator = next(n for n in simulator.nodes if n.public == engine.generator(0))
    impostor = next(n for n in simulator.nodes if n is not generator)
    block = impostor.context.build_candidate(iteration=0, failed_iterations=(), timestamp=10)
    assert engine.on_message(CandidateMessage(block), now=10.0) == []
    assert engine.stats.rejections.get("not_the_generator") == 1


def test_invalid_quorum_with_a_forged_attestation_is_rejected():
    _, node, _ = _engine_and_peer()
    engine = node.engine
    header = ConsensusHeader(engine.prev_hash, Height(engine.round), Iteration(0))
    forged = replace(EMPTY_ATTESTATION, vote=Vote(VoteKind.NO_QUORUM))
    assert engine.on_message(QuorumMessage(header, forged), now=0.0) == []
    assert engine.stats.rejected_messages == 1
    assert not engine.decided


def test_messages_for_far_future_rounds_are_dropped():
    _, node, peer = _engine_and_peer()
    engine = node.engine
    far = _vote(peer, engine, round_=engine.round + 50)
    assert engine.on_message(far, now=0.0) == []
    assert engine.stats.rejections.get("too_far_ahead") == 1


def test_honest_engines_decide_the_same_block():
    simulator = Simulator(SimConfig(nodes=4, seed=5, rounds=2))
    report = simulator.run()
    assert report.violations == []
    assert min(report.heights) >= 2
    tips = {compute_block_hash(n.context.tip) for n in simulator.nodes}
    assert len(tips) == 1


class _OrderedRecord(MemorySigningRecord):
    """A signing record that also notes every write, to check it precedes each signature."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[int, int]] = []

    def record_signed(self, round: int, iteration: int) -> None:
        super().record_signed(round, iteration)
        self.writes.append((round, iteration))


def _restarted_generator_engine(record: MemorySigningRecord):
    """The generator of iteration 0 of the first round, as a fresh engine over its store."""
    simulator = Simulator(SimConfig(nodes=4, seed=11, rounds=1))
    probe = simulator.nodes[0].engine
    node = next(n for n in simulator.nodes if n.public == probe.generator(0))
    engine = ConsensusEngine(
        secret_key=node.secret,
        context=node.context,
        timing=simulator.config.timing,
        min_block_time=simulator.config.block_time,
        signing_record=record,
    )
    return node, engine


def test_the_signing_record_is_written_before_anything_is_signed():
    record = _OrderedRecord()
    _, engine = _restarted_generator_engine(record)
    outputs = engine.start(now=10.0)
    sent = [o.message for o in outputs if isinstance(o, Send)]
    assert any(isinstance(m, CandidateMessage) for m in sent), "the generator proposes at iteration 0"
    assert record.writes == [(engine.round, 0)], "one durable write per iteration, before signing"


def test_a_restarted_provisioner_never_signs_again_in_an_iteration_it_signed_in():
    # Reference §1.8: a second candidate or vote for the same (round, iteration, step) is
    # equivocation. A node that crashed after signing in iteration 2 resumes at iteration 3.
    record = MemorySigningRecord()
    _, first = _restarted_generator_engine(record)
    record.record_signed(first.round, 2)
    node, engine = _restarted_generator_engine(record)
    outputs = engine.start(now=10.0)
    assert engine.iteration == 3
    assert len(engine.failed) == 3, "the skipped iterations are listed as unknown failures"
    assert all(entry is None for entry in engine.failed)
    for output in outputs:
        if isinstance(output, Send):
            _, _, iteration = get_message_address(output.message)
            assert iteration >= 3
    # A candidate for iteration 0 arriving late is kept but gets no vote from this node.
    late = node.context.build_candidate(iteration=0, failed_iterations=(), timestamp=10)
    assert engine.on_message(CandidateMessage(late), now=10.5) == []
    # A record of an earlier round does not hold the node back in this one.
    stale = MemorySigningRecord()
    stale.record_signed(engine.round - 1, 7)
    _, fresh = _restarted_generator_engine(stale)
    fresh.start(now=10.0)
    assert fresh.iteration == 0


def test_invalid_signing_record_going_backwards_is_ignored():
    record = MemorySigningRecord()
    record.record_signed(5, 3)
    record.record_signed(5, 1)
    record.record_signed(4, 9)
    assert record.get_last_signed() == (5, 3)
