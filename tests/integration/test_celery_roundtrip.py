"""A real Celery worker process, on the configured broker (Redis in CI, the filesystem
transport in the embedded default), runs a task sent from here and returns its result."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from common.tasks import ping
from config.celery import ensure_broker_folders

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


@pytest.fixture
def worker() -> Iterator[subprocess.Popen[bytes]]:
    ensure_broker_folders()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
         "--without-gossip", "--without-mingle", "--hostname", f"roundtrip-{uuid.uuid4().hex[:8]}@%h"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_task_round_trips_through_a_real_worker(worker: subprocess.Popen[bytes]) -> None:
    payload = uuid.uuid4().hex
    result = ping.delay(payload)
    try:
        value = result.get(timeout=60)
    except Exception:
        worker.terminate()
        output = worker.stdout.read().decode() if worker.stdout else ""
        pytest.fail(f"no result from the worker on {settings.CELERY_BROKER_URL}:\n{output[-4000:]}")
    assert value["payload"] == payload
    assert value["worker"]
    assert worker.poll() is None, "the worker exited early"
