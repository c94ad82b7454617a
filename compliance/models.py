"""Compliance models: audit anchors, regulator keys and disclosures, rule sets, breaches and
compliance actions."""

from __future__ import annotations

from django.conf import settings
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
        "ledger.ChainSubmission", on_delete=models.PROTECT, related_name="audit_anchor"
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
        "ledger.ChainSubmission", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    anchor = models.ForeignKey(AuditAnchor, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.BUILDING, db_index=True)
    package_sha256 = models.CharField(max_length=64, blank=True)
    package_size = models.PositiveIntegerField(default=0, help_text="Plaintext bytes.")
    summary = models.JSONField(default=dict, blank=True, help_text="Counts only (holders, transfers, …).")
    ciphertext = models.BinaryField(default=b"", blank=True, editable=False)
    submission = models.OneToOneField(
        "ledger.ChainSubmission", on_delete=models.PROTECT, null=True, blank=True, related_name="disclosure"
    )
    tx_id = models.CharField(max_length=66, blank=True)
    block_height = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"disclosure {self.pk} ({self.status})"


# -- transfer rules, breaches and compliance actions (issue 8: compliance/rules.py) ---------
class RuleSetStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved (applying on chain)"
    APPLIED = "applied", "Applied (Final)"
    REJECTED = "rejected", "Rejected"
    SUPERSEDED = "superseded", "Superseded"
    FAILED = "failed", "Failed on chain"


class RuleSet(BaseModel):
    """One version of an instrument's transfer rules (``compliance.rules.RuleTerms``).

    draft → pending (submitted by a compliance officer, the maker) → approved (by another
    compliance officer of the issuer, the checker; ``set_conditions`` then ``set_limits``
    queued through the outbox from the issuer's chain account) → applied when both are
    Final (the previous applied version becomes superseded), or failed; pending → rejected
    with a comment. ``min_holding`` is in token units (the form converts the instrument's
    quantity with ``Instrument.token_unit``); ``lockup_until`` is a date (UTC)."""

    instrument = models.ForeignKey("issuance.Instrument", on_delete=models.PROTECT, related_name="rule_sets")
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=12, choices=RuleSetStatus.choices, default=RuleSetStatus.DRAFT, db_index=True
    )
    sender = models.JSONField(default=list, blank=True, help_text="Requirements (OR) of conditions (AND).")
    receiver = models.JSONField(default=list, blank=True, help_text="Requirements (OR) of conditions (AND).")
    kyc_required = models.BooleanField(default=False)
    accreditation_required = models.BooleanField(default=False)
    allowed_jurisdictions = models.JSONField(default=list, blank=True, help_text="ISO 3166-1 alpha-2.")
    denied_jurisdictions = models.JSONField(default=list, blank=True, help_text="ISO 3166-1 alpha-2.")
    allowed_categories = models.JSONField(default=list, blank=True, help_text="MiFID II categories.")
    max_holders = models.PositiveIntegerField(default=0, help_text="0 = no limit.")
    max_ownership_bps = models.PositiveIntegerField(
        default=0, help_text="Basis points of the supply; 0 = none."
    )
    lockup_until = models.DateField(null=True, blank=True)
    min_holding = models.PositiveBigIntegerField(default=0, help_text="Token units; 0 = none.")
    comment = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_comment = models.TextField(blank=True)
    conditions_submission = models.ForeignKey(
        "ledger.ChainSubmission", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    limits_submission = models.ForeignKey(
        "ledger.ChainSubmission", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    applied_height = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["instrument", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "version"], name="rule_set_version_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=RuleSetStatus.values), name="rule_set_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"rules v{self.version} of {self.instrument_id} ({self.status})"


class BreachStatus(models.TextChoices):
    OPEN = "open", "Open"
    INVESTIGATING = "investigating", "Investigating"
    RESOLVED = "resolved", "Resolved"


class BreachSource(models.TextChoices):
    CLAIMS_LAPSED = "claims_lapsed", "Claims lapsed (KYC)"
    RULE_CHANGE = "rule_change", "Rule change applied"
    INSTRUCTION = "instruction", "Settlement instruction rejected by rules"
    SCAN = "scan", "Periodic scan"


class Breach(BaseModel):
    """A holder (or, with ``holder`` empty, the instrument) out of compliance with a rule
    ``code`` (``contract_abi.TransferCode``), or a settlement instruction the rules refused.
    One open (not resolved) breach per (instrument, holder, code)."""

    instrument = models.ForeignKey("issuance.Instrument", on_delete=models.PROTECT, related_name="breaches")
    holder = models.CharField(max_length=98, blank=True, help_text="49-byte Address, hex.")
    holder_name = models.CharField(max_length=300, blank=True)
    code = models.PositiveSmallIntegerField(help_text="The transfer code (docs/compliance.md).")
    source = models.CharField(max_length=16, choices=BreachSource.choices)
    explanation = models.TextField()
    instruction = models.ForeignKey(
        "settlement.SettlementInstruction", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        max_length=14, choices=BreachStatus.choices, default=BreachStatus.OPEN, db_index=True
    )
    investigated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "holder", "code"],
                condition=~models.Q(status="resolved"),
                name="breach_open_once",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=BreachStatus.values), name="breach_status_valid"
            ),
        ]

    def __str__(self) -> str:
        holder = self.holder[:12] or "instrument"
        return f"breach {self.code} of {holder} on {self.instrument_id} ({self.status})"


class ActionKind(models.TextChoices):
    FREEZE = "freeze", "Freeze an account"
    UNFREEZE = "unfreeze", "Unfreeze an account"
    PAUSE = "pause", "Pause the instrument"
    UNPAUSE = "unpause", "Unpause the instrument"
    FORCED_TRANSFER = "forced_transfer", "Forced transfer"


class ActionStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    SUBMITTED = "submitted", "Submitted (on chain, not Final)"
    EXECUTED = "executed", "Executed (Final)"
    FAILED = "failed", "Failed on chain"
    REJECTED = "rejected", "Rejected"


class ForcedTransferReason(models.IntegerChoices):
    """``force_transfer``'s ``reason:u16`` (docs/compliance.md)."""

    LOST_KEYS = 1, "Lost keys (recovery to a new account)"
    COURT_ORDER = 2, "Court order"
    REGULATORY_ORDER = 3, "Regulator's order"
    ERROR_CORRECTION = 4, "Correction of an erroneous transfer"
    INHERITANCE = 5, "Succession / inheritance"
    OTHER = 99, "Other (see the text)"


class ComplianceAction(BaseModel):
    """A compliance officer's action on an instrument, executed on chain through the outbox
    from the issuer's chain account (the token's issuer and compliance agent): freeze or
    unfreeze ``holder``; pause or unpause; a forced transfer of ``units`` from ``holder``
    to ``receiver`` with a reason (code and text) and a PDF document (SHA-256), which waits
    for a second compliance officer's approval (maker-checker). Freeze and pause act at once."""

    instrument = models.ForeignKey(
        "issuance.Instrument", on_delete=models.PROTECT, related_name="compliance_actions"
    )
    kind = models.CharField(max_length=16, choices=ActionKind.choices)
    status = models.CharField(
        max_length=10, choices=ActionStatus.choices, default=ActionStatus.PENDING, db_index=True
    )
    holder = models.CharField(
        max_length=98, blank=True, help_text="Frozen account or forced sender (Address hex)."
    )
    receiver = models.CharField(
        max_length=98, blank=True, help_text="Forced transfer receiver (Address hex)."
    )
    quantity = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    units = models.PositiveBigIntegerField(null=True, blank=True, help_text="Token units.")
    reason_code = models.PositiveSmallIntegerField(
        choices=ForcedTransferReason.choices, null=True, blank=True
    )
    reason_text = models.TextField(blank=True)
    document = models.FileField(upload_to="compliance-documents/%Y/%m/", blank=True)
    document_filename = models.CharField(max_length=255, blank=True)
    document_sha256 = models.CharField("document SHA-256", max_length=64, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    rejection_comment = models.TextField(blank=True)
    submission = models.ForeignKey(
        "ledger.ChainSubmission", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    executed_height = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.instrument_id} ({self.status})"
