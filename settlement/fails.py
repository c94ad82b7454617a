"""Settlement fails: instructions not settled on their intended settlement date, and the
CSDR-style cash penalties they accrue (Regulation (EU) 2018/1229, Annex; rates here are
configuration, not the regulation's table).

:func:`fails_mark` (beat, daily, and before each report) sets matched or pending instructions
whose intended settlement date has passed to ``failed`` (``failed_on`` = that date); they stay
in later netting cycles until they settle or are cancelled. The failing party is the one
that lacked what was needed: the seller for lacking securities, the buyer for lacking cash,
both when unknown. Penalty per business day of fail (on the instrument's calendar, from the
intended settlement date to the report date) = settlement amount × rate, the rate in basis
points a day from ``GLOAM_PENALTY_BPS`` by instrument kind, and ``GLOAM_PENALTY_CASH_BPS``
for a lack of cash.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import QuantLib as ql
from django.conf import settings
from django.db import transaction

from identity.models import User
from identity.selectors import scope_to_organisation
from settlement.models import InstructionStatus, PendingReason, SettlementInstruction, Side
from settlement.services import _calendar, _record

CENT = Decimal("0.01")


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
        _record(
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


def compute_business_days(instruction: SettlementInstruction, until: datetime.date) -> int:
    """Business days from the intended settlement date (counted) to ``until`` (not counted)."""
    start = instruction.intended_settlement_date
    if until <= start:
        return 0
    return int(
        _calendar(instruction.instrument).businessDaysBetween(
            ql.Date(start.day, start.month, start.year),
            ql.Date(until.day, until.month, until.year),
            True,
            False,
        )
    )


def compute_penalty_rate_bps(instruction: SettlementInstruction) -> Decimal:
    if instruction.pending_reason == PendingReason.LACKING_CASH:
        return Decimal(settings.GLOAM_PENALTY_CASH_BPS)
    rates: dict[str, str] = settings.GLOAM_PENALTY_BPS
    return Decimal(rates.get(instruction.instrument.kind, rates.get("default", "0.5")))


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
    penalty: Decimal = Decimal(0)


def fails_report(*, user: User, today: datetime.date) -> list[ParticipantFails]:
    """Failing instructions per participant (broker) with days outstanding and the penalty
    accrued to ``today``, in each instruction's currency (EUR here), sorted by penalty."""
    fails_mark(today=today)
    failing = scope_to_organisation(
        SettlementInstruction.objects.select_related("broker", "instrument").filter(
            status=InstructionStatus.FAILED
        ),
        user=user,
        field="broker",
    )
    by_broker: dict[str, ParticipantFails] = defaultdict(lambda: ParticipantFails("", ""))
    for instruction in failing:
        entry = by_broker[instruction.broker.lei]
        entry.broker, entry.lei = instruction.broker.legal_name, instruction.broker.lei
        days = compute_business_days(instruction, today)
        rate = compute_penalty_rate_bps(instruction)
        penalty = Decimal(0)
        if is_failing_party(instruction):
            penalty = (instruction.settlement_amount * rate / 10_000 * days).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
        entry.penalty += penalty
        entry.instructions.append(
            {
                "reference": instruction.reference,
                "isin": instruction.instrument.isin,
                "side": instruction.side,
                "intended_settlement_date": instruction.intended_settlement_date,
                "days_outstanding": days,
                "reason": instruction.pending_reason or "unknown",
                "failing_party": is_failing_party(instruction),
                "rate_bps_per_day": rate,
                "penalty": penalty,
                "currency": instruction.currency,
            }
        )
    return sorted(by_broker.values(), key=lambda p: (-p.penalty, p.lei))
