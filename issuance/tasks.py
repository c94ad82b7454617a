"""Celery tasks of the issuance app: deployment and its sweep."""

from __future__ import annotations

import uuid

from celery import shared_task

from chain.node.client import RpcError
from issuance.deployment import instrument_deploy
from issuance.models import Instrument, InstrumentStatus
from ledger.chain import is_chain_configured


@shared_task(
    name="issuance.tasks.instrument_deploy",
    autoretry_for=(RpcError,),
    retry_backoff=2,
    retry_backoff_max=60,
    max_retries=None,
)
def instrument_deploy_task(instrument_id: str) -> str | None:
    """Queue an approved instrument's deployment; returns the submission id."""
    if not is_chain_configured():
        return None
    submission = instrument_deploy(instrument_id=uuid.UUID(instrument_id))
    return None if submission is None else str(submission.pk)


@shared_task(name="issuance.tasks.instrument_deploy_sweep")
def instrument_deploy_sweep() -> int:
    """Beat: queue the deployment of approved instruments a lost task left behind."""
    if not is_chain_configured():
        return 0
    waiting = Instrument.objects.filter(
        status=InstrumentStatus.APPROVED, is_reference_data=False, deployment_error=""
    ).values_list("pk", flat=True)
    return sum(instrument_deploy(instrument_id=pk) is not None for pk in waiting)
