"""Coupon schedules and accrued interest, computed by QuantLib from an instrument's terms.

No day count, calendar or date rolling is implemented here: every date and year fraction
comes from QuantLib (``Schedule``, ``FixedRateBond``, ``DayCounter``, ``Calendar``). This
module knows nothing of Django models; build the terms with
``issuance.selectors.instrument_coupon_terms`` (or by hand) and call:

- ``compute_coupon_schedule(terms=...) -> list[CouponPeriod]``
- ``compute_accrued_interest(terms=..., settlement_date=..., quantity=...) -> Decimal``

Accrual periods are unadjusted (ICMA practice, and how the US Treasury accrues); the
business-day convention and calendar adjust the payment dates only. The schedule is
generated backward from maturity, so an odd period, if any, is the first one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import QuantLib as ql

from issuance.conventions import (
    get_ql_business_day_convention,
    get_ql_calendar,
    get_ql_day_counter,
    get_ql_frequency,
)

#: Coupon amounts and accrued fractions are rounded to this many places per 1 of face value.
AMOUNT_PLACES = Decimal("1e-12")


class ScheduleError(ValueError):
    """The terms cannot give a schedule (e.g. no maturity, accrual start after maturity)."""


@dataclass(frozen=True)
class CouponTerms:
    """What the schedule depends on.

    ``coupon_rate`` is percent per annum (3.125 means 3.125 %); ``None`` for a floating
    rate (amounts unknown in advance); ``Decimal(0)`` with ``frequency=""`` for a zero
    coupon bond or bill. ``face_value`` is the face of one unit, in the currency.
    ``frequency``, ``day_count``, ``business_day_convention`` and ``calendar`` are the
    codes of ``issuance.conventions``.
    """

    accrual_start: datetime.date
    maturity_date: datetime.date
    coupon_rate: Decimal | None
    frequency: str
    day_count: str
    business_day_convention: str
    calendar: str
    end_of_month: bool
    face_value: Decimal


@dataclass(frozen=True)
class CouponPeriod:
    """One coupon.

    ``accrual_start`` and ``accrual_end`` are unadjusted; ``payment_date`` is ``accrual_end``
    adjusted by the business-day convention on the calendar. ``year_fraction`` is the
    period's length under the day count; ``amount`` is the coupon per 1 of face value
    (0.015625 for half a year at 3.125 %), ``None`` for a floating-rate period.
    """

    accrual_start: datetime.date
    accrual_end: datetime.date
    payment_date: datetime.date
    year_fraction: Decimal
    amount: Decimal | None


def _to_ql(day: datetime.date) -> Any:
    return ql.Date(day.day, day.month, day.year)


def _from_ql(day: Any) -> datetime.date:
    return datetime.date(day.year(), day.month(), day.dayOfMonth())


def _decimal(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(AMOUNT_PLACES, rounding=ROUND_HALF_EVEN)


def is_coupon_bearing(terms: CouponTerms) -> bool:
    """Whether the terms pay periodic coupons (fixed or floating)."""
    return bool(terms.frequency) and terms.coupon_rate != 0


def compute_ql_schedule(terms: CouponTerms) -> Any:
    """The QuantLib ``Schedule`` of accrual dates (unadjusted, backward from maturity)."""
    if terms.maturity_date <= terms.accrual_start:
        raise ScheduleError("The maturity date must be after the start of accrual.")
    return ql.Schedule(
        _to_ql(terms.accrual_start),
        _to_ql(terms.maturity_date),
        ql.Period(get_ql_frequency(terms.frequency)),
        get_ql_calendar(terms.calendar),
        ql.Unadjusted,
        ql.Unadjusted,
        ql.DateGeneration.Backward,
        terms.end_of_month,
    )


def compute_ql_bond(terms: CouponTerms) -> Any:
    """A QuantLib ``FixedRateBond`` of face 100 for fixed-rate terms (settlement days 0)."""
    if terms.coupon_rate is None:
        raise ScheduleError("A floating-rate instrument has no fixed coupon amounts.")
    schedule = compute_ql_schedule(terms)
    return ql.FixedRateBond(
        0,
        100.0,
        schedule,
        [float(terms.coupon_rate) / 100.0],
        get_ql_day_counter(terms.day_count, schedule=schedule),
        get_ql_business_day_convention(terms.business_day_convention),
        100.0,
        _to_ql(terms.accrual_start),
        get_ql_calendar(terms.calendar),
    )


def compute_coupon_schedule(*, terms: CouponTerms) -> list[CouponPeriod]:
    """The coupons, in payment order. Empty for a zero-coupon bond or bill.

    Raises ``ScheduleError`` if the maturity is not after the accrual start.
    """
    if not is_coupon_bearing(terms):
        return []
    if terms.coupon_rate is None:
        schedule = compute_ql_schedule(terms)
        calendar = get_ql_calendar(terms.calendar)
        convention = get_ql_business_day_convention(terms.business_day_convention)
        day_counter = get_ql_day_counter(terms.day_count, schedule=schedule)
        dates = list(schedule)
        return [
            CouponPeriod(
                accrual_start=_from_ql(start),
                accrual_end=_from_ql(end),
                payment_date=_from_ql(calendar.adjust(end, convention)),
                year_fraction=_decimal(day_counter.yearFraction(start, end)),
                amount=None,
            )
            for start, end in zip(dates, dates[1:], strict=False)
        ]
    bond = compute_ql_bond(terms)
    periods = []
    for cashflow in bond.cashflows():
        coupon = ql.as_fixed_rate_coupon(cashflow)
        if coupon is None:  # the redemption
            continue
        periods.append(
            CouponPeriod(
                accrual_start=_from_ql(coupon.accrualStartDate()),
                accrual_end=_from_ql(coupon.accrualEndDate()),
                payment_date=_from_ql(coupon.date()),
                year_fraction=_decimal(coupon.accrualPeriod()),
                amount=_decimal(coupon.amount() / 100.0),
            )
        )
    return periods


def compute_accrued_interest(
    *, terms: CouponTerms, settlement_date: datetime.date, quantity: Decimal
) -> Decimal:
    """Accrued interest, in the currency, on ``quantity`` units settling on ``settlement_date``.

    ``quantity`` is a number of units of ``terms.face_value`` each. The accrued fraction of
    face is computed by QuantLib (``Bond.accruedAmount``) and rounded to 12 places; the
    result is that fraction × face value × quantity, not rounded to minor units (the caller
    rounds). Zero before the accrual start, on or after maturity, and for a zero-coupon
    instrument. Raises ``ScheduleError`` for a floating-rate instrument.
    """
    if not is_coupon_bearing(terms):
        return Decimal(0)
    if terms.coupon_rate is None:
        raise ScheduleError("Accrued interest of a floating-rate note needs the fixed index rate.")
    if settlement_date <= terms.accrual_start or settlement_date >= terms.maturity_date:
        return Decimal(0)
    bond = compute_ql_bond(terms)
    fraction = _decimal(bond.accruedAmount(_to_ql(settlement_date)) / 100.0)
    return fraction * terms.face_value * quantity
