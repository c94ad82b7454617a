"""Celery tasks of the corporate actions app: the beat's ticks of corporate actions (with
market claims) and of ballots. Both are idempotent sweeps."""

from __future__ import annotations

from celery import shared_task

from ledger.chain import is_chain_configured


@shared_task(name="corporate_actions.tasks.ballots_advance")
def ballots_advance() -> int:
    """Take the record checkpoint of approved ballots whose record date has come (beat)."""
    from corporate_actions.voting import ballots_advance as advance

    return advance()


@shared_task(name="corporate_actions.tasks.corporate_actions_tick")
def corporate_actions_tick() -> dict[str, int]:
    """Beat: propose, record, compute entitlements and pay corporate actions
    (``corporate_actions.services.corporate_actions_tick``), then raise market claims
    (``corporate_actions.market_claims.market_claims_tick``)."""
    from corporate_actions.market_claims import market_claims_tick
    from corporate_actions.services import corporate_actions_tick as tick

    if not is_chain_configured():
        return {}
    return {**tick(), "market_claims": market_claims_tick()}
