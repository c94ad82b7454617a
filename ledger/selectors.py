"""Reads of the chain boundary's own state: where the indexer stands."""

from __future__ import annotations

from ledger.models import HOLDINGS_CURSOR, ChainCursor


def indexer_position() -> ChainCursor | None:
    """Where the chain indexer stands: the last event it applied (``height``) and the
    chain's Final height it last saw (``final_height``); ``None`` before its first run."""
    return ChainCursor.objects.filter(name=HOLDINGS_CURSOR).first()
