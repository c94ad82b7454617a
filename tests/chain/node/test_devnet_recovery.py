"""Recovery of a 4-provisioner devnet on real processes (issue 15).

- Every provisioner stopped at once (SIGTERM, then SIGKILL) and started again resumes block
  production from its stored chain, twice in a row, keeping every Final block and the state;
  a DvP then settles. Before, a restarted node proposed without the tip's attestation (it
  was kept in memory only) and every iteration failed.
- A node down while the others made 300 blocks, and a node with an empty data directory,
  fetch the missing blocks from their peers (attestations checked, blocks executed), say
  ``syncing`` meanwhile, and then take part in consensus again.
"""

from __future__ import annotations

import shutil
import signal
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from chain.node.client import NodeClient, sign_transfer
from tests.chain.devnetproc import Devnet, running_devnet, settle_a_bond_against_eur, wait_for
from tests.chain.helpers import keypair

ALICE, BOB = keypair("recovery-alice"), keypair("recovery-bob")
SELLER = keypair("recovery-seller")
#: The issue's bound: block production resumes within this many seconds of a full restart.
RESUME_SECONDS = 30


def _heads(net: Devnet) -> list[int]:
    return [(h[0] if (h := net.head(i)) else -1) for i in range(4)]


def _final_chain(net: Devnet, index: int) -> list[str]:
    """Hashes of the blocks 1..Final of node ``index``."""
    top = net.final_height(index)
    return [net.block_hash(index, height) for height in range(1, top + 1)]


def _balance(net: Devnet, index: int, key: str) -> int:
    with NodeClient([net.urls[index]], timeout=2, attempts=1) as client:
        return client.get_account(key).balance


def _all_reached(net: Devnet, height: int) -> bool:
    return min(_heads(net)) >= height


def _final_above(net: Devnet, height: int) -> bool:
    return net.final_height(0) > height


def _stop_all(net: Devnet, sig: signal.Signals) -> None:
    for process in net.processes:
        assert process is not None
        process.send_signal(sig)
    for process in net.processes:
        assert process is not None
        process.wait(timeout=30)


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[Devnet]:
    with running_devnet(tmp_path, funds={ALICE.public.hex(): 10**15, SELLER.public.hex(): 10**15}) as net:
        yield net


def test_a_full_restart_resumes_block_production_twice_then_settles_a_dvp(devnet: Devnet) -> None:
    wait_for(partial(_all_reached, devnet, 1), timeout=120)
    _, raw = sign_transfer(
        secret_key=ALICE.secret, chain_id=71, receiver="0x" + BOB.public.hex(), value=4_242, nonce=1
    )
    with NodeClient([devnet.urls[0]]) as client:
        client.submit_transaction(raw)
    bob = "0x" + BOB.public.hex()
    wait_for(lambda: all(_balance(devnet, i, bob) == 4_242 for i in range(4)), timeout=120)
    wait_for(lambda: min(devnet.final_height(i) for i in range(4)) >= 5, timeout=120)

    for sig in (signal.SIGTERM, signal.SIGKILL):
        finals = [_final_chain(devnet, i) for i in range(4)]
        _stop_all(devnet, sig)
        stopped_at = max(len(chain) for chain in finals)
        for index in range(4):
            devnet.start(index)
        restarted = time.monotonic()
        wait_for(lambda: all(h >= 0 for h in _heads(devnet)), timeout=60)
        target = max(_heads(devnet)) + 2
        # Production resumes: every node two blocks past the highest head it restarted from.
        wait_for(partial(_all_reached, devnet, target), timeout=RESUME_SECONDS + 30)
        resumed_after = time.monotonic() - restarted
        assert resumed_after <= RESUME_SECONDS + 15, f"{sig.name}: resumed after {resumed_after:.1f} s"
        for index in range(4):
            # Every block that was Final is still there, the same, and the state with it.
            kept = [devnet.block_hash(index, h) for h in range(1, len(finals[index]) + 1)]
            assert kept == finals[index], f"{sig.name}: node {index} lost or changed a Final block"
            assert _balance(devnet, index, bob) == 4_242
        wait_for(partial(_final_above, devnet, stopped_at), timeout=60)
        status = devnet.status(0)
        assert status is not None
        assert status["producing"]
        assert not status["syncing"]

    settle_a_bond_against_eur(devnet, SELLER)


def _wait_caught_up(net: Devnet, index: int, *, timeout: float) -> tuple[dict, bool]:
    """Until node ``index`` is within a few blocks of node 0, not syncing and producing: its last
    status, and whether it said ``syncing`` on the way."""
    seen_syncing = False

    def caught_up() -> dict | None:
        nonlocal seen_syncing
        status, leader = net.status(index), net.status(0)
        if status is None or leader is None:
            return None  # still starting
        seen_syncing = seen_syncing or status["syncing"]
        # (blocks come many a second here: the two heads are read a moment apart)
        near = status["head_height"] >= leader["head_height"] - 5
        return status if near and not status["syncing"] and status["producing"] else None

    return wait_for(caught_up, timeout=timeout, poll=0.5), seen_syncing


@pytest.fixture
def fast_devnet(tmp_path: Path) -> Iterator[Devnet]:
    """Blocks as fast as consensus goes (genesis ``min_block_time = 0``), so that a gap of
    hundreds of blocks opens in a minute or two."""
    with running_devnet(tmp_path, funds={ALICE.public.hex(): 10**15}, min_block_time=0) as net:
        yield net


def test_a_node_down_for_300_blocks_and_a_node_from_genesis_catch_up(fast_devnet: Devnet) -> None:
    net = fast_devnet
    wait_for(lambda: min(_heads(net)) >= 3, timeout=120)
    net.kill(3)
    left_at = net.head(0)[0]  # type: ignore[index]
    wait_for(lambda: net.head(0)[0] >= left_at + 300, timeout=600, poll=1.0)  # type: ignore[index]

    net.start(3)
    status, seen_syncing = _wait_caught_up(net, 3, timeout=300)
    assert seen_syncing, "300 blocks behind, the node said it was syncing"
    assert status["consensus"]["synced_blocks"] >= 300, status["consensus"]
    top = min(net.final_height(0), net.final_height(3))
    for height in (1, left_at, left_at + 150, top):
        assert net.block_hash(3, height) == net.block_hash(0, height)
    # It takes part again: with another node down, the three left still make blocks Final.
    net.kill(2)
    final = net.final_height(0)
    wait_for(lambda: net.final_height(0) >= final + 3, timeout=120)

    # A node with an empty data directory rejoins from genesis.
    net.kill(1)
    net.start(2)
    shutil.rmtree(net.directory / "node1")
    net.start(1)
    status, seen_syncing = _wait_caught_up(net, 1, timeout=300)
    assert seen_syncing
    assert status["consensus"]["synced_blocks"] >= left_at + 300
    assert net.block_hash(1, 1) == net.block_hash(0, 1)
    assert net.block_hash(1, left_at + 300) == net.block_hash(0, left_at + 300)
