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


# -- selective disclosure to regulators (compliance.disclosure, docs/disclosure.md) --------------
class RegulatorKey(BaseModel):
    """A regulator organisation's X25519 public key (PyNaCl), to which disclosure packages
    are sealed. One active key per organisation; registering another retires the previous
    one (kept, with ``retired_at``, for the packages sealed to it). The platform never holds
    the matching secret key."""

    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="regulator_keys"
    )
    public_key = models.CharField(max_length=44, help_text="32 bytes, standard base64.")
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the 32 key bytes, hex.")
    registered_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    active = models.BooleanField(default=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(active=True),
                name="regulator_key_one_active_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}: {self.fingerprint[:16]}…"


class Disclosure(BaseModel):
    """A package disclosed to one regulator organisation: one instrument's register at a
    Final checkpoint, its token's movements and its audit entries in a time window, sealed
    to the regulator's key. Its SHA-256 is recorded on chain as a memo of the issuer's
    account (``recorded`` at Final). ``building`` waits for the checkpoint and the audit
    anchor it needs; the ciphertext is kept, the plaintext is not."""

    class Status(models.TextChoices):
        BUILDING = "building", "Building (waiting for a Final checkpoint or audit anchor)"
        SEALED = "sealed", "Sealed (its hash is being recorded on chain)"
        RECORDED = "recorded", "Recorded (Final)"
        FAILED = "failed", "Failed"

    instrument = models.ForeignKey("issuance.Instrument", on_delete=models.PROTECT, related_name="+")
    discloser = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="disclosures_made"
    )
    regulator = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="disclosures_received"
    )
    regulator_key = models.ForeignKey(RegulatorKey, on_delete=models.PROTECT, related_name="disclosures")
    created_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    audit_last_sequence = models.PositiveBigIntegerField(
        default=0, help_text="The audit chain's head when it was asked for: later entries are not included."
    )
    checkpoint = models.ForeignKey(
        "issuance.InstrumentCheckpoint", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checkpoint_submission = models.ForeignKey(
        "identity.ChainSubmission", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    anchor = models.ForeignKey(AuditAnchor, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING, db_index=True)
    package_sha256 = models.CharField(max_length=64, blank=True)
    package_size = models.PositiveIntegerField(default=0, help_text="Plaintext bytes.")
    summary = models.JSONField(default=dict, blank=True, help_text="Counts only (holders, transfers, …).")
    ciphertext = models.BinaryField(default=b"", blank=True, editable=False)
    submission = models.OneToOneField(
        "identity.ChainSubmission", on_delete=models.PROTECT, null=True, blank=True, related_name="disclosure"
    )
    tx_id = models.CharField(max_length=66, blank=True)
    block_height = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"disclosure {self.pk} ({self.status})"
