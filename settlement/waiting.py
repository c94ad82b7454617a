"""Waiting out loud: ``run_scenario``'s one way to wait for the platform.

``Waiter.until`` polls a check until it returns a result, prints a progress line at least
every ``progress_every`` seconds (what it waits for, the check's current value, the chain's
head and Final height, the time spent of the timeout) and, on timeout, raises
``WaitTimeout`` (a ``CommandError``) naming what was still pending and which node was
behind: every configured node is asked for its head (``node_heads``) and
``lagging_nodes`` picks those more than ``BEHIND_BLOCKS`` below the highest, or unreachable.

A small loop rather than tenacity's ``retry``: each attempt's value has to reach the
progress line and the timeout's message.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TypeVar

from django.core.management.base import CommandError

from chain.node.client import NodeClient, RpcError

#: A node whose head is more than this many blocks below the highest is named as behind.
BEHIND_BLOCKS = 3
PROGRESS_SECONDS = 10.0
POLL_SECONDS = 1.0

T = TypeVar("T")


@dataclass(frozen=True)
class NodeHead:
    """One node's answer: its head and Final height, or ``height`` None and the error."""

    url: str
    height: int | None
    final: int | None = None
    error: str = ""


def lagging_nodes(
    heights: Sequence[tuple[str, int | None]], *, behind: int = BEHIND_BLOCKS
) -> list[tuple[str, int | None]]:
    """The nodes (url, head height or None when unreachable) that are unreachable or whose
    head is more than ``behind`` blocks below the highest, in the given order."""
    highest = max((h for _, h in heights if h is not None), default=None)
    return [(url, h) for url, h in heights if h is None or highest is None or h < highest - behind]


def node_head(url: str, *, timeout: float = 1.0) -> NodeHead:
    """Ask one node for its status (``get_status``: head height, Final height), one attempt
    of ``timeout`` seconds."""
    try:
        with NodeClient([url], timeout=timeout, attempts=1) as client:
            status = client.get_status()
        height = int(status["head_height"])
        consensus = status.get("consensus") or {}
        final = consensus.get("final_height")
        if final is None and status.get("finality_rule") == "single_authority":
            final = height  # one authority: its blocks are Final when made
        return NodeHead(url, height, None if final is None else int(final))
    except RpcError as exc:
        return NodeHead(url, None, error=exc.reason)
    except (KeyError, TypeError, ValueError) as exc:
        return NodeHead(url, None, error=f"bad status: {type(exc).__name__}")


def node_heads(urls: Sequence[str], *, timeout: float = 1.0) -> list[NodeHead]:
    """Every node's head (``node_head``), asked at once: an unreachable node costs
    ``timeout`` seconds in all, not one per node."""
    if not urls:
        return []
    with ThreadPoolExecutor(max_workers=len(urls)) as pool:
        return list(pool.map(lambda url: node_head(url, timeout=timeout), urls))


def describe_chain(heads: Sequence[NodeHead]) -> str:
    """``chain head 131 (Final 128)``: the highest head and Final height the nodes report."""
    if not heads:
        return "no node configured"
    heights = [h.height for h in heads if h.height is not None]
    if not heights:
        return f"no node of {len(heads)} reachable"
    finals = [h.final for h in heads if h.final is not None]
    return f"chain head {max(heights)}" + (f" (Final {max(finals)})" if finals else "")


def describe_laggards(heads: Sequence[NodeHead], *, behind: int = BEHIND_BLOCKS) -> str:
    """Which nodes are behind (``lagging_nodes``), with their height or error."""
    if not heads:
        return "no node configured (GLOAM_NODE_URLS)"
    laggards = {url for url, _ in lagging_nodes([(h.url, h.height) for h in heads], behind=behind)}
    highest = max((h.height for h in heads if h.height is not None), default=None)
    if not laggards:
        return f"no node behind ({len(heads)} within {behind} blocks of {highest})"
    parts = [
        f"{h.url} unreachable ({h.error})"
        if h.height is None or highest is None
        else f"{h.url} at {h.height}, {highest - h.height} blocks below {highest}"
        for h in heads
        if h.url in laggards
    ]
    return "behind: " + "; ".join(parts)


class WaitTimeout(CommandError):
    """A wait ran out of time; ``status`` is the check's last value."""

    def __init__(self, message: str, status: str) -> None:
        super().__init__(message)
        self.status = status


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def _no_nodes() -> list[NodeHead]:
    return []


@dataclass
class Waiter:
    """Waits for ``run_scenario``: ``say`` prints a line, ``nodes`` asks the nodes for their
    heads (only when a progress line or a timeout needs them)."""

    say: Callable[[str], None]
    timeout: float
    nodes: Callable[[], list[NodeHead]] = field(default=_no_nodes)
    progress_every: float = PROGRESS_SECONDS
    poll_every: float = POLL_SECONDS
    behind: int = BEHIND_BLOCKS

    def until(
        self, what: str, check: Callable[[], tuple[T | None, str]], *, timeout: float | None = None
    ) -> T:
        """Call ``check`` every ``poll_every`` seconds until its result is not None and return
        it; ``check`` returns (result or None, its current value in a few words). Prints
        ``waiting for <what>: <value>, chain head …, <n> s of <timeout> s`` at least every
        ``progress_every`` seconds; raises ``WaitTimeout`` after ``timeout`` (the waiter's
        unless given) with the value and the nodes behind."""
        limit = self.timeout if timeout is None else timeout
        start = time.monotonic()
        next_progress = start + self.progress_every
        while True:
            result, status = check()
            if result is not None:
                return result
            now = time.monotonic()
            if now - start >= limit:
                heads = self.nodes()
                raise WaitTimeout(
                    f"timed out after {_seconds(limit)} waiting for {what}: {status}; "
                    f"{describe_chain(heads)}; {describe_laggards(heads, behind=self.behind)}",
                    status,
                )
            if now >= next_progress:
                chain = describe_chain(self.nodes())
                self.say(
                    f"waiting for {what}: {status}, {chain}, {_seconds(now - start)} of {_seconds(limit)}"
                )
                # a steady cadence: what the check and the nodes take does not delay the next line
                next_progress += self.progress_every
                if next_progress <= now:
                    next_progress = now + self.progress_every
            time.sleep(max(0.0, min(self.poll_every, next_progress - now, start + limit - now)))
