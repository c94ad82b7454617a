"""Celery tasks of the settlement app."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from common.chain import is_chain_configured
from settlement.indexer import index_final_events
from settlement.netting import netting_cycle_run


@shared_task(name="settlement.tasks.index_final_events")
def index_final_events_task() -> dict[str, int]:
    """Beat: apply the Final events the indexer has not applied yet."""
    if not is_chain_configured():
        return {}
    return index_final_events()


@shared_task(name="settlement.tasks.netting_cycle")
def netting_cycle_task() -> str | None:
    """Beat, at each cut-off: start a netting cycle over what is due today (UTC)."""
    if not is_chain_configured():
        return None
    cycle = netting_cycle_run(cycle_date=timezone.now().date())
    return None if cycle is None else str(cycle.pk)
