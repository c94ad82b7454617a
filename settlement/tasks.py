"""Celery tasks of the settlement app."""

from __future__ import annotations

import datetime

from celery import shared_task

from common.business_date import get_business_date
from ledger.chain import is_chain_configured
from settlement.fails import fails_mark
from settlement.netting import netting_cycle_run
from settlement.shielded_dvp import shielded_cycles_run
from settlement.webhooks import webhooks_deliver


@shared_task(name="settlement.tasks.netting_cycle")
def netting_cycle_task(cycle_date: str | None = None) -> str | None:
    """Beat, at each cut-off: start a netting cycle over what is due by the business date (or
    ``cycle_date``, ISO: the next cycle a capped one asks for when it settles), and a cycle of
    its own for each due pair with a shielded cash leg (``settlement.shielded_dvp``)."""
    if not is_chain_configured():
        return None
    due = datetime.date.fromisoformat(cycle_date) if cycle_date else get_business_date()
    shielded_cycles_run(cycle_date=due)
    cycle = netting_cycle_run(cycle_date=due)
    return None if cycle is None else str(cycle.pk)


@shared_task(name="settlement.tasks.webhooks_deliver")
def webhooks_deliver_task() -> dict[str, int]:
    """Beat: POST the due webhook deliveries."""
    return webhooks_deliver()


@shared_task(name="settlement.tasks.fails_mark")
def fails_mark_task() -> int:
    """Beat, daily: instructions past their intended settlement date become failed."""
    return fails_mark(today=get_business_date())
