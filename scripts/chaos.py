#!/usr/bin/env python3
"""Kill Gloam's processes at random moments from a seeded schedule (issue 15, the chaos test).

The platform must be running under its supervisor (``make run``, or ``scripts/supervise.sh``
with the same ``GLOAM_VAR_DIR``). Each kill point picks, with ``random.Random(seed)``, one
program (a chain node, the Celery worker, beat or web) and a pause before it, sends SIGKILL
to the program's process as ``supervisorctl pid`` names it, and waits for the supervisor to
start it again (a new pid). Every kill and restart is printed as one JSON line; the last
line is a summary. Exit status 1 if a killed program did not come back within
``--restart-timeout`` seconds.

    scripts/chaos.py --kills 12 --seed 7 [--min-gap 4 --max-gap 15] [--until-file FILE]

Stops after ``--kills`` kill points, on SIGTERM/SIGINT, or once ``--until-file`` exists
(the driver of the scenario creates it when done). Only stdlib: it must run beside a
platform it is killing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUPERVISE = ROOT / "scripts" / "supervise.sh"


def program_names(nodes: int) -> list[str]:
    """The supervisor's names of the programs a kill point chooses from."""
    return [f"node:node-{index}" for index in range(nodes)] + ["worker", "beat", "web"]


def get_pid(program: str) -> int:
    """The running pid of ``program`` (0 while it is not running)."""
    result = subprocess.run(  # noqa: S603 - our own control script
        [str(SUPERVISE), "ctl", "pid", program], capture_output=True, text=True, check=False
    )
    text = result.stdout.strip()
    return int(text) if text.isdigit() else 0


def wait_for_restart(program: str, old_pid: int, timeout: float) -> tuple[int, float] | None:
    """The new pid of ``program`` and the seconds it took, or ``None`` after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        pid = get_pid(program)
        if pid and pid != old_pid:
            return pid, time.monotonic() - started
        time.sleep(0.25)
    return None


def emit(record: dict[str, object]) -> None:
    print(json.dumps(record, sort_keys=True), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--kills", type=int, default=12, help="kill points (default 12)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--min-gap", type=float, default=4.0, help="least seconds between kill points")
    parser.add_argument("--max-gap", type=float, default=15.0, help="most seconds between kill points")
    parser.add_argument("--nodes", type=int, default=int(os.environ.get("GLOAM_DEVNET_NODES", "4")))
    parser.add_argument("--targets", default="", help="comma-separated program names (default: all)")
    parser.add_argument("--restart-timeout", type=float, default=60.0)
    parser.add_argument("--until-file", type=Path, help="stop once this file exists")
    args = parser.parse_args(argv)
    if args.kills < 1 or not 0 <= args.min_gap <= args.max_gap:
        parser.error("need --kills >= 1 and 0 <= --min-gap <= --max-gap")
    targets = args.targets.split(",") if args.targets else program_names(args.nodes)
    schedule = random.Random(args.seed)  # noqa: S311 - a reproducible schedule, not crypto
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    restarts: list[float] = []
    by_target: dict[str, int] = {}
    failures = 0
    for point in range(1, args.kills + 1):
        target, gap = schedule.choice(targets), schedule.uniform(args.min_gap, args.max_gap)
        deadline = time.monotonic() + gap
        while time.monotonic() < deadline and not stopping:
            if args.until_file is not None and args.until_file.exists():
                stopping = True
            time.sleep(0.2)
        if stopping:
            break
        pid = get_pid(target)
        if not pid:
            emit({"point": point, "target": target, "skipped": "not running"})
            continue
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            emit({"point": point, "target": target, "skipped": f"pid {pid} already gone"})
            continue
        killed_at = time.time()
        back = wait_for_restart(target, pid, args.restart_timeout)
        by_target[target] = by_target.get(target, 0) + 1
        if back is None:
            failures += 1
            emit({"point": point, "target": target, "pid": pid, "killed_at": killed_at, "restarted": False})
            continue
        new_pid, seconds = back
        restarts.append(seconds)
        emit(
            {
                "point": point,
                "target": target,
                "pid": pid,
                "new_pid": new_pid,
                "killed_at": round(killed_at, 3),
                "restart_seconds": round(seconds, 2),
            }
        )
    emit(
        {
            "summary": True,
            "seed": args.seed,
            "kills": sum(by_target.values()),
            "by_target": by_target,
            "not_restarted": failures,
            "restart_seconds_median": round(statistics.median(restarts), 2) if restarts else None,
            "restart_seconds_max": round(max(restarts), 2) if restarts else None,
        }
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
