"""Tasks leave only after commit; beat's housekeeping jobs do what they say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from common.models import IdempotencyRecord
from common.tasks import enqueue_on_commit, idempotency_records_purge, ping

pytestmark = pytest.mark.django_db


def test_task_is_sent_only_when_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            enqueue_on_commit(ping, "committed")
        with transaction.atomic():
            enqueue_on_commit(ping, "rolled back")
            transaction.set_rollback(True)
    # Only the committed transaction left a send behind; the rolled-back one left nothing.
    assert len(callbacks) == 1


def test_idempotency_purge_deletes_only_expired_records(make_user, broker_a, settings):
    user = make_user(broker_a)
    fresh = IdempotencyRecord.objects.create(user=user, key="fresh", request_fingerprint="a" * 64)
    old = IdempotencyRecord.objects.create(user=user, key="old", request_fingerprint="b" * 64)
    IdempotencyRecord.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(hours=settings.GLOAM_IDEMPOTENCY_TTL_HOURS + 1)
    )
    assert idempotency_records_purge() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == [fresh.key]
