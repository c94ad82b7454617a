"""Compliance's Celery tasks."""

from __future__ import annotations

import uuid

from celery import shared_task
from django.conf import settings

from compliance.audit import audit_anchor_enqueue


@shared_task(name="compliance.tasks.audit_anchor")
def audit_anchor() -> int | None:
    """Anchor the audit chain's head on chain if it moved (beat, ``GLOAM_AUDIT_ANCHOR_SECONDS``);
    returns the anchored sequence, or ``None`` if nothing was queued."""
    if settings.GLOAM_AUDIT_ANCHOR_SECONDS <= 0:
        return None
    anchor = audit_anchor_enqueue()
    return None if anchor is None else anchor.sequence


@shared_task(name="compliance.tasks.disclosure_complete")
def disclosure_complete(disclosure_id: str) -> str:
    """Build and seal one disclosure if its checkpoint and audit anchor are Final (queued when
    it is created); returns its status. The beat task below retries the ones still building."""
    from compliance.disclosure import disclosure_complete as complete

    return str(complete(disclosure_id=uuid.UUID(disclosure_id)).status)


@shared_task(name="compliance.tasks.disclosures_complete")
def disclosures_complete() -> int:
    """Beat (``GLOAM_DISCLOSURE_SECONDS``): build the disclosures still waiting; returns how
    many were sealed."""
    from compliance.disclosure import disclosures_complete as complete_all

    return complete_all()


@shared_task(name="compliance.tasks.breach_scan")
def breach_scan() -> int:
    """Re-check every holder of every instrument with applied rules (claims that simply
    expired on chain) and the settlement instructions the rules refused (beat,
    ``GLOAM_BREACH_SCAN_SECONDS``); returns the number of breaches opened."""
    from compliance.breaches import breach_scan_all

    return breach_scan_all()
