"""Celery tasks of the chain outbox (``identity.outbox``)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from common.chain import is_chain_configured
from identity import outbox
from identity.models import ChainSubmission

Status = ChainSubmission.Status


@shared_task(name="identity.tasks.chain_outbox_flush")
def chain_outbox_flush(chain_account_id: str) -> int:
    """Sign and submit what one chain account has waiting; returns how many were submitted."""
    if not is_chain_configured():
        return 0
    return outbox.chain_outbox_flush(chain_account_id=chain_account_id)


@shared_task(name="identity.tasks.chain_outbox_tick")
def chain_outbox_tick() -> dict[str, int]:
    """Beat: flush every account with queued or signed submissions (a flush queued on commit
    may have been lost with a worker), then follow open ones to finality."""
    if not is_chain_configured():
        return {}
    waiting = (
        ChainSubmission.objects.filter(
            status__in=[ChainSubmission.Status.QUEUED, ChainSubmission.Status.SIGNED]
        )
        .values_list("chain_account_id", flat=True)
        .distinct()
    )
    submitted = sum(outbox.chain_outbox_flush(chain_account_id=str(a)) for a in waiting)
    return {"submitted": submitted, **outbox.chain_outbox_confirm()}


@shared_task(name="identity.tasks.demo_cash_float")
def demo_cash_float() -> int:
    """Beat, embedded default only (``GLOAM_DEMO_CASH_FLOAT_EUR`` > 0): the cash issuer
    mints that many euros once to every broker and custodian organisation, so that a
    newcomer's investors can pay for allocations. Returns the mints queued."""
    if not is_chain_configured() or settings.GLOAM_DEMO_CASH_FLOAT_EUR <= 0:
        return 0
    return outbox.demo_cash_float_enqueue(euros=settings.GLOAM_DEMO_CASH_FLOAT_EUR)


@shared_task(name="identity.tasks.kyc_credentials_expire")
def kyc_credentials_expire() -> int:
    """Beat (``GLOAM_KYC_EXPIRY_SECONDS``, 60 s): mark credentials past their expiry
    ``expired`` and send ``kyc_claims_lapsed``; returns how many."""
    from identity.kyc_services import kyc_credentials_expire as expire

    return expire()
