"""A real Celery worker process, on the configured Redis broker (CI sets CELERY_BROKER_URL),
runs a task sent from here and returns its result. Skipped on the tests' in-process default."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from celery.exceptions import TimeoutError as CeleryTimeoutError
from django.conf import settings

from common.tasks import ping

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path
    queue: str
    """Its own queue: other tests' workers (the crash-recovery test's, with beat) may consume
    the default queue of the same broker at the same time under pytest-xdist."""


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    if str(settings.CELERY_BROKER_URL).startswith("memory://"):
        pytest.skip("a worker process needs a shared broker: set CELERY_BROKER_URL=redis://… (CI does)")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    log = tmp_path / "worker.log"
    name = f"roundtrip-{uuid.uuid4().hex[:8]}"
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--queues", name]
    command += ["--loglevel=INFO", "--without-gossip", "--without-mingle", "--hostname", f"{name}@%h"]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        yield Worker(process, log, name)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_task_round_trips_through_a_real_worker(worker: Worker) -> None:
    payload = uuid.uuid4().hex
    result = ping.apply_async(args=(payload,), queue=worker.queue)
    try:
        value = result.get(timeout=60)
    except CeleryTimeoutError:
        pytest.fail(
            f"no result from the worker on {settings.CELERY_BROKER_URL}:\n{worker.log.read_text()[-4000:]}"
        )
    assert value["payload"] == payload
    assert value["worker"]
    assert worker.process.poll() is None, "the worker exited early"
