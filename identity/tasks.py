"""Celery tasks of the chain outbox (``identity.outbox``)."""

from __future__ import annotations

from celery import shared_task

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
