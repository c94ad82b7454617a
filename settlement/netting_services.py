"""Operator actions on netting cycles (the beat runs them at the cut-offs too)."""

from __future__ import annotations

import datetime

from common.business_date import get_business_date
from common.exceptions import PermissionDeniedError
from common.services import audit_entry_create
from identity.models import User
from identity.roles import Role
from settlement.models import NettingCycle
from settlement.netting import netting_cycle_run


def netting_cycle_start(*, actor: User, cycle_date: datetime.date | None) -> NettingCycle | None:
    """An operator runs a cycle now over what is due by ``cycle_date`` (default today);
    ``None`` if nothing is due."""
    if not actor.has_role(Role.OPERATOR):
        raise PermissionDeniedError("Only the operator runs netting cycles.")
    cycle = netting_cycle_run(cycle_date=cycle_date or get_business_date())
    if cycle is not None:
        audit_entry_create(
            actor=actor,
            action="netting_cycle.start",
            obj=cycle,
            organisation=actor.organisation,
            changes={"cycle_date": str(cycle.cycle_date), "report": cycle.report},
        )
    return cycle
