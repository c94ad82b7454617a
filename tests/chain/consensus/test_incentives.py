"""Rewards and slashes derived from headers (reference §1.6, §1.8, §1.9), on a chain made by
the simulator: an equivocating provisioner's faults are carried in blocks and slash it, a
missed proposal slashes its generator, and forged failed iterations or faults are refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chain.consensus.engine import Decided
from chain.consensus.exceptions import ConsensusError
from chain.consensus.faults import decode_fault
from chain.node.consensus_context import ChainConsensusContext
from chain.state.state import State
from chain.tools.simulator import SimConfig, SimNode, Simulator
from chain.transition.consensus_effects import Slash, SlashReason
from chain.transition.roots import compute_fault_leaf
from chain.types.blocks import Block, FailedIteration, Fault, decode_block
from chain.types.consensus import ResultTag, Vote, VoteKind
from chain.types.primitives import U8, Height
from tests.chain.helpers import keypair

CONFIG = SimConfig(nodes=4, seed=3, rounds=12, byzantine=1, loss=0.05)


@pytest.fixture(scope="module")
def run() -> Simulator:
    simulator = Simulator(CONFIG)
    report = simulator.run()
    assert report.violations == []
    return simulator


def _chain(simulator: Simulator) -> list[Block]:
    node = simulator.nodes[0]
    return [decode_block(node.store.get_block_bytes(Height(h)) or b"") for h in range(1, node.height + 1)]


def _replay_until(simulator: Simulator, height: int) -> SimNode:
    """A fresh node that synchronised blocks 1..height (each re-derives its effects)."""
    source = simulator.nodes[0]
    fresh = SimNode(99, keypair("observer").secret, b"", simulator)
    for h in range(1, height + 1):
        block = decode_block(source.store.get_block_bytes(Height(h)) or b"")
        fresh.context.commit_decided(Decided(block, source.context.get_block_attestation(Height(h))), now=1e9)
    return fresh


def _block_with(simulator: Simulator, predicate) -> Block:
    return next(block for block in _chain(simulator) if predicate(block))


def test_equivocation_is_carried_in_blocks_once_and_slashes_the_equivocator(run):
    byzantine = next(node for node in run.nodes if node.byzantine)
    faults = [fault for block in _chain(run) for fault in block.faults]
    assert faults, "the equivocator's double votes must reach a block"
    assert {decode_fault(bytes([int(f.kind)]) + f.evidence).first.signer for f in faults} == {
        byzantine.public
    }
    assert len({compute_fault_leaf(f) for f in faults}) == len(faults)
    with run.nodes[0].store.read_view() as view:
        stakes = dict(State(view).iter_stakes())
    slashed = stakes[byzantine.public].amount
    assert slashed is not None
    assert slashed.locked > 0  # soft slash: moved to locked, not burned (§1.8)
    for node in run.nodes:
        if not node.byzantine:
            amount = stakes[node.public].amount
            assert amount is not None
            assert amount.locked == 0


def test_a_fresh_node_derives_the_same_effects_and_state_roots(run):
    fresh = _replay_until(run, run.nodes[0].height)
    assert fresh.context.tip == run.nodes[0].context.tip


def test_missed_proposal_and_faults_are_slashed(run):
    block = _block_with(run, lambda b: b.faults and any(b.header.failed_iterations))
    observer = _replay_until(run, int(block.header.height) - 1)
    effects = observer.context.compute_effects(block.header, block.faults)
    missed = [
        Slash(entry.generator, SlashReason.MISSED_PROPOSAL)
        for entry in block.header.failed_iterations
        if entry is not None and entry.attestation.vote.kind is VoteKind.NO_CANDIDATE
    ]
    assert missed
    byzantine = next(node for node in run.nodes if node.byzantine)
    assert list(effects.slashes) == missed + [Slash(byzantine.public, SlashReason.FAULT)] * len(block.faults)


def test_voters_of_the_previous_attestation_hold_its_credits(run):
    block = _chain(run)[1]  # block 2 carries the attestation of block 1
    observer = _replay_until(run, 1)
    effects = observer.context.compute_effects(block.header, block.faults)
    credits = sum(c for _, c in effects.voters)
    assert 86 <= credits <= 128  # two supermajority quorums of 43 at least (§1.3)
    keys = {node.public for node in run.nodes}
    assert {key for key, _ in effects.voters} <= keys


def _failed_block(run) -> tuple[Block, SimNode]:
    block = _block_with(run, lambda b: any(b.header.failed_iterations))
    return block, _replay_until(run, int(block.header.height) - 1)


def _with_failed(block: Block, entries) -> Block:
    return replace(block, header=replace(block.header, failed_iterations=tuple(entries)))


def test_invalid_failed_iteration_with_another_generator(run):
    block, observer = _failed_block(run)
    index, entry = next((i, e) for i, e in enumerate(block.header.failed_iterations) if e is not None)
    entries = list(block.header.failed_iterations)
    entries[index] = FailedIteration(entry.attestation, keypair("outsider").public)
    forged = _with_failed(block, entries)
    with pytest.raises(ConsensusError) as error:
        observer.context.compute_effects(forged.header, forged.faults)
    assert error.value.reason == "wrong_failed_generator"
    assert not observer.context.is_valid_candidate(forged, now=float(block.header.timestamp))
    assert observer.context.rejected_candidates["wrong_failed_generator"] == 1


def test_invalid_failed_iteration_with_a_forged_attestation(run):
    block, observer = _failed_block(run)
    index, entry = next((i, e) for i, e in enumerate(block.header.failed_iterations) if e is not None)
    forged_vote = Vote(VoteKind.INVALID, block.header.prev_block_hash)  # nobody signed this
    entries = list(block.header.failed_iterations)
    entries[index] = FailedIteration(replace(entry.attestation, vote=forged_vote), entry.generator)
    with pytest.raises(ConsensusError):
        observer.context.compute_effects(_with_failed(block, entries).header, ())
    entries[index] = FailedIteration(replace(entry.attestation, result=ResultTag.SUCCESS), entry.generator)
    with pytest.raises(ConsensusError) as error:
        observer.context.compute_effects(_with_failed(block, entries).header, ())
    assert error.value.reason == "failed_iteration_succeeded"


def test_invalid_more_failed_iterations_than_the_iteration(run):
    block, observer = _failed_block(run)
    extra = _with_failed(block, (*block.header.failed_iterations, None))
    with pytest.raises(ConsensusError) as error:
        observer.context.compute_effects(extra.header, ())
    assert error.value.reason == "too_many_failed_iterations"


def test_invalid_fault_bytes_in_a_block_are_refused_and_counted(run):
    block = _block_with(run, lambda b: bool(b.faults))
    observer = _replay_until(run, int(block.header.height) - 1)
    junk = replace(block, faults=(Fault(U8(2), b"not evidence"),))
    assert not observer.context.is_valid_candidate(junk, now=float(block.header.timestamp))
    assert observer.context.rejected_candidates["malformed"] == 1


def test_a_restarted_node_recovers_the_tip_rounds_provisioners(run):
    """After a restart the tip's round is rebuilt from the parent's stakes (the tip's undo
    record), not from the current ones, which the tip's slashes may have changed."""
    node = run.nodes[0]
    restarted = ChainConsensusContext(store=node.store, params=run.genesis.params, secret_key=node.secret)
    assert restarted.tip_round is None
    assert restarted.get_tip_round() == node.context.tip_round
