"""Celery tasks of the chain boundary: the outbox (``ledger.outbox``) and the indexer
(``ledger.indexer``). Each is safe to run concurrently and repeatedly; the beat ticks are
sweeps, so a tick lost (or queued under an old task name at an upgrade) only waits for the
next one."""

from __future__ import annotations

from celery import shared_task

from ledger import outbox
from ledger.chain import is_chain_configured
from ledger.indexer import index_final_events
from ledger.models import ChainSubmission
from ledger.phoenix import scan_final_phoenix_events


@shared_task(name="ledger.tasks.chain_outbox_flush")
def chain_outbox_flush(chain_account_id: str) -> int:
    """Sign and submit what one chain account has waiting; returns how many were submitted."""
    if not is_chain_configured():
        return 0
    return outbox.chain_outbox_flush(chain_account_id=chain_account_id)


@shared_task(name="ledger.tasks.chain_outbox_tick")
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


@shared_task(name="ledger.tasks.index_final_events")
def index_final_events_task() -> dict[str, int]:
    """Beat: apply the Final events the indexer has not applied yet."""
    if not is_chain_configured():
        return {}
    return index_final_events()


@shared_task(name="ledger.tasks.scan_phoenix_notes")
def scan_phoenix_notes_task() -> dict[str, int]:
    """Beat: find the organisations' Phoenix notes in the Final events after the scanner's
    cursor and mark spent ones (``ledger.phoenix``)."""
    if not is_chain_configured():
        return {}
    return scan_final_phoenix_events()
