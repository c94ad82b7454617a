"""Celery tasks of the demo app: the embedded demo's cash float."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from demo.services import demo_cash_float_enqueue
from ledger.chain import is_chain_configured


@shared_task(name="demo.tasks.demo_cash_float")
def demo_cash_float() -> int:
    """Beat, embedded default only (``GLOAM_DEMO_CASH_FLOAT_EUR`` > 0): the cash issuer
    mints that many euros once to every broker and custodian organisation, so that a
    newcomer's investors can pay for allocations. Returns the mints queued."""
    if not is_chain_configured() or settings.GLOAM_DEMO_CASH_FLOAT_EUR <= 0:
        return 0
    return demo_cash_float_enqueue(euros=settings.GLOAM_DEMO_CASH_FLOAT_EUR)
