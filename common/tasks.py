"""Shared Celery tasks and the after-commit enqueue helper."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

from celery import shared_task
from celery.app.task import Task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from common.models import IdempotencyRecord, WorkerHeartbeat


def enqueue_on_commit(task: Task, *args: Any, **kwargs: Any) -> None:
    """Send ``task`` once the current transaction commits (never for a rolled-back write)."""
    transaction.on_commit(lambda: task.delay(*args, **kwargs))


@shared_task(name="common.tasks.ping")
def ping(payload: str) -> dict[str, str]:
    """Round-trip check: returns the payload and the worker's host name."""
    return {"payload": payload, "worker": socket.gethostname()}


@shared_task(name="common.tasks.worker_heartbeat")
def worker_heartbeat() -> str:
    """Record that a worker is alive: run by beat every ``GLOAM_HEARTBEAT_SECONDS`` and by a
    worker as soon as it is ready (``worker_ready_heartbeat``). ``/healthz`` fails when no
    heartbeat is fresh (``common.health``)."""
    hostname = socket.gethostname()
    WorkerHeartbeat.objects.update_or_create(hostname=hostname, defaults={"last_seen": timezone.now()})
    return hostname


def worker_ready_heartbeat(**kwargs: Any) -> None:
    """Celery's ``worker_ready`` receiver (``config.celery``): write the heartbeat at once, so a
    fresh platform is healthy without waiting a beat period. It runs in the worker's main
    process, which then closes its database connection (the pool's processes use their own)."""
    try:
        worker_heartbeat()
    finally:
        connection.close()


@shared_task(name="common.tasks.idempotency_records_purge")
def idempotency_records_purge() -> int:
    """Delete idempotency records older than ``GLOAM_IDEMPOTENCY_TTL_HOURS``; returns the count."""
    cutoff = timezone.now() - timedelta(hours=settings.GLOAM_IDEMPOTENCY_TTL_HOURS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
