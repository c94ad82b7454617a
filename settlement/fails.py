"""Settlement fails: instructions not settled on their intended settlement date, and the CSDR
cash penalties they accrue (Regulation (EU) No 909/2014 Art. 7; Commission Delegated
Regulation (EU) 2017/389 for the rates and the reference price; (EU) 2018/1229 for the process).

:func:`fails_mark` (beat, daily, and before each report) sets matched or pending instructions
whose intended settlement date has passed to ``failed`` (``failed_on`` = that date); they stay
in later netting cycles until they settle or are cancelled. The failing party is the one
that lacked what was needed: the seller for lacking securities, the buyer for lacking cash,
both when unknown.

Penalty for each business day of fail (on the instrument's calendar, from the intended
settlement date to the report date, not counted) = the instruction's quantity valued at that
day's **reference price** × the day's rate:

- the reference price is the price of the latest matched trade in the instrument on this
  platform with a trade date before that day (2017/389 Art. 7: the closing price of the
  most relevant market the business day before; this platform is that market here), else
  the failing instruction's own price; the value is clean (no accrued interest): nominal ×
  price / 100 for instruments sized in nominal, else units × price;
- the rate for a lack of securities is the Annex's, by asset class (:func:`penalty_class`,
  :data:`SECURITIES_PENALTY_BPS`); for a lack of cash it is the central bank's overnight
  credit rate of the settlement currency, floored at 0, a 365th of it a day
  (``GLOAM_CENTRAL_BANK_OVERNIGHT_RATES``).
"""

from __future__ import annotations

import bisect
import datetime
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import QuantLib as ql
from django.conf import settings
from django.db import transaction

from identity.models import User
from identity.selectors import scope_to_organisation
from issuance.allocation import compute_settlement_amount
from issuance.conventions import instrument_calendar
from issuance.models import DEBT_KINDS, Instrument, InstrumentKind, IssuerSector
from settlement.models import InstructionStatus, PendingReason, SettlementInstruction, Side
from settlement.services import instruction_status_record

CENT = Decimal("0.01")

#: Cash penalty rates for a lack of securities, in basis points of the reference value a day,
#: by asset class: Commission Delegated Regulation (EU) 2017/389, Annex, points 1(a)–(g).
SECURITIES_PENALTY_BPS: dict[str, Decimal] = {
    "liquid_shares": Decimal("1.0"),
    "illiquid_shares": Decimal("0.5"),
    "sme_growth_market_non_debt": Decimal("0.25"),
    "sovereign_debt": Decimal("0.10"),
    "other_debt": Decimal("0.20"),
    "sme_growth_market_debt": Decimal("0.15"),
    "other": Decimal("0.5"),
}
#: Statuses of an instruction whose trade counts for the reference price (it matched).
PRICED_STATUSES = (
    InstructionStatus.MATCHED,
    InstructionStatus.PENDING,
    InstructionStatus.SETTLED,
    InstructionStatus.FAILED,
)


def penalty_class(instrument: Instrument) -> str:
    """The instrument's asset class in the Annex of 2017/389 (a key of
    :data:`SECURITIES_PENALTY_BPS`): debt is sovereign (issued or guaranteed by a sovereign,
    (d)), else on an SME growth market (f), else other debt (e); anything else on an SME
    growth market (c); shares liquid (a) or illiquid (b); everything else other (g)."""
    if instrument.kind in DEBT_KINDS:
        if instrument.issuer_sector == IssuerSector.SOVEREIGN:
            return "sovereign_debt"
        return "sme_growth_market_debt" if instrument.sme_growth_market else "other_debt"
    if instrument.sme_growth_market:
        return "sme_growth_market_non_debt"
    if instrument.kind == InstrumentKind.EQUITY_SHARE:
        return "liquid_shares" if instrument.liquid_market else "illiquid_shares"
    return "other"


@transaction.atomic
def fails_mark(*, today: datetime.date) -> int:
    """Mark as failed every matched or pending instruction due before ``today``; returns how
    many changed."""
    late = SettlementInstruction.objects.select_for_update().filter(
        status__in=[InstructionStatus.MATCHED, InstructionStatus.PENDING],
        intended_settlement_date__lt=today,
        cycle__isnull=True,
    )
    count = 0
    for instruction in late:
        instruction_status_record(
            instruction,
            InstructionStatus.FAILED,
            f"not settled on {instruction.intended_settlement_date}"
            + (
                f" ({instruction.get_pending_reason_display().lower()})" if instruction.pending_reason else ""
            ),
            failed_on=instruction.intended_settlement_date,
        )
        count += 1
    return count


def compute_penalty_rate_bps(instruction: SettlementInstruction) -> Decimal:
    """Basis points of the reference value a day: the central bank's overnight credit rate
    of the currency (percent a year, floored at 0) ÷ 365 for a lack of cash, else the Annex
    rate of the instrument's :func:`penalty_class`. ``KeyError`` for a currency without a
    configured rate."""
    if instruction.pending_reason == PendingReason.LACKING_CASH:
        annual_percent = Decimal(settings.GLOAM_CENTRAL_BANK_OVERNIGHT_RATES[instruction.currency])
        return max(annual_percent, Decimal(0)) * 100 / 365
    return SECURITIES_PENALTY_BPS[penalty_class(instruction.instrument)]


def compute_penalty_days(instruction: SettlementInstruction, until: datetime.date) -> list[datetime.date]:
    """The business days of fail: from the intended settlement date (counted) to ``until``
    (not counted), on the instrument's calendar."""
    calendar = instrument_calendar(instruction.instrument.calendar)
    day = ql.Date(
        instruction.intended_settlement_date.day,
        instruction.intended_settlement_date.month,
        instruction.intended_settlement_date.year,
    )
    if not calendar.isBusinessDay(day):
        day = calendar.advance(day, 1, ql.Days)
    end = ql.Date(until.day, until.month, until.year)
    days = []
    while day < end:
        days.append(datetime.date(day.year(), day.month(), day.dayOfMonth()))
        day = calendar.advance(day, 1, ql.Days)
    return days


def compute_reference_prices(instrument: Instrument) -> list[tuple[datetime.date, Decimal]]:
    """(trade date, price) of the instrument's matched trades, oldest first (one query)."""
    return list(
        SettlementInstruction.objects.filter(instrument=instrument, status__in=PRICED_STATUSES)
        .order_by("trade_date", "created_at")
        .values_list("trade_date", "price")
    )


def compute_penalty(
    instruction: SettlementInstruction, days: list[datetime.date], prices: list[tuple[datetime.date, Decimal]]
) -> Decimal:
    """Σ over ``days`` of the quantity valued at the day's reference price × the rate,
    rounded half up to the cent once at the end (the rounding of the daily amounts is left
    to the CSD's calculation; here the total is exact to the cent)."""
    rate = compute_penalty_rate_bps(instruction)
    traded_on = [traded for traded, _ in prices]
    total = Decimal(0)
    for day in days:
        before = bisect.bisect_left(traded_on, day)  # the trades dated before ``day``
        price = prices[before - 1][1] if before else instruction.price
        value = compute_settlement_amount(instruction.instrument, instruction.quantity, price)
        total += value * rate / 10_000
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def is_failing_party(instruction: SettlementInstruction) -> bool:
    """Whether this side caused the fail (unknown cause: both sides count)."""
    if instruction.pending_reason == PendingReason.LACKING_SECURITIES:
        return instruction.side == Side.SELL
    if instruction.pending_reason == PendingReason.LACKING_CASH:
        return instruction.side == Side.BUY
    return True


@dataclass
class ParticipantFails:
    broker: str
    lei: str
    instructions: list[dict[str, object]] = field(default_factory=list)
    penalties: dict[str, Decimal] = field(default_factory=dict)
    """Penalty accrued per currency (ISO 4217 → amount): never one sum across currencies."""


def fails_report(*, user: User, today: datetime.date) -> list[ParticipantFails]:
    """Failing instructions per participant (broker) with days outstanding and the penalty
    accrued to ``today``, in each instruction's currency, totalled per currency; the
    participants with most failing instructions first."""
    fails_mark(today=today)
    failing = scope_to_organisation(
        SettlementInstruction.objects.select_related("broker", "instrument").filter(
            status=InstructionStatus.FAILED
        ),
        user=user,
        field="broker",
    )
    by_broker: dict[str, ParticipantFails] = defaultdict(lambda: ParticipantFails("", ""))
    prices: dict[uuid.UUID, list[tuple[datetime.date, Decimal]]] = {}
    for instruction in failing:
        entry = by_broker[instruction.broker.lei]
        entry.broker, entry.lei = instruction.broker.legal_name, instruction.broker.lei
        days = compute_penalty_days(instruction, today)
        rate = compute_penalty_rate_bps(instruction)
        penalty = Decimal(0)
        if is_failing_party(instruction):
            if instruction.instrument_id not in prices:
                prices[instruction.instrument_id] = compute_reference_prices(instruction.instrument)
            penalty = compute_penalty(instruction, days, prices[instruction.instrument_id])
        entry.penalties[instruction.currency] = entry.penalties.get(instruction.currency, 0) + penalty
        entry.instructions.append(
            {
                "reference": instruction.reference,
                "isin": instruction.instrument.isin,
                "side": instruction.side,
                "intended_settlement_date": instruction.intended_settlement_date,
                "days_outstanding": len(days),
                "penalty_class": (
                    "lack_of_cash"
                    if instruction.pending_reason == PendingReason.LACKING_CASH
                    else penalty_class(instruction.instrument)
                ),
                "reason": instruction.pending_reason or "unknown",
                "failing_party": is_failing_party(instruction),
                "rate_bps_per_day": rate,
                "penalty": penalty,
                "currency": instruction.currency,
            }
        )
    return sorted(by_broker.values(), key=lambda p: (-len(p.instructions), p.lei))
