"""One default calendar (issue 21): an instrument without a calendar of its own, the
platform's business date, settlement dates, fails and corporate-action record dates all use
``issuance.conventions.DEFAULT_CALENDAR`` (TARGET). Good Friday 2027 (26 March) and
Christmas are TARGET holidays but weekdays, so a weekends-only default would count them."""

from __future__ import annotations

import datetime

from common.business_date import compute_next_business_day
from corporate_actions.services import compute_business_day
from issuance.conventions import DEFAULT_CALENDAR, Calendar, instrument_calendar
from issuance.models import Instrument
from settlement.services import compute_default_settlement_date

THURSDAY_BEFORE_GOOD_FRIDAY = datetime.date(2027, 3, 25)
EASTER_TUESDAY = datetime.date(2027, 3, 30)  # Good Friday and Easter Monday are TARGET holidays
CHRISTMAS_EVE = datetime.date(2026, 12, 24)


def test_the_default_is_target() -> None:
    assert DEFAULT_CALENDAR == Calendar.TARGET
    assert instrument_calendar("").name() == instrument_calendar(Calendar.TARGET).name()


def test_settlement_corporate_actions_and_the_business_date_skip_the_same_holidays() -> None:
    no_calendar = Instrument(calendar="")
    settles = compute_default_settlement_date(instrument=no_calendar, trade_date=THURSDAY_BEFORE_GOOD_FRIDAY)
    assert settles == EASTER_TUESDAY
    assert compute_business_day("", THURSDAY_BEFORE_GOOD_FRIDAY, 1) == EASTER_TUESDAY
    assert compute_next_business_day(THURSDAY_BEFORE_GOOD_FRIDAY) == EASTER_TUESDAY
    assert compute_next_business_day(CHRISTMAS_EVE) == datetime.date(2026, 12, 28)


def test_an_instruments_own_calendar_still_wins() -> None:
    us_bond = Instrument(calendar=Calendar.US_GOVERNMENT_BOND)
    # Good Friday 2027 is a US government bond market holiday too; 29 March is not.
    settles = compute_default_settlement_date(instrument=us_bond, trade_date=THURSDAY_BEFORE_GOOD_FRIDAY)
    assert settles == datetime.date(2027, 3, 29)
