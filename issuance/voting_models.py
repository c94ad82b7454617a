"""Proxy voting: a ballot of an instrument's general meeting, tallied on chain by a ``ballot``
contract over the token's record checkpoint (docs/voting.md)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from common.models import BaseModel


class BallotStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved (waiting for the record date)"
    RECORDING = "recording", "Taking the record checkpoint"
    DEPLOYING = "deploying", "Deploying the ballot contract"
    OPEN = "open", "Deployed (votes count inside the window)"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


class Ballot(BaseModel):
    """Motions (each with 2–8 options) voted by the holders at ``record_date`` with weights
    equal to their holdings then, inside ``[opens_at, closes_at)`` as the chain's block
    timestamps see it."""

    instrument = models.ForeignKey("issuance.Instrument", on_delete=models.PROTECT, related_name="ballots")
    title = models.CharField(max_length=200)
    motions = models.JSONField(help_text='[{"title": str, "options": [str, ...]}, ...]')
    record_date = models.DateField()
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=BallotStatus.choices, default=BallotStatus.PENDING_APPROVAL, db_index=True
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checkpoint_number = models.PositiveIntegerField(null=True, blank=True)
    contract_id = models.CharField(max_length=66, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-opens_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class BallotVote(BaseModel):
    """A vote sent on chain for one voter (a chain account) on one motion; the latest Final
    one of a voter on a motion is the one that counts (the contract replaces earlier ones)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        FINAL = "final", "Counted (Final)"
        REFUSED = "refused", "Refused on chain"

    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="votes")
    voter = models.ForeignKey("ledger.ChainAccount", on_delete=models.PROTECT, related_name="+")
    motion = models.PositiveSmallIntegerField()
    choices = models.JSONField(help_text="[[option, weight in token units], ...]; empty withdraws")
    cast_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submission = models.OneToOneField("ledger.ChainSubmission", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"vote on motion {self.motion} of {self.ballot_id} ({self.status})"
