"""Fork choice in the engine (reference §1.7): a Success attestation for the tip's round at a
lower iteration than the tip's, with that iteration's candidate, yields ``Revert``; an equal or
higher iteration, a forged attestation, or another round never does."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from chain.consensus.aggregator import VoteMessage
from chain.consensus.engine import (
    CandidateMessage,
    Decided,
    QuorumMessage,
    RatificationMessage,
    Revert,
    Send,
)
from chain.consensus.quorum import ConsensusHeader, compute_vote_signing_bytes
from chain.consensus.sortition import StepKind
from chain.crypto import bls12_381 as bls
from chain.tools.simulator import SimConfig, SimNode, Simulator
from chain.transition.roots import compute_block_hash
from chain.types.blocks import Block
from chain.types.consensus import Attestation, StepVotes, Vote, VoteKind
from chain.types.primitives import U64, BlsSignature, Height, Iteration
from tests.chain.consensus.helpers import attest

NOW = 5.0


@dataclass
class Fork:
    """Round 1 on genesis with three attested candidates; ``node``'s tip is ``tip`` (iteration 1)."""

    simulator: Simulator
    node: SimNode
    blocks: dict[int, Block]
    attestations: dict[int, Attestation]

    def quorum(self, iteration: int, attestation: Attestation | None = None) -> QuorumMessage:
        block = self.blocks[iteration]
        header = ConsensusHeader(block.header.prev_block_hash, Height(1), Iteration(iteration))
        return QuorumMessage(header, attestation or self.attestations[iteration])

    def candidate(self, iteration: int) -> CandidateMessage:
        return CandidateMessage(self.blocks[iteration])


def _fork(tip_iteration: int = 1) -> Fork:
    simulator = Simulator(SimConfig(nodes=4, seed=11, rounds=1))
    node = simulator.nodes[0]
    engine = node.engine
    secrets = [n.secret for n in simulator.nodes]
    by_key = {bytes(n.public): n for n in simulator.nodes}
    blocks, attestations = {}, {}
    for iteration in range(3):
        generator = by_key[bytes(engine.generator(iteration))]
        block = generator.context.build_candidate(
            iteration=iteration, failed_iterations=(None,) * iteration, timestamp=1
        )
        blocks[iteration] = block
        attestations[iteration] = attest(block, engine.provisioners, engine.seed, secrets)
    tip = Decided(blocks[tip_iteration], attestations[tip_iteration])
    node.context.commit_decided(tip, now=NOW)
    engine.on_block_committed(NOW)
    return Fork(simulator, node, blocks, attestations)


def _reverts(outputs: Sequence[object]) -> list[Revert]:
    return [o for o in outputs if isinstance(o, Revert)]


def test_lower_iteration_quorum_for_the_tips_round_yields_revert():
    fork = _fork(tip_iteration=1)
    engine = fork.node.engine
    assert engine.round == 2
    assert _reverts(engine.on_message(fork.candidate(0), NOW)) == []  # no attestation yet
    outputs = engine.on_message(fork.quorum(0), NOW)
    assert outputs == [Revert(fork.blocks[0], fork.attestations[0])]
    assert engine.stats.reverts == 1
    assert engine.stats.rejected_messages == 0


def test_revert_waits_for_the_candidate_when_the_quorum_comes_first():
    fork = _fork(tip_iteration=1)
    engine = fork.node.engine
    assert engine.on_message(fork.quorum(0), NOW) == []
    assert engine.on_message(fork.candidate(0), NOW) == [Revert(fork.blocks[0], fork.attestations[0])]


def test_the_engines_own_quorum_of_late_votes_yields_revert():
    """Votes of the tip's round keep being counted: the engine's own quorum reverts too."""
    fork = _fork(tip_iteration=1)
    engine = fork.node.engine
    engine.on_message(fork.candidate(0), NOW)
    block_hash = compute_block_hash(fork.blocks[0].header)
    header = ConsensusHeader(fork.blocks[0].header.prev_block_hash, Height(1), Iteration(0))
    vote = Vote(VoteKind.VALID, block_hash)
    outputs: list[object] = []
    for step in (StepKind.VALIDATION, StepKind.RATIFICATION):
        for voter in fork.simulator.nodes:
            signature = bls.Sign(voter.secret, compute_vote_signing_bytes(header, step, vote))
            message = VoteMessage(header, step, vote, voter.public, signature)
            if step is StepKind.RATIFICATION:
                outputs += engine.on_message(
                    RatificationMessage(message, fork.attestations[0].validation), NOW
                )
            else:
                outputs += engine.on_message(message, NOW)
    reverts = _reverts(outputs)
    assert len(reverts) == 1
    assert reverts[0].block == fork.blocks[0]
    assert reverts[0].attestation.vote == vote
    assert any(isinstance(o, Send) and isinstance(o.message, QuorumMessage) for o in outputs)  # re-broadcast


def test_equal_or_higher_iteration_never_yields_revert():
    fork = _fork(tip_iteration=1)
    engine = fork.node.engine
    for iteration in (1, 2):
        assert engine.on_message(fork.candidate(iteration), NOW) == []
        assert engine.on_message(fork.quorum(iteration), NOW) == []
    assert engine.stats.reverts == 0
    assert engine.stats.rejected_messages == 0


def test_iteration_zero_tip_is_never_reverted():
    fork = _fork(tip_iteration=0)
    engine = fork.node.engine
    for iteration in (1, 2):
        engine.on_message(fork.candidate(iteration), NOW)
        assert engine.on_message(fork.quorum(iteration), NOW) == []
    assert engine.stats.reverts == 0


def test_forged_attestation_for_the_tips_round_is_rejected_and_counted():
    fork = _fork(tip_iteration=1)
    engine = fork.node.engine
    engine.on_message(fork.candidate(0), NOW)
    real = fork.attestations[0]
    bad_signature = BlsSignature(bytes(real.ratification.aggregate_signature[:-1]) + b"\x00")
    forgeries = [
        replace(real, ratification=StepVotes(real.ratification.bitset, bad_signature)),
        replace(real, ratification=StepVotes(U64(0), real.ratification.aggregate_signature)),
        replace(real, vote=Vote(VoteKind.VALID, compute_block_hash(fork.blocks[1].header))),
    ]
    for count, forged in enumerate(forgeries, start=1):
        assert engine.on_message(fork.quorum(0, forged), NOW) == []
        assert engine.stats.rejected_messages == count
    assert engine.stats.reverts == 0
    # The real attestation still reverts afterwards: the forgeries changed nothing.
    assert _reverts(engine.on_message(fork.quorum(0), NOW)) == [Revert(fork.blocks[0], real)]


def test_a_candidate_of_the_tips_round_from_another_provisioner_is_rejected():
    fork = _fork(tip_iteration=1)
    engine = fork.node.engine
    impostor = next(
        n for n in fork.simulator.nodes if bytes(n.public) != bytes(fork.blocks[0].header.generator)
    )
    wrong = impostor.context.build_candidate(iteration=0, failed_iterations=(), timestamp=1)
    assert engine.on_message(CandidateMessage(wrong), NOW) == []
    assert engine.stats.rejections.get("not_the_generator") == 1
    assert engine.on_message(fork.quorum(0), NOW) == []  # it waits for the real candidate


def test_quorum_for_the_tips_height_on_another_parent_is_ignored():
    fork = _fork(tip_iteration=1)
    engine = fork.node.engine
    message = fork.quorum(0)
    other = replace(
        message, header=replace(message.header, prev_hash=compute_block_hash(fork.blocks[2].header))
    )
    assert engine.on_message(other, NOW) == []
    assert engine.stats.reverts == 0
