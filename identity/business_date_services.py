"""The operator's roll of the business date (``common.business_date`` has the date itself and
who reads it): under ``GLOAM_BUSINESS_CLOCK=manual`` the operator ends the day and the date
moves forward, audited, never back. Here rather than in common because only identity knows
who the operator is (DESIGN.md, App layers).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from common.business_date import (
    MANUAL,
    BusinessDateState,
    business_date_row_for_update,
    compute_next_business_day,
    is_manual_clock,
)
from common.exceptions import ConflictError, InvalidInput, PermissionDeniedError
from common.services import audit_entry_create
from identity.models import User
from identity.roles import Role

#: One roll moves the date at most this far, so that a mistyped year cannot strand the
#: platform in the future (the date never moves back).
MAX_ROLL_DAYS = 366


@transaction.atomic
def business_date_roll(*, actor: User, business_date: datetime.date | None = None) -> BusinessDateState:
    """The operator ends the day: the business date moves to ``business_date``, or to the next
    weekday if not given. Audited (``business_date.roll``, before and after).

    Errors, nothing changed: ``PermissionDeniedError`` unless an operator; ``ConflictError``
    ``business_clock_system`` under the system clock and ``business_date_not_forward`` for a
    date not after the current one; ``InvalidInput`` ``business_date_too_far`` for a roll of
    more than :data:`MAX_ROLL_DAYS` days."""
    if not actor.has_role(Role.OPERATOR):
        raise PermissionDeniedError("Only the operator rolls the business date.")
    if not is_manual_clock():
        raise ConflictError(
            "The business date follows the system clock (GLOAM_BUSINESS_CLOCK=system); it cannot be rolled.",
            code="business_clock_system",
        )
    row = business_date_row_for_update()
    current = row.business_date
    target = business_date or compute_next_business_day(current)
    details = {"business_date": str(current), "requested": str(target)}
    if target <= current:
        raise ConflictError(
            f"The business date only moves forward: {target} is not after {current}.",
            code="business_date_not_forward",
            details=details,
        )
    if (target - current).days > MAX_ROLL_DAYS:
        raise InvalidInput(
            f"One roll moves the business date at most {MAX_ROLL_DAYS} days: {target} is "
            f"{(target - current).days} days after {current}.",
            code="business_date_too_far",
            details={**details, "field": "business_date"},
        )
    row.business_date, row.rolled_at, row.rolled_by = target, timezone.now(), actor
    row.save(update_fields=["business_date", "rolled_at", "rolled_by"])
    audit_entry_create(
        actor=actor,
        action="business_date.roll",
        obj=row,
        organisation=actor.organisation,
        before={"business_date": str(current)},
        changes={"business_date": str(target)},
    )
    return BusinessDateState(target, MANUAL, timezone.localdate(), row.rolled_at, actor.username)
