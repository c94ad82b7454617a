"""`make run`'s supervisor on real processes: scripts/supervise.sh starts supervisord with
config/supervisord.conf (the private redis-server, a one-provisioner devnet, web, worker, proving and
beat) against a temporary var dir. A SIGKILLed program comes back with a new pid and a log
line while the others keep theirs; SIGTERM to supervisord stops every program. Also: the
embedded settings use the private Redis, and ``make reset`` refuses while running."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.chain.nodeproc import free_ports

ROOT = Path(__file__).resolve().parents[2]
SUPERVISE = ROOT / "scripts" / "supervise.sh"
RESET = ROOT / "scripts" / "reset.sh"
#: variables of the surrounding run (CI points tests at PostgreSQL and Redis) that would take
#: the embedded default away from its own SQLite file and private Redis
FOREIGN = (
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "REDIS_URL",
    "GLOAM_REDIS_PORT",
    "GLOAM_VAR_DIR",
)

needs_redis = pytest.mark.skipif(
    not Path("/usr/bin/redis-server").exists(), reason="needs Debian's redis-server (make run installs it)"
)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def _embedded_env(var: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN}
    env.update(GLOAM_VAR_DIR=str(var), **extra)
    return env


@dataclass
class Platform:
    var: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path
    redis_port: int

    def ctl(self, *args: str) -> str:
        result = subprocess.run(
            [str(SUPERVISE), "ctl", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return result.stdout

    def pids(self) -> dict[str, int | None]:
        """Each program's pid, ``None`` unless RUNNING (``supervisorctl status``)."""
        pids: dict[str, int | None] = {}
        for line in self.ctl("status").splitlines():
            match = re.match(r"(\S+)\s+(\S+)\s*(?:pid (\d+))?", line)
            if match:
                name, state, pid = match.groups()
                pids[name] = int(pid) if state == "RUNNING" and pid else None
        return pids

    def all_running(self) -> dict[str, int] | None:
        pids = self.pids()
        if len(pids) == 6 and all(pids.values()):
            return {name: pid for name, pid in pids.items() if pid}
        return None


@pytest.fixture
def platform() -> Iterator[Platform]:
    # a short path: the control socket's path must fit in a sockaddr_un (108 bytes)
    var = Path(tempfile.mkdtemp(prefix="gloam-sup-", dir="/tmp"))
    web, rpc, p2p, redis = free_ports(4)
    subprocess.run(
        [sys.executable, "-m", "chain", "devnet", "--init-only", "--nodes", "1", "--dir", str(var / "chain")]
        + ["--rpc-base-port", str(rpc), "--p2p-base-port", str(p2p)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    env = _embedded_env(
        var,
        GLOAM_PORT=str(web),
        GLOAM_NODE_PORT=str(rpc),
        GLOAM_REDIS_PORT=str(redis),
        GLOAM_DEVNET_NODES="1",
        GUNICORN_WORKERS="1",
        GLOAM_BIN=str(Path(sys.executable).parent),
    )
    log = var / "supervisord.out"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [str(SUPERVISE)], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        yield Platform(var, env, process, log, redis)
    finally:
        # supervisord starts each program in a process group of its own, so killing its group
        # leaves them running: whatever a failed test left is found as supervisord's
        # descendants (while it lives) or by the var dir in its environment, and killed
        left = _platform_pids(process.pid, var)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(var, ignore_errors=True)


def _platform_pids(root: int, var: Path) -> set[int]:
    """The descendants of ``root`` and every process whose environment (as /proc shows it;
    setproctitle may have overwritten it) has ``GLOAM_VAR_DIR=<var>``."""
    marker = f"GLOAM_VAR_DIR={var}".encode()
    children: dict[int, list[int]] = {}
    marked = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone, or not ours to read
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
        if marker in environ.split(b"\0"):
            marked.add(int(entry.name))
    found, stack = set(), [root]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return (found | marked) - {os.getpid()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return not Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")


@needs_redis
def test_a_killed_program_is_restarted_alone_and_sigterm_stops_everything(platform: Platform) -> None:
    try:
        before = wait_for(platform.all_running, 50, "every program RUNNING")
    except AssertionError:
        pytest.fail(platform.log.read_text()[-3000:])
    assert set(before) == {"redis", "node:node-0", "web", "worker", "proving", "beat"}
    # The worker reached the private redis-server of the embedded settings (two Celery workers
    # start at once since the proving worker came: 60 s on a loaded 2-core machine).
    worker_log = platform.var / "log" / "worker.log"
    wait_for(
        lambda: f"redis://127.0.0.1:{platform.redis_port}/0" in worker_log.read_text(), 60, "worker connected"
    )

    os.kill(before["worker"], signal.SIGKILL)
    os.kill(before["redis"], signal.SIGKILL)

    def restarted() -> dict[str, int] | None:
        now = platform.all_running()
        return now if now and now["worker"] != before["worker"] and now["redis"] != before["redis"] else None

    after = wait_for(restarted, 30, "worker and redis back with new pids")
    log = platform.log.read_text()
    assert "exited: worker (terminated by SIGKILL; not expected)" in log
    assert "exited: redis (terminated by SIGKILL; not expected)" in log
    assert re.search(r"spawned: 'worker' with pid " + str(after["worker"]), log)
    for name in ("web", "beat", "node:node-0"):  # one crash stops nothing else
        assert after[name] == before[name], name
        assert _alive(before[name]), name

    assert set(after.values()) <= _platform_pids(platform.process.pid, platform.var)  # all found

    started = time.monotonic()
    platform.process.send_signal(signal.SIGTERM)
    platform.process.wait(timeout=45)
    elapsed = time.monotonic() - started
    for name, pid in after.items():
        assert not _alive(pid), f"{name} (pid {pid}) outlived supervisord"
    assert not _platform_pids(platform.process.pid, platform.var), "a process of the platform is left"
    assert "received SIGTERM indicating exit request" in platform.log.read_text()
    assert elapsed < 45


def _embedded_celery_settings(tmp_path: Path, **extra: str) -> list[str]:
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.CELERY_BROKER_URL); print(s.CELERY_RESULT_BACKEND)"
    env = _embedded_env(tmp_path, DJANGO_SETTINGS_MODULE="config.settings.embedded", **extra)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_embedded_settings_use_the_private_redis(tmp_path: Path) -> None:
    assert _embedded_celery_settings(tmp_path) == ["redis://127.0.0.1:6380/0"] * 2
    assert _embedded_celery_settings(tmp_path, GLOAM_REDIS_PORT="6391") == ["redis://127.0.0.1:6391/0"] * 2
    # a Redis named explicitly wins over the private one
    assert (
        _embedded_celery_settings(tmp_path, REDIS_URL="redis://cache:6379/2") == ["redis://cache:6379/2"] * 2
    )


def _reset(var: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RESET)],
        env=_embedded_env(var, **extra),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_reset_refuses_while_running_and_without_confirmation(tmp_path: Path) -> None:
    var = tmp_path / "var"
    var.mkdir()
    (var / "gloam.sqlite3").write_text("data")
    (var / "supervisord.pid").write_text(f"{os.getpid()}\n")  # a live process: "running"
    refused = _reset(var, RESET="yes")
    assert refused.returncode != 0
    assert "running" in refused.stderr
    assert (var / "gloam.sqlite3").exists()

    (var / "supervisord.pid").write_text("999999999\n")  # stale: not running
    unconfirmed = _reset(var)
    assert unconfirmed.returncode != 0
    assert "RESET=yes" in unconfirmed.stderr
    assert (var / "gloam.sqlite3").exists()

    confirmed = _reset(var, RESET="yes")
    assert confirmed.returncode == 0, confirmed.stderr
    assert "WARNING" in confirmed.stdout
    assert not var.exists()
