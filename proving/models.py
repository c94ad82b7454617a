"""Proof jobs (issue 17 item 6): one Groth16 proof requested through the API and made by a
Celery worker on the ``proving`` queue (``proving.tasks``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from common.encryption import EncryptedTextField
from common.models import BaseModel


class ProofJob(BaseModel):
    """A request for a proof and its outcome.

    ``witness`` is the circuit's input as JSON, **encrypted at rest** (a Fernet token with
    ``GLOAM_KYC_ENCRYPTION_KEYS``, the platform's personal-data keys, via
    ``common.encryption``) and **wiped** (set to ``""``) in the transaction that marks the job
    ``done`` or ``failed``. ``request_digest`` is an HMAC-SHA256 under ``SECRET_KEY`` of the
    circuit and the canonical witness, so that a retried request with the same idempotency key
    but another witness is refused without keeping the witness; without the secret key it
    reveals nothing about a low-entropy witness.

    The result (``proof``, ``public_inputs``) is written once, by the worker holding the
    current claim (``claim``), in a transaction that checks the job is still ``proving``
    under that claim: a second delivery of the task, a retry or a late worker cannot
    overwrite it or flip a finished job back.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROVING = "proving", "Proving"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Stage(models.TextChoices):
        QUEUED = "queued", "Waiting for a proving worker"
        WITNESS = "witness", "Computing the witness"
        PROVING = "proving", "Proving (snarkjs Groth16)"
        VERIFYING = "verifying", "Verifying the proof"
        RETRYING = "retrying", "Waiting to retry after a prover failure"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proof_jobs"
    )
    circuit = models.CharField(max_length=64, db_index=True)
    idempotency_key = models.CharField(
        max_length=255, help_text="The client's key: one job per requester and key."
    )
    request_digest = models.CharField(max_length=64, help_text="HMAC-SHA256 of circuit and witness.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    stage = models.CharField(max_length=10, choices=Stage.choices, default=Stage.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent, 0-100.")
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker started proving it.")
    error_code = models.CharField(max_length=40, blank=True)
    error_message = models.CharField(max_length=300, blank=True)
    witness = EncryptedTextField(blank=True, help_text="The input JSON, encrypted; empty once finished.")
    claim = models.UUIDField(null=True, blank=True, help_text="The running attempt's token.")
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    proof = models.BinaryField(null=True, blank=True, help_text="192 bytes, A ‖ B ‖ C compressed.")
    public_inputs = models.BinaryField(null=True, blank=True, help_text="32 bytes LE per public signal.")
    public_signals = models.JSONField(default=list, blank=True, help_text="Decimal strings.")
    witness_seconds = models.FloatField(null=True, blank=True)
    prove_seconds = models.FloatField(null=True, blank=True)
    verify_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_by", "idempotency_key"], name="proof_job_idempotency_key_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="proof_job_progress_at_most_100"
            ),
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(proof__isnull=False),
                name="proof_job_done_has_proof",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "proving"]) | models.Q(witness=""),
                name="proof_job_finished_has_no_witness",
            ),
        ]

    def __str__(self) -> str:
        return f"proof job {self.id} ({self.circuit}, {self.status})"
