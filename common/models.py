"""Shared models: the base model, idempotency records, the audit trail, worker heartbeats."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from common.fields import EncryptedJSONField


class BaseModel(models.Model):
    """UUID primary key (ids reveal nothing about volume or order) and timestamps."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class IdempotencyRecord(BaseModel):
    """The first response to a write made with an ``Idempotency-Key``.

    A key is scoped to the authenticated user. ``request_fingerprint`` is the SHA-256 of
    the method, the path and the canonical JSON body. ``response_body`` may hold personal
    data (KYC attributes) or secrets (a webhook endpoint's secret), so it is encrypted at
    rest; ``object_id`` is the ``id`` of the object the response describes, so the records
    of an erased KYC credential can be deleted with it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=2048)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = EncryptedJSONField(null=True)
    object_id = models.CharField(
        max_length=64, blank=True, default="", db_index=True, help_text="The response's object id, if any."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class AuditEntry(BaseModel):
    """One change made through a service: who, when, what, and the values that changed.

    Written in the same database transaction as the change itself, so a change without its
    audit entry cannot exist. Rows are never updated or deleted by the application.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
        help_text="The user who made the change; empty for system jobs.",
    )
    organisation = models.ForeignKey(
        "identity.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="audit_entries",
        help_text="The organisation that owns the changed object.",
    )
    actor_roles = models.CharField(
        max_length=200, blank=True, help_text="The actor's roles when it acted, comma-separated."
    )
    request_id = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="The request's X-Request-ID (empty for jobs)."
    )
    action = models.CharField(max_length=100, db_index=True)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64, db_index=True)
    instrument_id = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="The instrument the change concerns, if any."
    )
    before = models.JSONField(default=dict, encoder=DjangoJSONEncoder, help_text="Values before the change.")
    changes = models.JSONField(default=dict, encoder=DjangoJSONEncoder, help_text="Values after the change.")
    sequence = models.PositiveBigIntegerField(
        null=True, blank=True, unique=True, editable=False, help_text="Position in the hash chain (1, 2, …)."
    )
    previous_hash = models.CharField(max_length=64, blank=True, editable=False)
    entry_hash = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="SHA-256 of the previous hash and this entry's content digest.",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_type}:{self.object_id}"


class AuditChainHead(models.Model):
    """The last link of the audit hash chain: one row, locked by every audited write so that
    the chain has one order (``common.services.audit_entry_create``)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    sequence = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit chain head {self.sequence}: {self.entry_hash[:16]}…"


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the beat-scheduled heartbeat (one row per worker)."""

    hostname = models.CharField(max_length=255, primary_key=True)
    last_seen = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} @ {self.last_seen:%H:%M:%S}"


class BusinessDate(models.Model):
    """The platform's business date under the manual clock (``GLOAM_BUSINESS_CLOCK=manual``):
    one row, rolled forward only by the operator (``common.business_date``)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    business_date = models.DateField()
    rolled_at = models.DateTimeField(null=True, blank=True)
    rolled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"business date {self.business_date}"
