"""Market conventions an instrument's terms may name, each mapped to its QuantLib object.

The codes are what the database, the API and the forms store; ``issuance.schedule`` turns
them into QuantLib objects with the ``get_ql_*`` functions. A code not listed here is an
unsupported convention and is rejected by the model's choices.
"""

from __future__ import annotations

import datetime
from typing import Any, Final

import QuantLib as ql
from django.core.exceptions import ValidationError
from django.db import models

#: The dates QuantLib's calendars cover; a date outside makes QuantLib raise ``RuntimeError``.
FIRST_CALENDAR_DATE = datetime.date(1901, 1, 1)
LAST_CALENDAR_DATE = datetime.date(2199, 12, 31)


def validate_calendar_date(value: datetime.date) -> None:
    """A field validator: ``value`` within the years QuantLib's calendars cover (1901–2199)."""
    if not FIRST_CALENDAR_DATE <= value <= LAST_CALENDAR_DATE:
        raise ValidationError(
            f"Must be between {FIRST_CALENDAR_DATE.isoformat()} and {LAST_CALENDAR_DATE.isoformat()}.",
            code="date_out_of_range",
        )


class CouponFrequency(models.TextChoices):
    ANNUAL = "annual", "Annual"
    SEMIANNUAL = "semiannual", "Semi-annual"
    QUARTERLY = "quarterly", "Quarterly"
    MONTHLY = "monthly", "Monthly"


class DayCount(models.TextChoices):
    ACT_ACT_ICMA = "act_act_icma", "ACT/ACT (ICMA)"
    ACT_ACT_ISDA = "act_act_isda", "ACT/ACT (ISDA)"
    ACT_360 = "act_360", "ACT/360"
    ACT_365_FIXED = "act_365_fixed", "ACT/365 (Fixed)"
    THIRTY_360_BOND = "thirty_360_bond", "30/360 (Bond basis)"
    THIRTY_E_360 = "thirty_e_360", "30E/360 (Eurobond basis)"


class BusinessDayConvention(models.TextChoices):
    FOLLOWING = "following", "Following"
    MODIFIED_FOLLOWING = "modified_following", "Modified following"
    PRECEDING = "preceding", "Preceding"
    MODIFIED_PRECEDING = "modified_preceding", "Modified preceding"
    UNADJUSTED = "unadjusted", "Unadjusted"


class Calendar(models.TextChoices):
    US_GOVERNMENT_BOND = "us_government_bond", "United States (government bond market, SIFMA)"
    US_SETTLEMENT = "us_settlement", "United States (settlement)"
    TARGET = "target", "TARGET (euro)"
    UK_EXCHANGE = "uk_exchange", "United Kingdom (exchange)"
    GERMANY_SETTLEMENT = "germany_settlement", "Germany (settlement)"
    SWITZERLAND = "switzerland", "Switzerland"
    WEEKENDS_ONLY = "weekends_only", "Weekends only"


_FREQUENCIES: dict[str, int] = {
    CouponFrequency.ANNUAL: ql.Annual,
    CouponFrequency.SEMIANNUAL: ql.Semiannual,
    CouponFrequency.QUARTERLY: ql.Quarterly,
    CouponFrequency.MONTHLY: ql.Monthly,
}

_CONVENTIONS: dict[str, int] = {
    BusinessDayConvention.FOLLOWING: ql.Following,
    BusinessDayConvention.MODIFIED_FOLLOWING: ql.ModifiedFollowing,
    BusinessDayConvention.PRECEDING: ql.Preceding,
    BusinessDayConvention.MODIFIED_PRECEDING: ql.ModifiedPreceding,
    BusinessDayConvention.UNADJUSTED: ql.Unadjusted,
}


def get_ql_frequency(code: str) -> int:
    """The QuantLib ``Frequency`` for a ``CouponFrequency`` code; ``KeyError`` if unknown."""
    return _FREQUENCIES[code]


def get_ql_business_day_convention(code: str) -> int:
    """The QuantLib ``BusinessDayConvention`` for a code; ``KeyError`` if unknown."""
    return _CONVENTIONS[code]


def get_ql_calendar(code: str) -> Any:
    """The QuantLib ``Calendar`` for a ``Calendar`` code; ``KeyError`` if unknown."""
    factories = {
        Calendar.US_GOVERNMENT_BOND: lambda: ql.UnitedStates(ql.UnitedStates.GovernmentBond),
        Calendar.US_SETTLEMENT: lambda: ql.UnitedStates(ql.UnitedStates.Settlement),
        Calendar.TARGET: ql.TARGET,
        Calendar.UK_EXCHANGE: lambda: ql.UnitedKingdom(ql.UnitedKingdom.Exchange),
        Calendar.GERMANY_SETTLEMENT: lambda: ql.Germany(ql.Germany.Settlement),
        Calendar.SWITZERLAND: ql.Switzerland,
        Calendar.WEEKENDS_ONLY: ql.WeekendsOnly,
    }
    return factories[Calendar(code)]()


#: The calendar of an instrument that names none, and the platform's own business days
#: (``common.business_date``): TARGET, the euro settlement calendar (T2S settles on it).
DEFAULT_CALENDAR: Final = Calendar.TARGET


def instrument_calendar(code: str) -> Any:
    """The QuantLib ``Calendar`` of an instrument's ``calendar`` code, or of
    :data:`DEFAULT_CALENDAR` when the code is blank; ``ValueError`` for an unknown code."""
    return get_ql_calendar(code or DEFAULT_CALENDAR)


def get_ql_day_counter(code: str, *, schedule: Any = None) -> Any:
    """The QuantLib ``DayCounter`` for a ``DayCount`` code.

    ACT/ACT (ICMA) takes the coupon ``schedule`` so that irregular first or last periods use
    their notional reference periods (ICMA Rule 251); the others ignore it.
    """
    day_count = DayCount(code)
    if day_count == DayCount.ACT_ACT_ICMA:
        if schedule is None:
            return ql.ActualActual(ql.ActualActual.ISMA)
        return ql.ActualActual(ql.ActualActual.ISMA, schedule)
    factories = {
        DayCount.ACT_ACT_ISDA: lambda: ql.ActualActual(ql.ActualActual.ISDA),
        DayCount.ACT_360: ql.Actual360,
        DayCount.ACT_365_FIXED: ql.Actual365Fixed,
        DayCount.THIRTY_360_BOND: lambda: ql.Thirty360(ql.Thirty360.BondBasis),
        DayCount.THIRTY_E_360: lambda: ql.Thirty360(ql.Thirty360.European),
    }
    return factories[day_count]()
