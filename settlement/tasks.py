"""Celery tasks of the settlement app."""

from __future__ import annotations

from celery import shared_task

from common.chain import is_chain_configured
from settlement.indexer import index_final_events


@shared_task(name="settlement.tasks.index_final_events")
def index_final_events_task() -> dict[str, int]:
    """Beat: apply the Final events the indexer has not applied yet."""
    if not is_chain_configured():
        return {}
    return index_final_events()
