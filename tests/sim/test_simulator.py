"""The deterministic consensus simulator: invariants hold under injected faults, runs are
reproducible, fork choice reverts a tip in a real run, and each broken invariant is detected
(the checkers can fail)."""

from __future__ import annotations

from typing import Any

import pytest

from chain.consensus.engine import Decided
from chain.crypto import bls12_381 as bls
from chain.tools.simulator import SimConfig, Simulator, run_simulation
from chain.transition.roots import compute_block_hash
from chain.types.primitives import Hash32, Height
from tests.chain.consensus.helpers import attest

FAULTS: dict[str, Any] = {"loss": 0.05, "crashes": 2, "partitions": 1, "byzantine": 1}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_node_reaches_the_target_with_faults_and_no_fork(seed):
    report = run_simulation(SimConfig(nodes=4, seed=seed, rounds=8, max_time=900, **FAULTS))
    assert report.violations == []
    assert min(report.heights) >= 8
    assert min(report.final_heights) >= 1
    assert report.faults_injected["equivocation"] > 0
    assert report.evidence_found > 0  # equivocation turns into fault evidence


def test_same_seed_same_run():
    first = run_simulation(SimConfig(nodes=4, seed=7, rounds=5, **FAULTS))
    second = run_simulation(SimConfig(nodes=4, seed=7, rounds=5, **FAULTS))
    assert first == second


def test_a_late_lower_iteration_quorum_reverts_the_tip_in_a_run():
    """Node 0 has committed an attested iteration-1 block of round 1 before the others decide
    round 1 at iteration 0: it keeps counting round 1's candidate and votes, reaches the
    iteration-0 quorum itself, reverts its tip (§1.7) and follows the others."""
    simulator = Simulator(SimConfig(nodes=4, seed=5, rounds=6))
    node = simulator.nodes[0]
    engine = node.engine
    generator = next(n for n in simulator.nodes if n.public == engine.generator(1))
    late = generator.context.build_candidate(iteration=1, failed_iterations=(None,), timestamp=1)
    secrets = [n.secret for n in simulator.nodes]
    attestation = attest(late, engine.provisioners, engine.seed, secrets)
    simulator._commit(node, Decided(late, attestation))
    assert node.height == 1

    report = simulator.run()

    assert report.violations == []
    assert node.engine.stats.reverts == 1  # the engine's own Revert, not a later sync
    assert report.reverts == 1
    assert report.reverts_refused == {}
    first_blocks = {n.store.get_block_hash(Height(1)) for n in simulator.nodes}
    assert len(first_blocks) == 1
    assert first_blocks != {compute_block_hash(late.header)}
    assert min(report.final_heights) >= 1


def test_a_node_down_during_the_better_quorum_replaces_its_tip_by_sync():
    """Node 0 holds an attested iteration-1 block of round 1 and is down while the others
    decide iteration 0; on restart it synchronises, finds the lower-iteration block on its
    tip's parent and replaces its tip (§1.7) through the same ``replace_tip``."""
    simulator = Simulator(SimConfig(nodes=4, seed=5, rounds=6))
    node = simulator.nodes[0]
    engine = node.engine
    generator = next(n for n in simulator.nodes if n.public == engine.generator(1))
    late = generator.context.build_candidate(iteration=1, failed_iterations=(None,), timestamp=1)
    attestation = attest(late, engine.provisioners, engine.seed, [n.secret for n in simulator.nodes])
    simulator._commit(node, Decided(late, attestation))
    node.alive = False
    simulator.at(4.0, lambda: simulator._restart(node))

    report = simulator.run()

    assert report.violations == []
    assert report.reverts == 1
    assert node.engine.stats.reverts == 0  # not the engine: the sync
    assert len({n.store.get_block_hash(Height(1)) for n in simulator.nodes}) == 1


def test_two_final_blocks_at_one_height_are_reported():
    """Make one node's Final block at height 1 look different: the checker must say so."""
    simulator = Simulator(SimConfig(nodes=4, seed=3, rounds=3))
    original = simulator._check_final
    tampered = {"done": False}

    def check(height: int, block_hash: Hash32, state_root: Hash32, node: Any) -> None:
        if height == 1 and node.index == 2 and not tampered["done"]:
            tampered["done"] = True
            block_hash = Hash32(bytes([0xFF]) * 32)
        original(height, block_hash, state_root, node)

    simulator._check_final = check  # type: ignore[method-assign]
    report = simulator.run()
    assert any("another block Final at height 1" in v for v in report.violations)


def test_final_chains_that_diverge_are_reported():
    """A node of another chain (another seed's genesis) is not a prefix of this one."""
    ours = Simulator(SimConfig(nodes=4, seed=3, rounds=12))
    ours.run()
    theirs = Simulator(SimConfig(nodes=4, seed=4, rounds=12))
    theirs.run()
    assert ours.violations == []
    ours.nodes[3] = theirs.nodes[3]
    ours._check_final_prefixes()
    assert any("Final chains of nodes" in v for v in ours.violations)


def test_a_node_that_makes_nothing_final_is_a_liveness_violation():
    """Node 3 is down for good (never restarted): it makes nothing Final after the faults."""
    simulator = Simulator(SimConfig(nodes=4, seed=3, rounds=5, max_time=30.0))
    simulator.nodes[3].alive = False
    report = simulator.run()
    assert min(report.heights[:3]) >= 5
    assert any("liveness: node 3" in v for v in report.violations)


def test_simulated_nodes_hold_their_own_keys():
    simulator = Simulator(SimConfig(nodes=4, seed=3, rounds=1))
    assert all(n.public == bls.SkToPk(n.secret) for n in simulator.nodes)
