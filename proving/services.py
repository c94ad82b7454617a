"""Proof jobs' writes: request a proof, and the worker's side (claim, progress, finish).

Flow: :func:`proof_job_request` validates the circuit and the witness's shape (Python only, no
Node.js in the web process), stores the job with the witness encrypted and enqueues
``proving.tasks.proof_job_run`` **after commit** with the job's id only. The worker calls
:func:`proof_job_execute`, which claims the job under a row lock, proves with the prover seam
(``prover.prove``, which verifies the proof before returning), and writes the result once.

"Retries never double-spend": a job's result is written once, by the attempt holding the
job's current ``claim``, in a transaction that checks the job is still ``proving`` under that
claim; ``done`` and ``failed`` are final. Anything that later submits a transaction from a
proof must go through the ledger outbox (``ledger.outbox.chain_call_enqueue``) with the job's
id as the submission's subject, in the transaction that consumes the job, so that a repeated
task or request finds the submission already recorded instead of sending a second one
(issue 18 will use this; docs/zk.md, "Proof jobs").

Nothing of the witness reaches a log, an exception message, an audit entry or a Celery
argument: errors carry the prover's codes and messages, which name inputs, templates and
line numbers only (``proving.prover.errors``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from common.exceptions import ConflictError, InvalidInput, NotFoundError
from common.services import audit_entry_create
from common.tasks import enqueue_on_commit
from proving import hooks, prover
from proving.models import ProofJob

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as User

logger = logging.getLogger(__name__)

Status = ProofJob.Status
Stage = ProofJob.Stage
#: Percent shown for each stage.
STAGE_PROGRESS = {
    Stage.QUEUED: 0,
    Stage.WITNESS: 10,
    Stage.PROVING: 30,
    Stage.VERIFYING: 90,
    Stage.RETRYING: 0,
    Stage.DONE: 100,
    Stage.FAILED: 100,
}


class TransientProvingError(Exception):
    """A prover failure worth retrying (crash, timeout, Node.js unavailable): the task's
    ``autoretry_for``. Its message is the prover's code only."""


class WorkerLost(prover.ProverError):
    """An attempt's claim expired without a result: its worker was killed or lost."""

    code = "worker_lost"
    transient = True


def _organisation(user: Any) -> Any:
    return getattr(user, "organisation", None)


def _request_digest(circuit: str, witness: dict[str, object]) -> str:
    canonical = json.dumps({"circuit": circuit, "witness": witness}, sort_keys=True, separators=(",", ":"))
    key = hashlib.sha256(b"gloam proof job request\x00" + settings.SECRET_KEY.encode()).digest()
    return hmac.new(key, canonical.encode(), hashlib.sha256).hexdigest()


def _circuits_dir() -> Any:
    return settings.GLOAM_CIRCUITS_DIR


def proof_job_request(
    *, actor: User, circuit: str, witness: object, idempotency_key: str
) -> tuple[ProofJob, bool]:
    """Create a proof job (or return the one ``actor`` made with ``idempotency_key``).

    Returns ``(job, created)``. Raises :class:`InvalidInput` with code ``unknown_circuit`` or
    ``bad_witness_shape`` (``details.reason`` from ``proving.prover.errors``), and
    :class:`ConflictError` ``idempotency_key_reused`` if the key was used for another circuit
    or witness. The job is queued on commit; the task gets the job id only.
    """
    try:
        spec = prover.get_circuit(circuit, _circuits_dir())
        inputs = prover.validate_witness(spec, witness)
    except prover.ProverError as exc:
        raise InvalidInput(exc.message, code=exc.code, details={"reason": exc.reason}) from None
    digest = _request_digest(spec.name, inputs)
    with transaction.atomic():
        existing = (
            ProofJob.objects.select_for_update()
            .filter(requested_by=actor, idempotency_key=idempotency_key)
            .first()
        )
        if existing is not None:
            if not hmac.compare_digest(existing.request_digest, digest):
                raise ConflictError(
                    "this idempotency key was used for another circuit or witness",
                    code="idempotency_key_reused",
                )
            return existing, False
        try:
            with transaction.atomic():
                job = ProofJob.objects.create(
                    requested_by=actor,
                    circuit=spec.name,
                    idempotency_key=idempotency_key,
                    request_digest=digest,
                    witness=json.dumps(inputs, separators=(",", ":")),
                )
        except IntegrityError:
            # a concurrent request with the same key committed first: answer with its job
            existing = ProofJob.objects.get(requested_by=actor, idempotency_key=idempotency_key)
            if not hmac.compare_digest(existing.request_digest, digest):
                raise ConflictError(
                    "this idempotency key was used for another circuit or witness",
                    code="idempotency_key_reused",
                ) from None
            return existing, False
        audit_entry_create(
            actor=actor,
            action="proof_job.request",
            obj=job,
            organisation=_organisation(actor),
            changes={"circuit": job.circuit, "status": job.status},
        )
        from proving.tasks import proof_job_run

        enqueue_on_commit(proof_job_run, str(job.id))
    return job, True


def _claim(job_id: uuid.UUID) -> tuple[uuid.UUID, str, str] | None:
    """Take the job for this attempt: ``(claim, circuit, witness JSON)``, or None when it is
    finished or another attempt's claim is still running."""
    now = timezone.now()
    with transaction.atomic():
        job = ProofJob.objects.select_for_update().filter(id=job_id).first()
        if job is None:
            raise NotFoundError("no such proof job")
        if job.status in (Status.DONE, Status.FAILED):
            return None
        if job.status == Status.PROVING and job.claim_expires_at is not None and job.claim_expires_at > now:
            return None
        claim = uuid.uuid4()
        job.status, job.stage, job.progress = Status.PROVING, Stage.WITNESS, STAGE_PROGRESS[Stage.WITNESS]
        job.claim = claim
        job.claim_expires_at = now + timedelta(seconds=settings.GLOAM_PROVING_TIME_LIMIT + 30)
        job.attempts += 1
        job.started_at = job.started_at or now
        job.save(
            update_fields=[
                "status",
                "stage",
                "progress",
                "claim",
                "claim_expires_at",
                "attempts",
                "started_at",
                "updated_at",
            ]
        )
        return claim, job.circuit, job.witness


def _set_stage(job_id: uuid.UUID, claim: uuid.UUID, stage: str) -> None:
    if stage not in Stage.values:
        return
    ProofJob.objects.filter(id=job_id, claim=claim, status=Status.PROVING).update(
        stage=stage, progress=STAGE_PROGRESS[Stage(stage)], updated_at=timezone.now()
    )


def _finish(
    job_id: uuid.UUID, claim: uuid.UUID, *, result: prover.ProofResult | None, error: Any = None
) -> bool:
    """Write the outcome once, if this attempt still holds the claim; wipe the witness."""
    with transaction.atomic():
        job = ProofJob.objects.select_for_update().filter(id=job_id).first()
        if job is None or job.status != Status.PROVING or job.claim != claim:
            return False
        before = {"status": job.status}
        job.witness = ""
        job.claim, job.claim_expires_at = None, None
        job.finished_at = timezone.now()
        if result is not None:
            job.status, job.stage, job.progress = Status.DONE, Stage.DONE, 100
            job.proof, job.public_inputs = result.proof, result.public_inputs
            job.public_signals = [str(value) for value in result.public_signals]
            job.witness_seconds = result.witness_seconds
            job.prove_seconds = result.prove_seconds
            job.verify_seconds = result.verify_seconds
            job.error_code, job.error_message = "", ""
            action, changes = (
                "proof_job.complete",
                {"status": Status.DONE, "public_signals": job.public_signals},
            )
        else:
            job.status, job.stage, job.progress = Status.FAILED, Stage.FAILED, 100
            job.error_code, job.error_message = error.code[:40], error.message[:300]
            action, changes = "proof_job.fail", {"status": Status.FAILED, "error_code": job.error_code}
        job.save()
        hooks.job_finished(job)
        audit_entry_create(
            actor=None,
            action=action,
            obj=job,
            organisation=_organisation(job.requested_by),
            before=before,
            changes=changes,
        )
        return True


def _release_for_retry(job_id: uuid.UUID, claim: uuid.UUID, error: prover.ProverError) -> bool:
    """Put the job back in the queue after a transient failure (the witness is kept)."""
    updated = ProofJob.objects.filter(id=job_id, claim=claim, status=Status.PROVING).update(
        status=Status.QUEUED,
        stage=Stage.RETRYING,
        progress=0,
        claim=None,
        claim_expires_at=None,
        error_code=error.code[:40],
        error_message=error.message[:300],
        updated_at=timezone.now(),
    )
    return updated == 1


def proof_job_execute(*, job_id: uuid.UUID, final_attempt: bool = False) -> str:
    """Prove job ``job_id`` (the worker's side); returns the job's status afterwards, or
    ``skipped`` when it was finished already or another attempt holds it.

    A transient prover failure (crash, timeout, no Node.js) puts the job back in the queue
    and raises :class:`TransientProvingError` for the task to retry, unless
    ``final_attempt``, when the job fails. Any other prover error fails the job with its code
    and message. Either way a finished job's witness is wiped."""
    claimed = _claim(job_id)
    if claimed is None:
        return "skipped"
    claim, circuit, witness_json = claimed
    try:
        result = prover.prove(
            circuit,
            json.loads(witness_json),
            timeout=settings.GLOAM_PROVING_TIMEOUT_SECONDS,
            on_stage=lambda stage: _set_stage(job_id, claim, stage),
            prover=prover.default_prover(
                _circuits_dir(), node=settings.GLOAM_NODE_BIN, warm=settings.GLOAM_PROVING_WARM
            ),
            circuits_dir=_circuits_dir(),
        )
    except prover.ProverError as exc:
        del witness_json
        if exc.transient and not final_attempt:
            _release_for_retry(job_id, claim, exc)
            logger.warning("proof job %s: transient prover failure %s, will retry", job_id, exc.code)
            raise TransientProvingError(exc.code) from None
        _finish(job_id, claim, result=None, error=exc)
        logger.info("proof job %s failed: %s", job_id, exc.code)
        return Status.FAILED
    _finish(job_id, claim, result=result)
    logger.info("proof job %s done (%s, %.2f s)", job_id, circuit, result.prove_seconds)
    return Status.DONE


def proof_job_fail_stuck(*, job_id: uuid.UUID, code: str, message: str) -> bool:
    """Fail a job whose attempt was stopped from outside (the task's time limit): the job
    fails with ``code`` unless it finished meanwhile. Returns whether it was failed."""
    with transaction.atomic():
        job = ProofJob.objects.select_for_update().filter(id=job_id).first()
        if job is None or job.status in (Status.DONE, Status.FAILED):
            return False
        claim = job.claim or uuid.uuid4()
        if job.claim is None:
            job.status, job.claim = Status.PROVING, claim
            job.save(update_fields=["status", "claim"])
    return _finish(job_id, claim, result=None, error=prover.ProverTimeout(message, reason=code))


def proof_jobs_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Recover jobs whose worker went away (beat, every ``GLOAM_PROVING_SWEEP_SECONDS``).

    - A ``proving`` job whose claim has expired (its attempt was killed: the task's hard time
      limit, a lost worker) goes back to ``queued`` (stage ``retrying``, error ``worker_lost``)
      and is enqueued again, or fails with ``worker_lost`` once it has had
      ``GLOAM_PROVING_MAX_RETRIES`` + 1 attempts (its witness wiped).
    - A ``queued`` job untouched for ``GLOAM_PROVING_REQUEUE_SECONDS`` (its message lost with
      a broker) is enqueued again.

    Enqueuing twice is harmless: an attempt claims the job first. Returns the counts."""
    now = now or timezone.now()
    from proving.tasks import proof_job_run

    counts = {"requeued": 0, "failed": 0, "resent": 0}
    for job_id in ProofJob.objects.filter(status=Status.PROVING, claim_expires_at__lt=now).values_list(
        "id", flat=True
    ):
        with transaction.atomic():
            job = ProofJob.objects.select_for_update().filter(id=job_id).first()
            if job is None or job.status != Status.PROVING or job.claim is None:
                continue
            if job.claim_expires_at is None or job.claim_expires_at >= now:
                continue
            lost = WorkerLost("the proving worker stopped during the attempt")
            if job.attempts > settings.GLOAM_PROVING_MAX_RETRIES:
                _finish(job.id, job.claim, result=None, error=lost)
                counts["failed"] += 1
            else:
                _release_for_retry(job.id, job.claim, lost)
                enqueue_on_commit(proof_job_run, str(job.id))
                counts["requeued"] += 1
    stale = now - timedelta(seconds=settings.GLOAM_PROVING_REQUEUE_SECONDS)
    for job_id in ProofJob.objects.filter(status=Status.QUEUED, updated_at__lt=stale).values_list(
        "id", flat=True
    ):
        with transaction.atomic():
            if ProofJob.objects.filter(id=job_id, status=Status.QUEUED).update(updated_at=now):
                enqueue_on_commit(proof_job_run, str(job_id))
                counts["resent"] += 1
    return counts
