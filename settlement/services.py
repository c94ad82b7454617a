"""Writes: trade capture, matching and cancellation of settlement instructions.

A broker submits its side of a trade (:func:`instruction_create`). It is validated first
(nothing is stored if anything is wrong: the error names the field), priced (quantity ×
clean price, plus accrued interest for bonds from QuantLib through ``issuance.schedule``),
then matched against the counterparty's instructions as in ISO 20022 settlement matching:
the two sides match when the instrument, quantity, trade date, intended settlement date and
the two parties agree, the sides are opposite and the settlement amounts differ by no more
than the tolerance (T2S style: ``GLOAM_MATCHING_TOLERANCE_HIGH`` above
``GLOAM_MATCHING_TOLERANCE_THRESHOLD``, else ``GLOAM_MATCHING_TOLERANCE_LOW``). An
unmatched instruction keeps the fields that differ from its nearest candidate. Every status
change is an ``InstructionEvent`` for the broker to poll.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import QuantLib as ql
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q

from common.exceptions import ConflictError, InvalidInput, NotFoundError, PermissionDeniedError
from common.services import audit_entry_create
from identity.models import ClientAccount, Organisation, User
from identity.roles import BROKER_ROLES, OrganisationKind
from issuance.allocation import compute_settlement_amount
from issuance.conventions import DEFAULT_CALENDAR, instrument_calendar
from issuance.models import Instrument, InstrumentStatus, IssueSizeUnit
from issuance.schedule import ScheduleError, compute_accrued_interest
from issuance.selectors import instrument_coupon_terms
from ledger.phoenix import phoenix_cash_token, phoenix_contract_id
from settlement.models import (
    OPEN_INSTRUCTION_STATUSES,
    CashLeg,
    InstructionEvent,
    InstructionStatus,
    SettlementInstruction,
    Side,
)

CENT = Decimal("0.01")
#: Fields compared for matching, in the order a mismatch is reported.
MATCHING_FIELDS = (
    "instrument",
    "quantity",
    "trade_date",
    "intended_settlement_date",
    "settlement_amount",
    "cash_leg",
)


def _invalid(field: str, message: str, code: str = "invalid_instruction") -> InvalidInput:
    return InvalidInput(message, code=code, details={"field": field})


def _check_broker(actor: User) -> Organisation:
    organisation = actor.organisation
    if (
        organisation is None
        or organisation.kind != OrganisationKind.BROKER
        or not actor.has_role(*BROKER_ROLES)
    ):
        raise PermissionDeniedError("Only a broker's traders and back office submit settlement instructions.")
    return organisation


def compute_default_settlement_date(*, instrument: Instrument, trade_date: datetime.date) -> datetime.date:
    """T+1: one business day after ``trade_date`` on the instrument's calendar (QuantLib)."""
    advanced = instrument_calendar(instrument.calendar).advance(
        ql.Date(trade_date.day, trade_date.month, trade_date.year), 1, ql.Days
    )
    return datetime.date(advanced.year(), advanced.month(), advanced.dayOfMonth())


def _is_business_day(instrument: Instrument, day: datetime.date) -> bool:
    return bool(instrument_calendar(instrument.calendar).isBusinessDay(ql.Date(day.day, day.month, day.year)))


def compute_amounts(
    *, instrument: Instrument, quantity: Decimal, price: Decimal, settlement_date: datetime.date
) -> tuple[Decimal, Decimal]:
    """(accrued interest, settlement amount) in the currency, each rounded half up to the
    cent. Nominal-sized instruments: price in percent of nominal; accrued interest from
    QuantLib for ``quantity / face value`` units. Others: quantity × price, no accrual."""
    principal = compute_settlement_amount(instrument, quantity, price)
    if instrument.issue_size_unit != IssueSizeUnit.NOMINAL:
        return Decimal(0), principal
    accrued = Decimal(0)
    if instrument.maturity_date is not None:
        try:
            accrued = compute_accrued_interest(
                terms=instrument_coupon_terms(instrument=instrument),
                settlement_date=settlement_date,
                quantity=quantity / instrument.face_value,
            )
        except ScheduleError as exc:
            raise _invalid("instrument", str(exc), code="no_accrued_interest") from exc
    return accrued.quantize(CENT, rounding=ROUND_HALF_UP), principal + accrued.quantize(
        CENT, rounding=ROUND_HALF_UP
    )


def _decimal(data: Mapping[str, Any], field: str) -> Decimal:
    try:
        value = Decimal(str(data.get(field, "")))
    except InvalidOperation as exc:
        raise _invalid(field, f"{field} must be a number.") from exc
    if not value.is_finite() or value <= 0:
        raise _invalid(field, f"{field} must be positive.", code=f"invalid_{field}")
    return value


def _date(data: Mapping[str, Any], field: str, *, required: bool = True) -> datetime.date | None:
    raw = data.get(field)
    if raw in (None, ""):
        if required:
            raise _invalid(field, f"{field} is required.")
        return None
    if isinstance(raw, datetime.date):
        return raw
    try:
        return datetime.date.fromisoformat(str(raw))
    except ValueError as exc:
        raise _invalid(field, f"{field} must be a date (YYYY-MM-DD).") from exc


def _check_price(instrument: Instrument, price: Decimal) -> None:
    """Refuse a price off by orders of magnitude: outside [LOW, HIGH] percent of par for
    nominal-sized instruments, outside face value ÷/× FACTOR per unit for the others."""
    if instrument.issue_size_unit == IssueSizeUnit.NOMINAL:
        low, high = settings.GLOAM_PRICE_BAND_LOW_PERCENT, settings.GLOAM_PRICE_BAND_HIGH_PERCENT
        unit = "percent of par"
    else:
        factor = settings.GLOAM_PRICE_BAND_FACTOR
        low, high = instrument.face_value / factor, instrument.face_value * factor
        unit = f"{instrument.currency} per unit"
    if not low <= price <= high:
        raise _invalid(
            "price",
            f"The price {price.normalize()} is outside the band {low.normalize()}–{high.normalize()} {unit}.",
            code="price_out_of_band",
        )


def instruction_status_record(
    instruction: SettlementInstruction, status: str, reason: str = "", **fields: Any
) -> None:
    instruction.status, instruction.status_reason = status, reason
    for name, value in fields.items():
        setattr(instruction, name, value)
    instruction.save()
    _event(instruction, status, reason)


def _event(instruction: SettlementInstruction, status: str, reason: str = "") -> None:
    """Record a status change for the broker to poll, and its webhook deliveries."""
    from settlement.webhooks import deliveries_create  # it reads the models this module writes

    event = InstructionEvent.objects.create(
        instruction=instruction, broker=instruction.broker, status=status, reason=reason
    )
    deliveries_create(event)


@transaction.atomic
def instruction_create(*, actor: User, data: Mapping[str, Any]) -> SettlementInstruction:
    """Capture one side of a trade and try to match it. ``data``: ``isin``, ``side``,
    ``quantity``, ``price``, ``trade_date``, ``intended_settlement_date`` (default T+1),
    ``counterparty_lei``, ``client_account`` (the broker's reference), ``reference``,
    ``cash_leg`` (``public``, the default, or ``shielded``: paid in shielded EUR, gross;
    docs/settlement.md "Shielded DvP").

    Raises ``PermissionDeniedError`` for a non-broker; ``InvalidInput`` naming the field
    for unknown ISIN or LEI, a client account not the actor's, a non-positive quantity or
    price, a price out of band, a quantity not a whole denomination, a settlement date
    before the trade date or on a holiday, a shielded cash leg in another currency than EUR or
    on a chain without the phoenix contract (``shielded_cash_unavailable``); ``ConflictError``
    (``duplicate_reference``).
    Nothing is stored then."""
    broker = _check_broker(actor)
    isin = str(data.get("isin", "")).strip().upper()
    instrument = Instrument.objects.filter(isin=isin).first()
    if instrument is None:
        raise _invalid("isin", f"No instrument with ISIN {isin or '(empty)'}.", code="unknown_isin")
    if instrument.status != InstrumentStatus.LIVE:
        raise _invalid("isin", f"{isin} is not live on chain; it cannot settle.", code="instrument_not_live")
    side = str(data.get("side", ""))
    if side not in Side.values:
        raise _invalid("side", "side must be buy or sell.")
    lei = str(data.get("counterparty_lei", "")).strip().upper()
    counterparty = Organisation.objects.filter(lei=lei, kind=OrganisationKind.BROKER).first()
    if counterparty is None:
        raise _invalid("counterparty_lei", f"No broker with LEI {lei or '(empty)'}.", code="unknown_lei")
    if counterparty.pk == broker.pk:
        raise _invalid("counterparty_lei", "The counterparty must be another broker.", code="self_trade")
    reference = str(data.get("client_account", "")).strip()
    client_account = ClientAccount.objects.filter(broker=broker, account_reference=reference).first()
    if client_account is None or client_account.status != ClientAccount.Status.ACTIVE:
        raise _invalid("client_account", f"No active client account {reference!r} at {broker.legal_name}.")
    quantity, price = _decimal(data, "quantity"), _decimal(data, "price")
    unit = instrument.token_unit
    if (quantity / unit) != (quantity / unit).to_integral_value():
        raise _invalid(
            "quantity", f"The quantity must be a multiple of {unit.normalize()}.", code="invalid_quantity"
        )
    _check_price(instrument, price)
    trade_date = _date(data, "trade_date")
    assert trade_date is not None  # noqa: S101 - required above
    settlement_date = _date(
        data, "intended_settlement_date", required=False
    ) or compute_default_settlement_date(instrument=instrument, trade_date=trade_date)
    if settlement_date < trade_date:
        raise _invalid(
            "intended_settlement_date", "The settlement date is before the trade date.", code="invalid_dates"
        )
    if not _is_business_day(instrument, settlement_date):
        raise _invalid(
            "intended_settlement_date",
            f"{settlement_date} is not a business day on the "
            f"{instrument.calendar or DEFAULT_CALENDAR} calendar.",
            code="settlement_date_holiday",
        )
    cash_leg = str(data.get("cash_leg") or CashLeg.PUBLIC)
    if cash_leg not in CashLeg.values:
        raise _invalid("cash_leg", "cash_leg must be public or shielded.")
    if cash_leg == CashLeg.SHIELDED:
        _check_shielded_cash(instrument)
    own_reference = str(data.get("reference", "")).strip()
    if not own_reference or len(own_reference) > 35:
        raise _invalid("reference", "reference is required (at most 35 characters).")
    accrued, amount = compute_amounts(
        instrument=instrument, quantity=quantity, price=price, settlement_date=settlement_date
    )
    instruction = SettlementInstruction(
        broker=broker,
        client_account=client_account,
        instrument=instrument,
        side=side,
        quantity=quantity,
        price=price,
        trade_date=trade_date,
        intended_settlement_date=settlement_date,
        counterparty=counterparty,
        reference=own_reference,
        currency=instrument.currency,
        cash_leg=cash_leg,
        accrued_interest=accrued,
        settlement_amount=amount,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            instruction.save()
    except IntegrityError as exc:
        raise ConflictError(
            f"Reference {own_reference} is already used by {broker.legal_name}.",
            code="duplicate_reference",
            details={"field": "reference"},
        ) from exc
    _event(instruction, InstructionStatus.RECEIVED)
    audit_entry_create(
        actor=actor,
        action="settlement_instruction.create",
        obj=instruction,
        organisation=broker,
        changes={
            "reference": own_reference,
            "isin": isin,
            "side": side,
            "quantity": str(quantity),
            "cash_leg": cash_leg,
        },
    )
    _match(instruction)
    return instruction


def _check_shielded_cash(instrument: Instrument) -> None:
    """A shielded cash leg is paid in shielded cash: the phoenix contract's cash token must be
    in the instrument's currency."""
    if phoenix_contract_id() is None:
        raise _invalid(
            "cash_leg",
            "The chain has no phoenix contract: a shielded cash leg cannot be paid.",
            code="shielded_cash_unavailable",
        )
    currency, _ = phoenix_cash_token()
    if instrument.currency != currency:
        raise _invalid(
            "cash_leg",
            f"Shielded cash is {currency}; {instrument.isin} settles in {instrument.currency}.",
            code="shielded_cash_unavailable",
        )


def _tolerance(amount: Decimal) -> Decimal:
    if amount > settings.GLOAM_MATCHING_TOLERANCE_THRESHOLD:
        return Decimal(settings.GLOAM_MATCHING_TOLERANCE_HIGH)
    return Decimal(settings.GLOAM_MATCHING_TOLERANCE_LOW)


def compute_differences(mine: SettlementInstruction, theirs: SettlementInstruction) -> list[str]:
    """The matching fields on which two opposite instructions of the same parties differ."""
    differ = []
    for field in MATCHING_FIELDS:
        if field == "settlement_amount":
            tolerance = _tolerance(max(mine.settlement_amount, theirs.settlement_amount))
            if abs(mine.settlement_amount - theirs.settlement_amount) > tolerance:
                differ.append(field)
        elif getattr(mine, field) != getattr(theirs, field):
            differ.append(field)
    return differ


def _match(instruction: SettlementInstruction) -> None:
    candidates = list(
        SettlementInstruction.objects.select_for_update()
        .filter(
            broker=instruction.counterparty,
            counterparty=instruction.broker,
            status=InstructionStatus.UNMATCHED,
        )
        .exclude(side=instruction.side)
        .filter(Q(instrument=instruction.instrument) | Q(trade_date=instruction.trade_date))
        .order_by("created_at")
    )
    best: tuple[list[str], SettlementInstruction] | None = None
    for candidate in candidates:
        differences = compute_differences(instruction, candidate)
        if not differences:
            instruction_status_record(
                instruction, InstructionStatus.MATCHED, matched_with=candidate, match_report=[]
            )
            instruction_status_record(
                candidate, InstructionStatus.MATCHED, matched_with=instruction, match_report=[]
            )
            return
        if best is None or len(differences) < len(best[0]):
            best = (differences, candidate)
    report = [] if best is None else [{"field": f, "candidate": best[1].reference} for f in best[0]]
    reason = "no instruction of the counterparty yet" if best is None else "differs on " + ", ".join(best[0])
    instruction_status_record(instruction, InstructionStatus.UNMATCHED, reason, match_report=report)


def open_instructions_cancel(*, instrument_id: uuid.UUID, reason: str) -> int:
    """Cancel the instrument's open instructions (``OPEN_INSTRUCTION_STATUSES``) that are in no
    netting cycle, each with ``reason`` (at most 200 characters kept) and the broker's event
    and webhook; returns how many. Run inside the caller's transaction (a corporate action's
    split: ``corporate_actions.hooks``); the instructions are locked."""
    opened = SettlementInstruction.objects.select_for_update().filter(
        instrument_id=instrument_id, status__in=OPEN_INSTRUCTION_STATUSES, cycle__isnull=True
    )
    count = 0
    for instruction in opened:
        instruction_status_record(instruction, InstructionStatus.CANCELLED, reason[:200])
        count += 1
    return count


@transaction.atomic
def instruction_cancel(*, actor: User, instruction_id: uuid.UUID) -> SettlementInstruction:
    """Cancel an instruction that is not matched yet (received or unmatched). A matched,
    settling or settled one cannot be cancelled unilaterally (``not_cancellable``)."""
    broker = _check_broker(actor)
    instruction = (
        SettlementInstruction.objects.select_for_update().filter(pk=instruction_id, broker=broker).first()
    )
    if instruction is None:
        raise NotFoundError("Settlement instruction not found.")
    if instruction.status not in (InstructionStatus.RECEIVED, InstructionStatus.UNMATCHED):
        raise ConflictError(
            f"A {instruction.get_status_display().lower()} instruction cannot be cancelled.",
            code="not_cancellable",
            details={"status": instruction.status},
        )
    instruction_status_record(instruction, InstructionStatus.CANCELLED, f"cancelled by {actor.username}")
    audit_entry_create(
        actor=actor,
        action="settlement_instruction.cancel",
        obj=instruction,
        organisation=broker,
        changes={"status": {"old": "unmatched", "new": "cancelled"}},
    )
    return instruction
