"""``run_scenario``'s waits (``settlement.waiting``): progress lines while waiting, a timeout
that names what is pending and the node behind, and the nodes behind from their heights."""

from __future__ import annotations

import itertools
import socket
import time

import pytest
from django.core.management.base import CommandError

from settlement.waiting import (
    NodeHead,
    Waiter,
    WaitTimeout,
    describe_chain,
    describe_laggards,
    lagging_nodes,
    node_heads,
)
from tests.platformchain import ChainPlatform

HEADS = [
    NodeHead("http://n0", 131, 128),
    NodeHead("http://n1", 130, 128),
    NodeHead("http://n2", 120, 118),
    NodeHead("http://n3", None, error="unreachable"),
]


def _dead_url() -> str:
    """A local port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_lagging_nodes_are_the_unreachable_and_those_more_than_a_few_blocks_below_the_highest():
    heights = [("a", 131), ("b", 128), ("c", 127), ("d", None), ("e", 5)]
    assert lagging_nodes(heights, behind=3) == [("c", 127), ("d", None), ("e", 5)]
    assert lagging_nodes([("a", 10), ("b", 10)]) == []
    assert lagging_nodes([("a", None), ("b", None)]) == [("a", None), ("b", None)]
    assert lagging_nodes([]) == []


def test_the_chain_and_the_laggards_in_words():
    assert describe_chain(HEADS) == "chain head 131 (Final 128)"
    assert describe_chain([]) == "no node configured"
    assert describe_chain(HEADS[3:]) == "no node of 1 reachable"
    assert describe_laggards(HEADS) == (
        "behind: http://n2 at 120, 11 blocks below 131; http://n3 unreachable (unreachable)"
    )
    assert describe_laggards(HEADS[:2]) == "no node behind (2 within 3 blocks of 131)"


def test_a_wait_prints_progress_naming_what_and_the_current_value_until_done():
    lines: list[str] = []
    start = time.monotonic()

    def check() -> tuple[str | None, str]:
        elapsed = time.monotonic() - start
        return ("done" if elapsed >= 0.3 else None), f"{int(elapsed * 1000)} ms in"

    waiter = Waiter(lines.append, timeout=5, nodes=lambda: HEADS, progress_every=0.1, poll_every=0.02)
    assert waiter.until("the thing to be ready", check) == "done"
    assert 2 <= len(lines) <= 4, lines
    for line in lines:
        assert line.startswith("waiting for the thing to be ready: ")
        assert " ms in, chain head 131 (Final 128), " in line
        assert line.endswith(" s of 5.0 s")


def test_a_wait_that_never_ends_raises_with_what_is_pending_and_the_node_behind():
    lines: list[str] = []
    waiter = Waiter(lines.append, timeout=5, nodes=lambda: HEADS, progress_every=0.1, poll_every=0.02)
    start = time.monotonic()
    with pytest.raises(CommandError) as raised:
        waiter.until(
            "netting cycle 7 to settle", lambda: (None, "status settling, 45 instructions"), timeout=0.4
        )
    assert 0.4 <= time.monotonic() - start < 1.5
    message = str(raised.value)
    assert message.startswith("timed out after 0.4 s waiting for netting cycle 7 to settle: ")
    assert "status settling, 45 instructions" in message
    assert "http://n2 at 120, 11 blocks below 131" in message
    assert "http://n3 unreachable" in message
    assert isinstance(raised.value, WaitTimeout)
    assert raised.value.status == "status settling, 45 instructions"
    assert len(lines) >= 2


def test_progress_keeps_its_cadence_when_asking_the_nodes_takes_time():
    """The nodes' answers (an unreachable node costs its timeout) do not push the next line."""
    stamps: list[float] = []

    def slow_nodes() -> list[NodeHead]:
        time.sleep(0.08)
        return HEADS

    waiter = Waiter(
        lambda line: stamps.append(time.monotonic()),
        timeout=5,
        nodes=slow_nodes,
        progress_every=0.1,
        poll_every=0.01,
    )
    start = time.monotonic()
    waiter.until("a second", lambda: (True if time.monotonic() - start > 1.0 else None, "not yet"))
    gaps = sorted(b - a for a, b in itertools.pairwise(stamps))
    assert len(stamps) >= 7, stamps
    assert gaps[len(gaps) // 2] < 0.15, gaps


def test_a_quick_wait_is_silent_and_does_not_ask_the_nodes():
    lines: list[str] = []

    def nodes() -> list[NodeHead]:
        raise AssertionError("asked the nodes")

    waiter = Waiter(lines.append, timeout=5, nodes=nodes, progress_every=10)
    assert waiter.until("nothing", lambda: (0, "ready")) == 0
    assert lines == []


def test_an_unreachable_node_is_named_as_behind():
    url = _dead_url()
    heads = node_heads([url], timeout=0.5)
    assert heads == [NodeHead(url, None, error="unreachable")]
    assert describe_laggards(heads) == f"behind: {url} unreachable (unreachable)"


def test_the_devnet_nodes_heads_and_a_dead_node_behind(chain_platform: ChainPlatform):
    """The real source: a four-node devnet's heads, and a fifth URL nobody answers."""
    dead = _dead_url()
    heads = node_heads([*chain_platform.net.urls, dead])
    assert [h.url for h in heads] == [*chain_platform.net.urls, dead]
    live = heads[:4]
    assert all(h.height is not None and h.height >= 1 for h in live), heads
    assert all(h.final is not None and h.final <= (h.height or 0) for h in live), heads
    assert lagging_nodes([(h.url, h.height) for h in heads]) == [(dead, None)]
    assert describe_chain(heads).startswith("chain head ")
