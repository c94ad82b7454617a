"""Proof jobs end to end below the worker: request → task → verified proof (docs/zk.md,
"Proof jobs"). Real database, real snarkjs through the prover seam; the Celery task is run in
this process (``apply``), as the proving worker would run it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from common.exceptions import ConflictError, InvalidInput
from common.models import AuditEntry
from identity.models import Organisation, User
from identity.roles import Role
from proving import prover, services
from proving.models import ProofJob
from proving.tasks import proof_job_run
from tests.proving.prover.test_prove import needs_node

pytestmark = pytest.mark.django_db

AMOUNT = 987654321
PRICE = 1000003
WITNESS = {"amount": str(AMOUNT), "price": str(PRICE)}


@pytest.fixture
def trader(make_user: Callable[..., User], broker_a: Organisation) -> User:
    return make_user(broker_a, Role.BROKER_TRADER)


def _raw_witness(job: ProofJob) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT witness FROM proving_proofjob WHERE id = %s", [job.id.hex])
        row = cursor.fetchone()
    assert row is not None
    return str(row[0])


def _request(user: User, key: str = "k-1", witness: dict[str, str] | None = None) -> ProofJob:
    job, created = services.proof_job_request(
        actor=user, circuit="range_product", witness=witness or WITNESS, idempotency_key=key
    )
    assert created
    return job


def test_invalid_circuit_and_witness_are_refused_at_request_with_codes(trader: User) -> None:
    with pytest.raises(InvalidInput) as unknown:
        services.proof_job_request(
            actor=trader, circuit="poseidon_permutation", witness=WITNESS, idempotency_key="a"
        )
    assert unknown.value.code == "unknown_circuit"
    with pytest.raises(InvalidInput) as shape:
        services.proof_job_request(
            actor=trader, circuit="range_product", witness={"amount": "1"}, idempotency_key="b"
        )
    assert shape.value.code == "bad_witness_shape"
    assert shape.value.details == {"reason": "missing_input"}
    assert not ProofJob.objects.exists()


def test_witness_is_ciphertext_in_the_database(trader: User) -> None:
    job = _request(trader)
    stored = _raw_witness(job)
    assert stored.startswith("gAAAAA")  # a Fernet token
    assert str(AMOUNT) not in stored
    assert "amount" not in stored
    assert json.loads(ProofJob.objects.get(id=job.id).witness) == WITNESS
    assert job.status == ProofJob.Status.QUEUED
    assert job.progress == 0


@needs_node
def test_job_proves_a_valid_witness_verifies_and_wipes_the_witness(trader: User) -> None:
    job = _request(trader)
    assert proof_job_run.apply(args=(str(job.id),)).get() == "done"
    job.refresh_from_db()
    assert (job.status, job.stage, job.progress, job.attempts) == ("done", "done", 100, 1)
    assert job.witness == ""
    assert _raw_witness(job) == ""
    assert job.public_signals == [str(AMOUNT * PRICE), str(PRICE)]
    assert job.proof is not None
    assert job.public_inputs is not None
    vk = prover.get_circuit("range_product").vk.read_bytes()
    prover.verify(vk, bytes(job.public_inputs), bytes(job.proof))  # raises ProofRefused unless it verifies
    assert job.started_at is not None
    assert job.finished_at is not None
    assert job.finished_at >= job.started_at
    actions = list(AuditEntry.objects.filter(object_id=str(job.id)).values_list("action", flat=True))
    assert sorted(actions) == ["proof_job.complete", "proof_job.request"]


@needs_node
def test_invalid_witness_violating_the_circuit_fails_the_job_and_stores_nothing(trader: User) -> None:
    job = _request(trader, witness={"amount": str(2**64 + 5), "price": "2"})
    assert proof_job_run.apply(args=(str(job.id),)).get() == "failed"
    job.refresh_from_db()
    assert (job.status, job.error_code) == ("failed", "witness_rejected")
    assert "constraints" in job.error_message
    assert str(2**64 + 5) not in job.error_message
    assert job.proof is None
    assert job.public_inputs is None
    assert job.public_signals == []
    assert _raw_witness(job) == ""
    assert AuditEntry.objects.filter(object_id=str(job.id), action="proof_job.fail").count() == 1


@needs_node
def test_task_delivered_twice_proves_once_and_never_flips_a_done_job(trader: User) -> None:
    job = _request(trader)
    assert proof_job_run.apply(args=(str(job.id),)).get() == "done"
    first = ProofJob.objects.get(id=job.id)
    assert proof_job_run.apply(args=(str(job.id),)).get() == "skipped"
    again = ProofJob.objects.get(id=job.id)
    assert again.attempts == 1
    assert again.status == "done"
    assert bytes(again.proof or b"") == bytes(first.proof or b"")
    assert AuditEntry.objects.filter(object_id=str(job.id), action="proof_job.complete").count() == 1


def test_a_job_claimed_by_a_running_attempt_is_not_proved_by_another_delivery(trader: User) -> None:
    job = _request(trader)
    claimed = services._claim(job.id)
    assert claimed is not None
    assert services.proof_job_execute(job_id=job.id) == "skipped"
    job.refresh_from_db()
    assert job.attempts == 1
    assert job.status == "proving"
    # the first attempt's late result after another claim took over is not written
    job.claim = None
    job.save(update_fields=["claim"])
    assert services._finish(job.id, claimed[0], result=None, error=prover.ProverCrashed("x")) is False


@override_settings(GLOAM_NODE_BIN="no-such-node-binary-here")
def test_transient_failure_requeues_with_the_witness_then_the_last_attempt_fails(trader: User) -> None:
    job = _request(trader)
    with pytest.raises(services.TransientProvingError):
        services.proof_job_execute(job_id=job.id)
    job.refresh_from_db()
    assert (job.status, job.stage, job.error_code) == ("queued", "retrying", "prover_unavailable")
    assert _raw_witness(job).startswith("gAAAAA")
    assert services.proof_job_execute(job_id=job.id, final_attempt=True) == "failed"
    job.refresh_from_db()
    assert (job.status, job.error_code, job.attempts) == ("failed", "prover_unavailable", 2)
    assert _raw_witness(job) == ""


def test_retried_request_with_the_same_key_returns_the_same_job(trader: User, make_user, broker_a) -> None:
    job = _request(trader)
    again, created = services.proof_job_request(
        actor=trader,
        circuit="range_product",
        witness={"price": PRICE, "amount": AMOUNT},
        idempotency_key="k-1",
    )
    assert again.id == job.id
    assert not created
    with pytest.raises(ConflictError) as reused:
        services.proof_job_request(
            actor=trader,
            circuit="range_product",
            witness={"amount": "1", "price": "2"},
            idempotency_key="k-1",
        )
    assert reused.value.code == "idempotency_key_reused"
    other = make_user(broker_a, Role.BROKER_TRADER)
    assert _request(other, key="k-1").id != job.id  # keys are per requester
    assert ProofJob.objects.count() == 2


@pytest.fixture
def stage_log() -> Iterator[Callable[[], list[tuple[str, str, int]]]]:
    """Every (status, stage, progress) the job row takes, recorded by a Postgres trigger."""
    if connection.vendor != "postgresql":
        pytest.skip("the stage log is a PostgreSQL trigger (set DATABASE_URL=postgres://…)")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE proof_job_stages (n serial, status text, stage text, progress int)")
        cursor.execute(
            """CREATE FUNCTION pg_temp.log_proof_job_stage() RETURNS trigger AS $$
               BEGIN INSERT INTO proof_job_stages (status, stage, progress)
                     VALUES (NEW.status, NEW.stage, NEW.progress); RETURN NEW; END $$ LANGUAGE plpgsql"""
        )
        cursor.execute(
            "CREATE TRIGGER proof_job_stage_log AFTER INSERT OR UPDATE ON proving_proofjob "
            "FOR EACH ROW EXECUTE FUNCTION pg_temp.log_proof_job_stage()"
        )

    def read() -> list[tuple[str, str, int]]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT status, stage, progress FROM proof_job_stages ORDER BY n")
            return [(str(s), str(t), int(p)) for s, t, p in cursor.fetchall()]

    yield read
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER proof_job_stage_log ON proving_proofjob")


@needs_node
def test_progress_states_are_observed_in_order(trader: User, stage_log) -> None:
    job = _request(trader)
    proof_job_run.apply(args=(str(job.id),)).get()
    seen: list[tuple[str, str, int]] = []
    for state in stage_log():
        if not seen or seen[-1] != state:
            seen.append(state)
    assert seen == [
        ("queued", "queued", 0),
        ("proving", "witness", 10),
        ("proving", "proving", 30),
        ("proving", "verifying", 90),
        ("done", "done", 100),
    ]


@override_settings(GLOAM_PROVING_MAX_RETRIES=1, GLOAM_PROVING_REQUEUE_SECONDS=60)
def test_sweep_requeues_a_job_whose_worker_died_then_fails_it_and_resends_lost_messages(trader: User) -> None:
    job = _request(trader)
    claimed = services._claim(job.id)
    assert claimed is not None
    assert services.proof_jobs_sweep() == {"requeued": 0, "failed": 0, "resent": 0}  # claim alive
    later = timezone.now() + timedelta(seconds=settings.GLOAM_PROVING_TIME_LIMIT + 31)
    assert services.proof_jobs_sweep(now=later)["requeued"] == 1
    job.refresh_from_db()
    assert (job.status, job.stage, job.error_code) == ("queued", "retrying", "worker_lost")
    assert _raw_witness(job).startswith("gAAAAA")
    services._claim(job.id)  # the second attempt dies too: attempts 2 > 1 retry
    assert (
        services.proof_jobs_sweep(now=later + timedelta(seconds=settings.GLOAM_PROVING_TIME_LIMIT + 31))[
            "failed"
        ]
        == 1
    )
    job.refresh_from_db()
    assert (job.status, job.error_code, job.attempts) == ("failed", "worker_lost", 2)
    assert _raw_witness(job) == ""
    lost = _request(trader, key="k-2")
    assert services.proof_jobs_sweep(now=timezone.now() + timedelta(seconds=61))["resent"] == 1
    assert ProofJob.objects.get(id=lost.id).status == "queued"
