"""Block sync and restart benchmarks (issue 15): prints figures, asserts nothing.

On a 4-provisioner devnet of real processes on loopback with blocks as fast as consensus
goes (genesis ``min_block_time = 0``):

1. **Catch-up.** For each gap (default 1, 200 and 10,000 blocks) node 3 is SIGKILLed, the
   other three make that many blocks, node 3 starts again; printed: the seconds from its
   start until it is within 2 blocks of node 0, not syncing and producing, and the blocks
   per second it synced (the chain keeps growing meanwhile).
2. **Full restart.** All four are SIGKILLed together and started again, ``--restarts``
   times; printed: seconds from the restart until every node has made two new blocks
   (median and maximum).

Run: ``.venv/bin/python bench/bench_sync.py [--gaps 1,200,10000] [--restarts 5]``.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.chain.devnetproc import Devnet, wait_for  # noqa: E402


def head(net: Devnet, index: int) -> int:
    answer = net.status(index)
    return -1 if answer is None else int(answer["head_height"])


def catch_up(net: Devnet, gap: int) -> tuple[float, int]:
    """Seconds until node 3, ``gap`` blocks behind, has caught up; blocks it synced."""
    net.kill(3)
    start = head(net, 0)
    wait_for(lambda: head(net, 0) >= start + gap, timeout=3600, poll=0.5)
    before = head(net, 0)
    net.start(3)
    began = time.monotonic()

    def caught_up() -> dict | None:
        mine, leader = net.status(3), net.status(0)
        if mine is None or leader is None:
            return None
        near = mine["head_height"] >= leader["head_height"] - 2
        return mine if near and not mine["syncing"] and mine["producing"] else None

    final = wait_for(caught_up, timeout=3600, poll=0.2)
    return time.monotonic() - began, int(final["consensus"]["synced_blocks"]) or before


def full_restart(net: Devnet) -> float:
    for process in net.processes:
        assert process is not None
        process.send_signal(signal.SIGKILL)
    for process in net.processes:
        assert process is not None
        process.wait(timeout=30)
    for index in range(4):
        net.start(index)
    began = time.monotonic()
    wait_for(lambda: min(head(net, i) for i in range(4)) >= 0, timeout=120, poll=0.2)
    target = max(head(net, i) for i in range(4)) + 2
    wait_for(lambda: min(head(net, i) for i in range(4)) >= target, timeout=300, poll=0.2)
    return time.monotonic() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gaps", default="1,200,10000")
    parser.add_argument("--restarts", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        net = Devnet(Path(directory), funds={}, min_block_time=0)
        for index in range(4):
            net.start(index)
        try:
            wait_for(lambda: min(head(net, i) for i in range(4)) >= 3, timeout=120)
            for gap in (int(g) for g in args.gaps.split(",")):
                seconds, synced = catch_up(net, gap)
                print(
                    f"catch-up of {gap:>6} blocks: {seconds:7.1f} s, {synced} blocks synced "
                    f"({synced / seconds:.0f} blocks/s)",
                    flush=True,
                )
            times = [full_restart(net) for _ in range(args.restarts)]
            print(
                f"full restart (SIGKILL of all four), {len(times)} runs: resumed in median "
                f"{statistics.median(times):.1f} s, max {max(times):.1f} s",
                flush=True,
            )
        finally:
            net.stop_all()


if __name__ == "__main__":
    main()
