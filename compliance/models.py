"""Compliance models: the audit trail's on-chain anchors (more from issue 8's other parts)."""

from __future__ import annotations

from django.db import models

from common.models import BaseModel


class AuditAnchor(BaseModel):
    """The audit chain's head hash at ``sequence``, written on chain as a memo
    (``common.audit_hashing.encode_anchor_memo``) by the operator's account through the
    outbox. Anchored once its block is Final; from then on any rewrite of the entries up to
    ``sequence`` is detectable against the chain, not only against the database."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending (submitted, not Final)"
        ANCHORED = "anchored", "Anchored (Final)"
        FAILED = "failed", "Failed"

    sequence = models.PositiveBigIntegerField(db_index=True, help_text="The last entry it covers.")
    entry_hash = models.CharField(max_length=64, help_text="That entry's hash (the chain's head then).")
    submission = models.OneToOneField(
        "identity.ChainSubmission", on_delete=models.PROTECT, related_name="audit_anchor"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    tx_id = models.CharField(max_length=66, blank=True)
    block_height = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"anchor of audit entry {self.sequence} ({self.status})"
