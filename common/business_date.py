"""The platform's business date: the day the back office considers "today".

Every business rule that asks what day it is (corporate actions' record and payment steps,
proxy voting's record date, netting cycles and fails) asks :func:`get_business_date`, never
the wall clock. ``GLOAM_BUSINESS_CLOCK`` decides where it comes from:

- ``system`` (production's default): the server's local date, ``timezone.localdate()``;
- ``manual`` (``make run``'s default): a date stored in one row (``common.models.BusinessDate``,
  the server's local date when first read) that the operator rolls forward at the end of a
  day (``identity.business_date_services.business_date_roll``, ``POST /api/v1/business-date/``),
  audited, never back.

Real-time facts stay on the wall clock: timestamps, KYC credential expiry, idempotency keys.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import QuantLib as ql
from django.conf import settings
from django.utils import timezone

from common.models import BusinessDate

SYSTEM, MANUAL = "system", "manual"


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


def business_date_row_for_update() -> BusinessDate:
    """The stored business date (created at the server's local date if missing), locked
    until the transaction ends: for the roll, inside its transaction."""
    _stored()
    return BusinessDate.objects.select_for_update().get(id=1)
