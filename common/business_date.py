"""The platform's business date: the day the back office considers "today".

Every business rule that asks what day it is (corporate actions' record and payment steps,
proxy voting's record date, netting cycles and fails) asks :func:`get_business_date`, never
the wall clock. ``GLOAM_BUSINESS_CLOCK`` decides where it comes from:

- ``system`` (production's default): the server's local date, ``timezone.localdate()``;
- ``manual`` (``make run``'s default): a date stored in one row (``common.models.BusinessDate``,
  the server's local date when first read) that the operator rolls forward at the end of a
  day (:func:`business_date_roll`, ``POST /api/v1/business-date/``), audited, never back.

Real-time facts stay on the wall clock: timestamps, KYC credential expiry, idempotency keys.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

import QuantLib as ql
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from common.exceptions import ConflictError, InvalidInput, PermissionDeniedError
from common.models import BusinessDate
from common.services import audit_entry_create

if TYPE_CHECKING:
    from identity.models import User

SYSTEM, MANUAL = "system", "manual"
#: One roll moves the date at most this far, so that a mistyped year cannot strand the
#: platform in the future (the date never moves back).
MAX_ROLL_DAYS = 366


@dataclass(frozen=True)
class BusinessDateState:
    business_date: datetime.date
    clock: str
    system_date: datetime.date
    rolled_at: datetime.datetime | None
    rolled_by: str | None


def is_manual_clock() -> bool:
    return bool(settings.GLOAM_BUSINESS_CLOCK == MANUAL)


def _stored() -> BusinessDate:
    row, _ = BusinessDate.objects.get_or_create(id=1, defaults={"business_date": timezone.localdate()})
    return row


def get_business_date() -> datetime.date:
    """Today for the business logic: the system's local date, or the stored manual date."""
    if not is_manual_clock():
        return timezone.localdate()
    return _stored().business_date


def compute_next_business_day(day: datetime.date) -> datetime.date:
    """The next business day after ``day`` on the platform's calendar, TARGET: the one default
    of ``issuance.conventions.DEFAULT_CALENDAR`` (common imports no app; a test pins that the
    two agree). Each instrument still applies its own calendar to its own dates."""
    advanced = ql.TARGET().advance(ql.Date(day.day, day.month, day.year), 1, ql.Days)
    return datetime.date(advanced.year(), advanced.month(), advanced.dayOfMonth())


def business_date_get() -> BusinessDateState:
    """The business date, the clock it comes from, the system date and the last roll."""
    system_date = timezone.localdate()
    if not is_manual_clock():
        return BusinessDateState(system_date, SYSTEM, system_date, None, None)
    row = _stored()
    rolled_by = None if row.rolled_by is None else row.rolled_by.username
    return BusinessDateState(row.business_date, MANUAL, system_date, row.rolled_at, rolled_by)


@transaction.atomic
def business_date_roll(*, actor: User, business_date: datetime.date | None = None) -> BusinessDateState:
    """The operator ends the day: the business date moves to ``business_date``, or to the next
    weekday if not given. Audited (``business_date.roll``, before and after).

    Errors, nothing changed: ``PermissionDeniedError`` unless an operator; ``ConflictError``
    ``business_clock_system`` under the system clock and ``business_date_not_forward`` for a
    date not after the current one; ``InvalidInput`` ``business_date_too_far`` for a roll of
    more than :data:`MAX_ROLL_DAYS` days."""
    from identity.roles import Role

    if not actor.has_role(Role.OPERATOR):
        raise PermissionDeniedError("Only the operator rolls the business date.")
    if not is_manual_clock():
        raise ConflictError(
            "The business date follows the system clock (GLOAM_BUSINESS_CLOCK=system); it cannot be rolled.",
            code="business_clock_system",
        )
    _stored()
    row = BusinessDate.objects.select_for_update().get(id=1)
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
