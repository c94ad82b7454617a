"""Celery tasks of the proving app, on the dedicated ``proving`` queue (``CELERY_TASK_ROUTES``):
only the ``proving`` worker consumes it (config/supervisord.conf, docker/compose.yaml).

The task's only argument is the job's id; the witness stays in the database, encrypted.
``acks_late``: a worker that dies mid-proof leaves the message to be delivered again; the
job's claim (``proving.services``) lets an attempt take the job only when no other attempt's
claim is alive, so a job is never proved by two attempts at once and its result is written
once. A job whose attempt was killed (the hard time limit acknowledges its message) is put
back in the queue by the beat's ``proof_jobs_sweep`` once its claim has expired. Time limits
and retries come from settings (``GLOAM_PROVING_*``, docs/operations.md).
"""

from __future__ import annotations

import uuid

from celery import shared_task
from celery.app.task import Task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from proving.services import TransientProvingError, proof_job_execute, proof_job_fail_stuck, proof_jobs_sweep


@shared_task(
    bind=True,
    name="proving.tasks.proof_job_run",
    acks_late=True,
    soft_time_limit=settings.GLOAM_PROVING_SOFT_TIME_LIMIT,
    time_limit=settings.GLOAM_PROVING_TIME_LIMIT,
    autoretry_for=(TransientProvingError,),
    retry_backoff=settings.GLOAM_PROVING_RETRY_BACKOFF_SECONDS,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=settings.GLOAM_PROVING_MAX_RETRIES,
)
def proof_job_run(self: Task, job_id: str) -> str:
    """Prove one job; returns its status (``done``, ``failed``) or ``skipped``."""
    final_attempt = self.request.retries >= settings.GLOAM_PROVING_MAX_RETRIES
    try:
        return proof_job_execute(job_id=uuid.UUID(job_id), final_attempt=final_attempt)
    except SoftTimeLimitExceeded:
        proof_job_fail_stuck(
            job_id=uuid.UUID(job_id), code="soft_time_limit", message="the proving task ran out of time"
        )
        return "failed"


@shared_task(name="proving.tasks.proof_jobs_sweep")
def proof_jobs_sweep_task() -> dict[str, int]:
    """Beat: requeue or fail jobs whose worker went away, resend lost messages (on the default
    queue: it only touches the database and the broker)."""
    return proof_jobs_sweep()
