"""A real proving worker (``celery worker --queues proving --concurrency 1``, as make run's
``[program:proving]``) takes a job requested through the API from the Redis broker, proves it
with snarkjs and stores a proof that verifies. Needs a shared broker (CELERY_BROKER_URL or
REDIS_URL) and PostgreSQL (the worker reads the test database); skipped otherwise."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from identity.roles import Role
from proving import prover
from proving.models import ProofJob
from tests.proving.prover.test_prove import needs_node

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True), needs_node]


@pytest.fixture
def proving_worker(tmp_path: Path) -> Iterator[Path]:
    if str(settings.CELERY_BROKER_URL).startswith("memory://"):
        pytest.skip("a worker process needs a shared broker: set CELERY_BROKER_URL=redis://… (CI does)")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process reads the test database: set DATABASE_URL=postgres://…")
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "DATABASE_URL": url}
    log = tmp_path / "proving.log"
    name = f"proving-test-{uuid.uuid4().hex[:8]}"
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--queues", "proving"]
    command += ["--concurrency", "1", "--loglevel=INFO", "--without-gossip", "--without-mingle"]
    command += ["--hostname", f"{name}@%h"]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        yield log
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_proving_worker_proves_a_job_requested_through_the_api(
    proving_worker: Path, make_user, broker_a, api_client_for
) -> None:
    trader = make_user(broker_a, Role.BROKER_TRADER)
    body = {"circuit": "range_product", "witness": {"amount": "31337", "price": "5"}, "idempotency_key": "w"}
    response = api_client_for(trader).post("/api/v1/proof-jobs/", body, format="json")
    assert response.status_code == 201, response.content
    job_id = response.json()["id"]
    deadline = time.monotonic() + 120
    job = ProofJob.objects.get(id=job_id)
    while job.status not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.5)
        job = ProofJob.objects.get(id=job_id)
    assert job.status == "done", f"{job.status} {job.error_code}:\n{proving_worker.read_text()[-4000:]}"
    assert job.public_signals == [str(31337 * 5), "5"]
    assert job.witness == ""
    assert job.proof is not None
    assert job.public_inputs is not None
    vk = prover.get_circuit("range_product").vk.read_bytes()
    prover.verify(vk, bytes(job.public_inputs), bytes(job.proof))  # raises unless it verifies
    assert "31337" not in proving_worker.read_text()  # the witness is never logged
