"""Operator actions on netting cycles (the beat runs them at the cut-offs too)."""

from __future__ import annotations

import datetime

from common.business_date import get_business_date
from common.exceptions import InvalidInput, PermissionDeniedError
from common.services import audit_entry_create
from identity.models import User
from identity.roles import Role
from settlement.models import NettingCycle
from settlement.netting import netting_cycle_run
from settlement.shielded_dvp import shielded_cycles_run


def netting_cycle_start(*, actor: User, cycle_date: datetime.date | None) -> NettingCycle | None:
    """An operator runs a cycle now over what is due by ``cycle_date`` (default today), and a
    cycle of its own for each due pair with a shielded cash leg (``settlement.shielded_dvp``).
    Returns the netting cycle, else the last shielded one started; ``None`` if nothing is due.

    A cycle settles the matched instructions whose intended settlement date is on or before its
    date, so a date after today's business date would settle trades before they are due:
    refused (400 ``cycle_date_in_future``). An earlier date only takes fewer instructions."""
    if not actor.has_role(Role.OPERATOR):
        raise PermissionDeniedError("Only the operator runs netting cycles.")
    today = get_business_date()
    if cycle_date is not None and cycle_date > today:
        raise InvalidInput(
            f"A netting cycle may not be dated after today's business date ({today.isoformat()}): "
            "it would settle instructions before their intended settlement date.",
            code="cycle_date_in_future",
            details={"field": "cycle_date", "business_date": today.isoformat()},
        )
    shielded = shielded_cycles_run(cycle_date=cycle_date or today)
    cycle = netting_cycle_run(cycle_date=cycle_date or today)
    started = [*shielded, *([] if cycle is None else [cycle])]
    for one in started:
        audit_entry_create(
            actor=actor,
            action="netting_cycle.start",
            obj=one,
            organisation=actor.organisation,
            changes={"cycle_date": str(one.cycle_date), "cash_leg": one.cash_leg, "report": one.report},
        )
    return started[-1] if started else None
