"""The deterministic consensus simulator: invariants hold under injected faults, runs are
reproducible, and a broken invariant is detected (the checker can fail)."""

from __future__ import annotations

from typing import Any

import pytest

from chain.tools.simulator import SimConfig, Simulator, run_simulation

FAULTS: dict[str, Any] = {"loss": 0.05, "crashes": 2, "partitions": 1, "byzantine": 1}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_node_reaches_the_target_with_faults_and_no_fork(seed):
    report = run_simulation(SimConfig(nodes=4, seed=seed, rounds=8, max_time=900, **FAULTS))
    assert report.violations == []
    assert min(report.heights) >= 8
    assert report.faults_injected["equivocation"] > 0
    assert report.evidence_found > 0  # equivocation turns into fault evidence


def test_same_seed_same_run():
    first = run_simulation(SimConfig(nodes=4, seed=7, rounds=5, **FAULTS))
    second = run_simulation(SimConfig(nodes=4, seed=7, rounds=5, **FAULTS))
    assert first == second


def test_a_fork_is_reported_as_a_violation():
    """Make one node commit a different block at height 1: the checker must say so."""
    simulator = Simulator(SimConfig(nodes=4, seed=3, rounds=3))
    original = simulator._check
    tampered = {"done": False}

    def check(height, block_hash, state_root, node):
        if height == 1 and node.index == 2 and not tampered["done"]:
            tampered["done"] = True
            block_hash = type(block_hash)(bytes([0xFF]) * 32)
        original(height, block_hash, state_root, node)

    simulator._check = check  # type: ignore[method-assign]
    report = simulator.run()
    assert any("another block at height 1" in v for v in report.violations)
