"""Corporate actions, part 1: cash distributions (coupons, dividends, redemption at maturity,
partial redemption pro rata) computed from a Final checkpoint of the security token and paid
on chain in one ``settle_batch`` of the DvP contract (docs/corporate-actions.md).

Lifecycle (``CorporateActionStatus``): an issuer admin proposes an event (or the beat does,
from a bond's QuantLib schedule) → submits it → an issuer approver, not the proposer,
approves it → on the record date the beat asks the token for a checkpoint through the outbox
(``recording``) → when that block is Final the checkpoint is recorded (``recorded``) → the
entitlements are computed from ``holders_at`` of that checkpoint (``entitled``) → on the
payment date the issuer's cash pays every holder in one batch (``paying``) → ``paid`` when the
batch's block is Final, or ``failed`` with the chain's reason and nothing paid. A redemption
then redeems every holder's tokens, a partial redemption the called ones (``redeeming`` →
``redeemed``).

Amounts: ``Decimal`` throughout; per-holder gross = position × amount per unit, rounded
DOWN to the currency's minor unit (ISO 4217 exponent, ``iso4217``); the remainder (declared
total − the gross payments) stays with the issuer and is recorded, so that gross payments +
remainder = declared total exactly. Withholding: a rate per holder jurisdiction
(``GLOAM_WITHHOLDING_RATES``, ISO 3166-1 alpha-2 → percent; the holder's jurisdiction claim
on chain; no claim → ``GLOAM_WITHHOLDING_DEFAULT_PERCENT``), withheld = taxable gross × rate
rounded half up to the minor unit; net = gross − withheld is paid. The issuer keeps what it
withholds (it remits it to the tax authority off chain).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import iso4217
import QuantLib as ql
from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from chain.node.client import RpcError, contract_abi
from common.business_date import get_business_date
from common.exceptions import ChainUnavailable, ConflictError, InvalidInput, PermissionDeniedError
from common.services import audit_entry_create
from corporate_actions.hooks import get_settlement_hooks
from corporate_actions.models import (
    LIVE_CORPORATE_ACTION_STATUSES,
    CorporateAction,
    CorporateActionKind,
    CorporateActionStatus,
    Entitlement,
)
from identity.models import Organisation, User
from identity.roles import Role
from identity.selectors import chain_account_owner_name, chain_account_owners
from issuance.conventions import instrument_calendar
from issuance.models import Instrument, InstrumentKind, InstrumentStatus, IssueSizeUnit
from issuance.register import checkpoint_record, token_holdings_final
from issuance.schedule import ScheduleError, compute_accrued_interest, compute_coupon_schedule
from issuance.selectors import instrument_coupon_terms, instrument_get
from issuance.services import check_issuer_role
from ledger.chain import (
    get_cash_tokens,
    get_claims_on_chain,
    get_node_client,
)
from ledger.dvp import DvpFailed, DvpFlow, DvpKinds, DvpLegFailed, DvpOutcome, dvp_batch_start
from ledger.models import ChainAccount, ChainSubmission
from ledger.outbox import chain_call_enqueue

Status = CorporateActionStatus
Kind = CorporateActionKind

KIND_CHECKPOINT = "corporate_action.checkpoint"
KIND_CASH_APPROVE = "corporate_action.cash_approve"
KIND_CREATE = "corporate_action.create"
KIND_AFFIRM = "corporate_action.affirm"
KIND_SETTLE = "corporate_action.settle"
KIND_REDEEM = "corporate_action.redeem"
KIND_PAUSE = "corporate_action.pause"

REDEEMING_KINDS = frozenset({Kind.REDEMPTION, Kind.PARTIAL_REDEMPTION})
SPLIT_KINDS = frozenset({Kind.SPLIT, Kind.REVERSE_SPLIT})
#: A split's terms: the contract takes u32, the database a (signed) integer column.
MAX_SPLIT_TERM = (1 << 31) - 1
#: At most this many holders are paid in one atomic batch (``settle_batch``): one leg each, in
#: ``contract_abi.MAX_BATCH`` instructions of ``contract_abi.MAX_LEGS`` legs.
MAX_HOLDERS = contract_abi.MAX_LEGS * contract_abi.MAX_BATCH

#: The kinds an instrument of each kind may have.
KINDS_BY_INSTRUMENT: dict[str, frozenset[str]] = {
    InstrumentKind.FIXED_RATE_BOND: frozenset({Kind.COUPON, Kind.REDEMPTION, Kind.PARTIAL_REDEMPTION}),
    InstrumentKind.ZERO_COUPON_BOND: frozenset({Kind.REDEMPTION, Kind.PARTIAL_REDEMPTION}),
    InstrumentKind.FLOATING_RATE_NOTE: frozenset({Kind.REDEMPTION}),
    InstrumentKind.EQUITY_SHARE: frozenset({Kind.DIVIDEND, Kind.SPLIT, Kind.REVERSE_SPLIT}),
    InstrumentKind.FUND_UNIT: frozenset({Kind.DIVIDEND, Kind.SPLIT, Kind.REVERSE_SPLIT}),
}


# -- pure computation ---------------------------------------------------------------------
def get_minor_unit(currency: str) -> Decimal:
    """The smallest amount of ``currency`` (ISO 4217 exponent, from ``iso4217``): 0.01 for
    EUR and USD, 1 for JPY. ``InvalidInput`` for an unknown code."""
    try:
        exponent = iso4217.Currency(currency).exponent
    except ValueError as exc:
        raise InvalidInput(f"{currency} is not an ISO 4217 currency.", code="invalid_currency") from exc
    return Decimal(1).scaleb(-(exponent or 0))


def get_withholding_rate(country: str) -> Decimal:
    """Withholding tax in percent for a holder in ``country`` (ISO 3166-1 alpha-2, "" when
    the holder has no jurisdiction claim): ``GLOAM_WITHHOLDING_RATES[country]``, else
    ``GLOAM_WITHHOLDING_DEFAULT_PERCENT``."""
    rates: dict[str, Any] = settings.GLOAM_WITHHOLDING_RATES
    rate = rates.get(country, settings.GLOAM_WITHHOLDING_DEFAULT_PERCENT) if country else None
    return Decimal(str(settings.GLOAM_WITHHOLDING_DEFAULT_PERCENT if rate is None else rate))


@dataclass(frozen=True)
class HolderPosition:
    holder: str
    """The 49-byte Address, hex."""
    units: int
    position: Decimal
    """In the issue-size unit (token units × the token unit)."""
    country: str = ""
    """ISO 3166-1 alpha-2 of the holder's jurisdiction claim, "" if none."""


@dataclass(frozen=True)
class EntitlementAmounts:
    holder: str
    units: int
    position: Decimal
    gross: Decimal
    country: str
    withholding_rate: Decimal
    withheld: Decimal
    net: Decimal


@dataclass(frozen=True)
class EntitlementSheet:
    rows: list[EntitlementAmounts]
    declared_total: Decimal
    """Σ position × amount per unit, exact (not rounded)."""
    paid_total: Decimal
    """Σ gross (what leaves the issuer: net to holders plus what it withholds)."""
    withheld_total: Decimal
    net_total: Decimal
    remainder: Decimal
    """declared_total − paid_total: the rounding remainder, kept by the issuer (≥ 0)."""


def compute_entitlements(
    *,
    positions: Iterable[HolderPosition],
    amount_per_unit: Decimal,
    taxable_per_unit: Decimal,
    currency: str,
    rate_of: Callable[[str], Decimal] = get_withholding_rate,
) -> EntitlementSheet:
    """Entitlements for ``positions`` (docs/corporate-actions.md, Rounding).

    gross = position × ``amount_per_unit`` rounded down to the minor unit; the taxable part
    is position × ``taxable_per_unit`` (the coupon or dividend; not the principal of a
    redemption) rounded down, at most the gross; withheld = taxable × rate / 100 rounded half
    up to the minor unit; net = gross − withheld. ``InvalidInput`` for a non-positive amount.
    """
    if not amount_per_unit.is_finite() or amount_per_unit <= 0:
        raise InvalidInput("The amount per unit must be positive.", code="invalid_amount")
    minor = get_minor_unit(currency)
    rows: list[EntitlementAmounts] = []
    declared = Decimal(0)
    for p in positions:
        exact = p.position * amount_per_unit
        declared += exact
        gross = exact.quantize(minor, rounding=ROUND_DOWN)
        taxable = min(gross, (p.position * taxable_per_unit).quantize(minor, rounding=ROUND_DOWN))
        rate = rate_of(p.country)
        withheld = (taxable * rate / 100).quantize(minor, rounding=ROUND_HALF_UP)
        rows.append(
            EntitlementAmounts(
                p.holder, p.units, p.position, gross, p.country, rate, withheld, gross - withheld
            )
        )
    paid = sum((r.gross for r in rows), Decimal(0))
    withheld_total = sum((r.withheld for r in rows), Decimal(0))
    return EntitlementSheet(rows, declared, paid, withheld_total, paid - withheld_total, declared - paid)


def compute_business_day(calendar: str, day: datetime.date, shift: int) -> datetime.date:
    """``day`` moved by ``shift`` business days of the ``calendar`` code (blank: the default,
    ``issuance.conventions.DEFAULT_CALENDAR``)."""
    moved = instrument_calendar(calendar).advance(ql.Date(day.day, day.month, day.year), shift, ql.Days)
    return datetime.date(moved.year(), moved.month(), moved.dayOfMonth())


def compute_record_and_ex_date(
    calendar: str, payment_date: datetime.date, record_date: datetime.date | None = None
) -> tuple[datetime.date, datetime.date]:
    """Record date = ``record_date`` if given, else payment date −
    ``GLOAM_RECORD_DATE_BUSINESS_DAYS`` business days; ex-date = record date −
    (``GLOAM_SETTLEMENT_CYCLE_DAYS`` − 1) business days, so that a trade on the ex-date
    settles after the record date (T+1: ex-date = record date)."""
    record = record_date or compute_business_day(
        calendar, payment_date, -settings.GLOAM_RECORD_DATE_BUSINESS_DAYS
    )
    ex = compute_business_day(calendar, record, -(settings.GLOAM_SETTLEMENT_CYCLE_DAYS - 1))
    return record, ex


def compute_per_unit_factor(instrument: Instrument) -> Decimal:
    """Schedule amounts are per 1 of face; per unit of issue size that is ×1 for an
    instrument sized in nominal, × face value for one sized in units."""
    return Decimal(1) if instrument.issue_size_unit == IssueSizeUnit.NOMINAL else instrument.face_value


# -- validation and writes ----------------------------------------------------------------
def _validate(
    *,
    instrument: Instrument,
    kind: str,
    record_date: datetime.date,
    payment_date: datetime.date,
    amount_per_unit: Decimal,
    today: datetime.date,
) -> None:
    if kind not in Kind.values:
        raise InvalidInput(f"Unknown corporate action kind {kind!r}.", code="invalid_kind")
    if kind not in KINDS_BY_INSTRUMENT.get(instrument.kind, frozenset()):
        raise InvalidInput(
            f"A {Kind(kind).label.lower()} does not apply to a {instrument.get_kind_display().lower()}.",
            code="kind_not_applicable",
        )
    if record_date > payment_date:
        raise InvalidInput("The record date must not be after the payment date.", code="record_after_payment")
    if payment_date < today:
        raise InvalidInput("The payment date is in the past.", code="payment_date_in_past")
    if not amount_per_unit.is_finite() or amount_per_unit <= 0:
        raise InvalidInput("The amount per unit must be positive.", code="invalid_amount")
    if instrument.status != InstrumentStatus.LIVE:
        raise ConflictError("Only a live instrument has corporate actions.", code="not_live")
    if instrument.currency not in settings.GLOAM_CASH_CURRENCIES:
        raise InvalidInput(f"The chain has no cash token in {instrument.currency}.", code="no_cash_token")
    duplicate = CorporateAction.objects.filter(
        instrument=instrument, kind=kind, payment_date=payment_date, status__in=LIVE_CORPORATE_ACTION_STATUSES
    )
    if duplicate.exists():
        raise ConflictError(
            f"{instrument.isin} already has a {Kind(kind).label.lower()} on {payment_date}.",
            code="duplicate_event",
        )


def _audit(
    actor: User | None, action: CorporateAction, verb: str, before: dict[str, Any] | None, **changes: Any
) -> None:
    audit_entry_create(
        actor=actor,
        action=f"corporate_action.{verb}",
        obj=action,
        organisation=action.instrument.issuer,
        changes=changes,
        before=before,
    )


def _snapshot(action: CorporateAction) -> dict[str, Any]:
    return {"status": action.status, "failure_reason": action.failure_reason}


def _coupon_period(instrument: Instrument, payment_date: datetime.date) -> Any:
    try:
        periods = compute_coupon_schedule(terms=instrument_coupon_terms(instrument=instrument))
    except ScheduleError as exc:
        raise InvalidInput(str(exc), code="no_schedule") from exc
    for period in periods:
        if period.payment_date == payment_date and period.amount is not None:
            return period
    raise InvalidInput(
        f"{instrument.isin} has no fixed coupon paid on {payment_date} in its schedule.",
        code="not_a_coupon_date",
    )


@transaction.atomic
def corporate_action_create(
    *,
    actor: User | None,
    instrument_id: uuid.UUID,
    kind: str,
    payment_date: datetime.date,
    record_date: datetime.date | None = None,
    ex_date: datetime.date | None = None,
    amount_per_unit: Decimal | None = None,
    redemption_price: Decimal = Decimal(100),
    call_fraction: Decimal | None = None,
    split_ratio: tuple[int, int] | None = None,
    today: datetime.date | None = None,
    source: str = "manual",
) -> CorporateAction:
    """Propose an event (status ``draft``). ``actor`` None is the beat (from the schedule).

    - coupon: ``payment_date`` must be an (adjusted) payment date of the bond's QuantLib
      schedule; the amount per unit comes from it (``amount_per_unit`` is ignored).
    - dividend: ``amount_per_unit`` is the declared amount per share or unit.
    - redemption: at the maturity's adjusted payment date; principal at
      ``redemption_price`` percent of face plus the last coupon, if any.
    - partial_redemption (a call of part of the issue, pro rata): ``call_fraction`` of each
      holding (0 < f < 1; rounded down to whole token units per holder) is redeemed at
      ``redemption_price`` percent of face plus the interest accrued to the payment date
      (QuantLib), before maturity.
    - split, reverse_split: ``split_ratio`` (new units, old units), e.g. (3, 2) for a 3-for-2
      split, (1, 10) for a 1-for-10 reverse split; ``amount_per_unit`` is the declared price
      per new unit at which each holder's fraction of a new unit is paid in cash. The token
      splits on chain on the record date (``split``: record checkpoint and new balances in
      one transaction); the fractions are paid on the payment date.

    Record and ex-date default to :func:`compute_record_and_ex_date`. Raises
    ``InvalidInput`` (record date after payment date, payment date past, non-positive
    amount, a dividend on a bond or a coupon on a share, not a coupon date, ``invalid_ratio``
    for a split ratio with a zero term, of 1, or in the wrong direction for the kind),
    ``ConflictError`` (``duplicate_event``, ``not_live``), ``PermissionDeniedError``; nothing
    is written then."""
    today = today or get_business_date()
    if actor is not None:
        instrument_get(user=actor, instrument_id=instrument_id)
    instrument = Instrument.objects.select_for_update().select_related("issuer").get(pk=instrument_id)
    if actor is not None:
        check_issuer_role(
            actor=actor, instrument=instrument, role=Role.ISSUER_ADMIN, action="declare events of"
        )
    if kind not in Kind.values:
        raise InvalidInput(f"Unknown corporate action kind {kind!r}.", code="invalid_kind")
    if kind not in KINDS_BY_INSTRUMENT.get(instrument.kind, frozenset()):
        raise InvalidInput(
            f"A {Kind(kind).label.lower()} does not apply to a {instrument.get_kind_display().lower()}.",
            code="kind_not_applicable",
        )
    accrual_start = accrual_end = None
    principal = Decimal(0)
    if kind == Kind.COUPON:
        period = _coupon_period(instrument, payment_date)
        amount_per_unit = period.amount * compute_per_unit_factor(instrument)
        accrual_start, accrual_end = period.accrual_start, period.accrual_end
    elif kind == Kind.REDEMPTION:
        if not redemption_price.is_finite() or redemption_price <= 0:
            raise InvalidInput("The redemption price must be positive.", code="invalid_amount")
        principal = redemption_price / 100 * compute_per_unit_factor(instrument)
        last_coupon = Decimal(0)
        if instrument.kind == InstrumentKind.FIXED_RATE_BOND and instrument.coupon_rate:
            period = _coupon_period(instrument, payment_date)
            last_coupon = period.amount * compute_per_unit_factor(instrument)
            accrual_start, accrual_end = period.accrual_start, period.accrual_end
        elif (
            instrument.maturity_date is None
            or compute_business_day(instrument.calendar, instrument.maturity_date, 0) != payment_date
        ):
            raise InvalidInput("A redemption is paid at maturity.", code="not_maturity")
        amount_per_unit = principal + last_coupon
    elif kind == Kind.PARTIAL_REDEMPTION:
        amount_per_unit, principal = _call_amount(instrument, payment_date, redemption_price, call_fraction)
    elif kind in SPLIT_KINDS:
        _check_split_ratio(kind, split_ratio)
        principal = amount_per_unit if amount_per_unit is not None else Decimal(0)
    if amount_per_unit is None:
        raise InvalidInput("Give the amount per unit.", code="invalid_amount")
    record_date, default_ex = compute_record_and_ex_date(instrument.calendar, payment_date, record_date)
    ex_date = ex_date or default_ex
    _validate(
        instrument=instrument,
        kind=kind,
        record_date=record_date,
        payment_date=payment_date,
        amount_per_unit=amount_per_unit,
        today=today,
    )
    if ex_date > record_date:
        raise InvalidInput("The ex-date must not be after the record date.", code="ex_after_record")
    action = CorporateAction.objects.create(
        instrument=instrument,
        kind=kind,
        source=source,
        record_date=record_date,
        ex_date=ex_date,
        payment_date=payment_date,
        accrual_start=accrual_start,
        accrual_end=accrual_end,
        amount_per_unit=amount_per_unit,
        principal_per_unit=principal,
        call_fraction=call_fraction if kind == Kind.PARTIAL_REDEMPTION else None,
        split_numerator=split_ratio[0] if split_ratio and kind in SPLIT_KINDS else None,
        split_denominator=split_ratio[1] if split_ratio and kind in SPLIT_KINDS else None,
        proposed_by=actor,
    )
    _audit(
        actor,
        action,
        "create",
        None,
        instrument=instrument.isin,
        kind=kind,
        record_date=str(record_date),
        ex_date=str(ex_date),
        payment_date=str(payment_date),
        amount_per_unit=str(amount_per_unit),
        source=source,
        **(
            {"split_ratio": f"{split_ratio[0]}:{split_ratio[1]}"}
            if split_ratio and kind in SPLIT_KINDS
            else {}
        ),
    )
    return action


def _check_split_ratio(kind: str, ratio: tuple[int, int] | None) -> None:
    """A split takes more new units than old (n > d), a reverse split fewer (n < d); both
    terms are whole numbers from 1 to ``MAX_SPLIT_TERM`` (2^31 − 1)."""
    if ratio is None or len(ratio) != 2:
        raise InvalidInput("Give the split ratio: new units for old units.", code="invalid_ratio")
    numerator, denominator = ratio
    if any(not isinstance(t, int) or isinstance(t, bool) or not 1 <= t <= MAX_SPLIT_TERM for t in ratio):
        raise InvalidInput(
            "Both terms of the split ratio must be whole numbers above zero.", code="invalid_ratio"
        )
    if kind == Kind.SPLIT and numerator <= denominator:
        raise InvalidInput(
            "A stock split gives more new units than old ones (e.g. 2 for 1); "
            "for fewer, declare a reverse split.",
            code="invalid_ratio",
        )
    if kind == Kind.REVERSE_SPLIT and numerator >= denominator:
        raise InvalidInput(
            "A reverse split gives fewer new units than old ones (e.g. 1 for 10).", code="invalid_ratio"
        )


def _call_amount(
    instrument: Instrument, payment_date: datetime.date, price: Decimal, fraction: Decimal | None
) -> tuple[Decimal, Decimal]:
    """(amount, principal) per unit called: ``price`` percent of face plus the interest
    accrued to ``payment_date`` (QuantLib, ``compute_accrued_interest``)."""
    if fraction is None or not fraction.is_finite() or not Decimal(0) < fraction < Decimal(1):
        raise InvalidInput("The call fraction must be above 0 and below 1.", code="invalid_fraction")
    if not price.is_finite() or price <= 0:
        raise InvalidInput("The redemption price must be positive.", code="invalid_amount")
    if instrument.maturity_date is None or payment_date >= instrument.maturity_date:
        raise InvalidInput(
            "A call is paid before maturity; at maturity use a redemption.", code="not_before_maturity"
        )
    factor = compute_per_unit_factor(instrument)
    try:
        accrued = compute_accrued_interest(
            terms=instrument_coupon_terms(instrument=instrument),
            settlement_date=payment_date,
            quantity=Decimal(1),
        )
    except ScheduleError as exc:
        raise InvalidInput(str(exc), code="no_schedule") from exc
    principal = price / 100 * factor
    return principal + accrued / instrument.face_value * factor, principal


def _locked(*, actor: User, action_id: uuid.UUID) -> CorporateAction:
    from corporate_actions.selectors import corporate_action_get

    corporate_action_get(user=actor, action_id=action_id)
    return CorporateAction.objects.select_for_update().select_related("instrument__issuer").get(pk=action_id)


def _transition(action: CorporateAction, allowed: Iterable[str], new: str) -> None:
    if action.status not in allowed:
        raise ConflictError(
            f"An event that is {Status(action.status).label.lower()} "
            f"cannot become {Status(new).label.lower()}.",
            code="invalid_transition",
        )


@transaction.atomic
def corporate_action_submit(*, actor: User, action_id: uuid.UUID) -> CorporateAction:
    """An issuer admin submits a draft for approval (``pending_approval``)."""
    action = _locked(actor=actor, action_id=action_id)
    check_issuer_role(
        actor=actor, instrument=action.instrument, role=Role.ISSUER_ADMIN, action="submit events of"
    )
    _transition(action, [Status.DRAFT], Status.PENDING_APPROVAL)
    before = _snapshot(action)
    action.status = Status.PENDING_APPROVAL
    if action.proposed_by is None:
        action.proposed_by = actor  # a scheduled proposal: the submitter is its maker
    action.save(update_fields=["status", "proposed_by", "updated_at"])
    _audit(actor, action, "submit", before, status=action.status)
    return action


@transaction.atomic
def corporate_action_approve(
    *, actor: User, action_id: uuid.UUID, today: datetime.date | None = None
) -> CorporateAction:
    """An issuer approver other than the proposer approves (maker-checker). Raises
    ``PermissionDeniedError`` (``maker_cannot_approve``) for the proposer, ``ConflictError``
    (``invalid_transition``) for an event not pending approval (e.g. approved already) and
    ``InvalidInput`` (``record_date_passed``) if the record date has passed."""
    action = _locked(actor=actor, action_id=action_id)
    check_issuer_role(
        actor=actor, instrument=action.instrument, role=Role.ISSUER_APPROVER, action="approve events of"
    )
    if action.proposed_by_id == actor.pk:
        raise PermissionDeniedError(
            "The proposer cannot also approve the event.", code="maker_cannot_approve"
        )
    _transition(action, [Status.PENDING_APPROVAL], Status.APPROVED)
    if action.record_date < (today or get_business_date()):
        raise InvalidInput("The record date has passed; propose the event again.", code="record_date_passed")
    before = _snapshot(action)
    action.status, action.approved_by = Status.APPROVED, actor
    action.save(update_fields=["status", "approved_by", "updated_at"])
    _audit(actor, action, "approve", before, status=action.status)
    return action


@transaction.atomic
def corporate_action_cancel(*, actor: User, action_id: uuid.UUID) -> CorporateAction:
    """An issuer admin cancels an event before its record checkpoint is requested."""
    action = _locked(actor=actor, action_id=action_id)
    check_issuer_role(
        actor=actor, instrument=action.instrument, role=Role.ISSUER_ADMIN, action="cancel events of"
    )
    _transition(action, [Status.DRAFT, Status.PENDING_APPROVAL, Status.APPROVED], Status.CANCELLED)
    before = _snapshot(action)
    action.status = Status.CANCELLED
    action.save(update_fields=["status", "updated_at"])
    _audit(actor, action, "cancel", before, status=action.status)
    return action


def _fail(action: CorporateAction, reason: str) -> None:
    before = _snapshot(action)
    action.status, action.failure_reason = Status.FAILED, reason[:300]
    action.save(update_fields=["status", "failure_reason", "updated_at"])
    _audit(None, action, "failed", before, status=action.status, reason=action.failure_reason)


# -- scheduling (beat) --------------------------------------------------------------------
logger = logging.getLogger(__name__)


@dataclass
class BeatStep:
    """One instrument's or one event's step of the beat (``beat_step``)."""

    failed: bool = False
    #: Set by the step when it did not run (no node now, a concurrent beat did it): the
    #: error recorded before, if any, stays.
    skipped: bool = False


@contextlib.contextmanager
def beat_step(obj: Instrument | CorporateAction, step: str) -> Iterator[BeatStep]:
    """Run one instrument's or event's step of the beat in its own savepoint, so that one bad
    instrument or event does not stop the others: an ``Exception`` rolls the step back, is
    logged with its traceback and recorded on the object (``beat_error``, ``beat_error_at``),
    and the beat goes on; a step that succeeds clears the error recorded before."""
    outcome = BeatStep()
    model: type[Model] = type(obj)
    try:
        with transaction.atomic():
            yield outcome
            if not outcome.skipped:
                model._default_manager.filter(pk=obj.pk).exclude(beat_error="").update(
                    beat_error="", beat_error_at=None
                )
    except Exception as exc:
        outcome.failed = True
        logger.exception("corporate actions beat: %s of %s %s failed", step, model.__name__, obj.pk)
        message = f"{step}: {type(exc).__name__}: {exc}"[:300]
        model._default_manager.filter(pk=obj.pk).update(beat_error=message, beat_error_at=timezone.now())


def _propose_bond(bond: Instrument, today: datetime.date, horizon: datetime.date) -> int:
    """The beat's proposals of one bond (``corporate_actions_propose``)."""
    try:
        periods = compute_coupon_schedule(terms=instrument_coupon_terms(instrument=bond))
    except (ScheduleError, InvalidInput):
        return 0
    created = 0
    for index, period in enumerate(periods):
        if not (today <= period.payment_date <= horizon):
            continue
        kind = Kind.REDEMPTION if index == len(periods) - 1 else Kind.COUPON
        if compute_record_and_ex_date(bond.calendar, period.payment_date)[0] < today:
            continue
        if CorporateAction.objects.filter(
            instrument=bond,
            kind=kind,
            payment_date=period.payment_date,
            status__in=LIVE_CORPORATE_ACTION_STATUSES,
        ).exists():
            continue
        corporate_action_create(
            actor=None,
            instrument_id=bond.pk,
            kind=kind,
            payment_date=period.payment_date,
            today=today,
            source="schedule",
        )
        created += 1
    return created


def corporate_actions_propose(
    *, today: datetime.date | None = None, horizon_days: int | None = None, failures: list[str] | None = None
) -> int:
    """Beat: propose (``draft``, source ``schedule``) every coupon, and the redemption at
    maturity, of each live fixed-rate bond whose payment date falls within the horizon
    (``GLOAM_CORPORATE_ACTION_HORIZON_DAYS``) and whose record date has not passed.
    Idempotent: a date that already has a live event is skipped. Each bond in its own
    savepoint (``beat_step``): a bond that fails records its error and the others go on; its
    id is appended to ``failures``. Returns the number created."""
    today = today or get_business_date()
    horizon = today + datetime.timedelta(days=horizon_days or settings.GLOAM_CORPORATE_ACTION_HORIZON_DAYS)
    created = 0
    bonds = Instrument.objects.filter(
        status=InstrumentStatus.LIVE, is_reference_data=False, kind=InstrumentKind.FIXED_RATE_BOND
    )
    for bond in bonds:
        with beat_step(bond, "propose") as step:
            created += _propose_bond(bond, today, horizon)
        if step.failed and failures is not None:
            failures.append(str(bond.pk))
    return created


@transaction.atomic
def corporate_action_record(
    *, action_id: uuid.UUID, today: datetime.date | None = None
) -> ChainSubmission | None:
    """On the record date (the first beat of that business date: before its settlements, see
    docs/corporate-actions.md), ask the token for the record checkpoint through the outbox
    (``recording``); for a split, the token's ``split``, which takes the record
    checkpoint and sets the new balances in the same transaction; for a redemption at
    maturity, the token's ``pause`` first (the issue stops trading at its record date). None
    if the event is not approved or its record date is ahead."""
    action = (
        CorporateAction.objects.select_for_update().select_related("instrument__issuer").get(pk=action_id)
    )
    if action.status != Status.APPROVED or action.record_date > (today or get_business_date()):
        return None
    splits = action.kind in SPLIT_KINDS
    if splits and get_settlement_hooks().instructions_in_a_cycle(instrument_id=action.instrument_id):
        waiting = (
            "waiting: a netting cycle is settling instructions of this instrument (in units "
            "before the split); the split follows when it ends"
        )
        if action.plan.get("waiting") != waiting:
            action.plan = {**action.plan, "waiting": waiting}
            action.save(update_fields=["plan", "updated_at"])
        return None
    if splits:
        fractions = _fraction_holders_now(action)
        if fractions > MAX_HOLDERS:
            _fail(
                action,
                f"too_many_holders: {fractions} holders would have a fraction to pay; one atomic batch "
                f"pays at most {MAX_HOLDERS}; nothing split",
            )
            return None
        _cancel_open_instructions(action)
    if action.kind == Kind.REDEMPTION:
        # A maturing issue stops trading at its record date: the holders of record are then
        # the holders whose tokens are redeemed after the payment.
        chain_call_enqueue(
            organisation=action.instrument.issuer,
            kind=KIND_PAUSE,
            contract=action.instrument.contract_id,
            fn_name="pause",
            fn_args=b"",
            subject=action,
        )
    submission = chain_call_enqueue(
        organisation=action.instrument.issuer,
        kind=KIND_CHECKPOINT,
        contract=action.instrument.contract_id,
        fn_name="split" if splits else "checkpoint",
        fn_args=(
            contract_abi.encode_split(action.split_numerator or 0, action.split_denominator or 0)
            if splits
            else b""
        ),
        subject=action,
    )
    before = _snapshot(action)
    action.status = Status.RECORDING
    action.plan = {
        **{k: v for k, v in action.plan.items() if k != "waiting"},
        "checkpoint": str(submission.pk),
    }
    action.save(update_fields=["status", "plan", "updated_at"])
    _audit(None, action, "record_requested", before, status=action.status, submission=str(submission.pk))
    return submission


def _fraction_holders_now(action: CorporateAction) -> int:
    """How many holders (the issuer's account aside) the split would leave a fraction of a
    unit, by the latest Final holdings (the indexer's): checked before the split, which cannot
    be undone, so that its fractions can be paid in one batch."""
    issuer = ChainAccount.objects.filter(organisation=action.instrument.issuer).first()
    issuer_hex = None if issuer is None else issuer.address.hex()
    n, d = action.split_numerator or 1, action.split_denominator or 1
    balances = token_holdings_final(contract_id=action.instrument.contract_id)
    return sum(1 for holder, units in balances if holder != issuer_hex and units * n % d)


def _cancel_open_instructions(action: CorporateAction) -> int:
    """Cancel the open settlement instructions of a splitting instrument that are in no
    netting cycle (their quantities are in units before the split), each with the reason and
    the broker's event and webhook (settlement's ``open_instructions_cancel``): the brokers
    re-instruct in units after the split (as CSDs transform pending transactions by
    cancelling and replacing them). Netting leaves the instrument alone while its split is
    ``recording`` (``settlement.netting``)."""
    reason = (
        f"cancelled by the {action.split_numerator}-for-{action.split_denominator} "
        f"{Kind(action.kind).label.lower()} of {action.instrument.isin} (record date {action.record_date}): "
        "re-instruct in units after the split"
    )
    count = get_settlement_hooks().open_instructions_cancel(instrument_id=action.instrument_id, reason=reason)
    if count:
        _audit(None, action, "instructions_cancelled", None, instructions=count, reason=reason)
    return count


def _action_of(submission: ChainSubmission, *statuses: str) -> CorporateAction | None:
    action = (
        CorporateAction.objects.select_for_update(of=("self",))
        .select_related("instrument__issuer")
        .filter(pk=submission.subject_id)
        .first()
    )
    return action if action is not None and action.status in statuses else None


def on_record_checkpoint(submission: ChainSubmission) -> None:
    """Outcome handler: the checkpoint's block is Final; record it (also as an
    ``InstrumentCheckpoint``) and mark the event ``recorded``."""
    action = _action_of(submission, Status.RECORDING)
    if action is None:
        return
    checkpoint = checkpoint_record(instrument_id=action.instrument_id, submission=submission)
    if checkpoint is None:
        _fail(action, f"record checkpoint failed: {submission.error or 'no checkpoint event'}")
        return
    if action.kind in SPLIT_KINDS:
        _cancel_open_instructions(action)  # those entered while the split was on its way
        _rescale_issue_size(action)
    number = checkpoint.number
    before = _snapshot(action)
    action.status, action.checkpoint_number, action.checkpoint_height, action.checkpoint_tx_index = (
        Status.RECORDED,
        number,
        submission.block_height,
        submission.tx_index,
    )
    action.save(
        update_fields=[
            "status",
            "checkpoint_number",
            "checkpoint_height",
            "checkpoint_tx_index",
            "updated_at",
        ]
    )
    _audit(
        None,
        action,
        "recorded",
        before,
        status=action.status,
        checkpoint=number,
        height=submission.block_height,
    )


def _rescale_issue_size(action: CorporateAction) -> None:
    """After a split is Final, the instrument's issue size in units after it (× n / d, to the
    field's 6 places, rounded down), audited on the instrument."""
    instrument = Instrument.objects.select_for_update().get(pk=action.instrument_id)
    before = instrument.issue_size
    instrument.issue_size = (
        before * (action.split_numerator or 1) / (action.split_denominator or 1)
    ).quantize(Decimal("0.000001"), rounding=ROUND_DOWN)
    instrument.save(update_fields=["issue_size", "updated_at"])
    audit_entry_create(
        actor=None,
        action="instrument.split",
        obj=instrument,
        organisation=instrument.issuer,
        before={"issue_size": str(before)},
        changes={"issue_size": str(instrument.issue_size), "event": str(action.pk)},
    )


def _holdings_at(contract_id: str, number: int) -> list[tuple[str, int]]:
    with get_node_client() as client:
        return [(h.holder.hex(), h.balance) for h in client.get_holders_at(contract_id, number)]


def _country(claims: Sequence[contract_abi.Claim]) -> str:
    for claim in claims:
        if claim.topic == contract_abi.ClaimTopic.JURISDICTION:
            return claim.value.to_bytes(2, "little").decode("ascii", errors="replace")
    return ""


def compute_action_positions(
    action: CorporateAction, holdings: Sequence[tuple[str, int]]
) -> list[HolderPosition]:
    """Positions of ``holdings`` (hex Address, token units) without the issuer's own
    (treasury) holding, with each holder's jurisdiction claim read from the chain."""
    instrument = action.instrument
    issuer_account = ChainAccount.objects.filter(organisation=instrument.issuer).first()
    issuer = "" if issuer_account is None else issuer_account.address.hex()
    kept = [(holder, units) for holder, units in holdings if holder != issuer and units > 0]
    claims = get_claims_on_chain([bytes.fromhex(holder) for holder, _ in kept]) if kept else {}
    return [
        HolderPosition(
            holder, units, units * instrument.token_unit, _country(claims.get(bytes.fromhex(holder), []))
        )
        for holder, units in kept
    ]


def compute_called_positions(
    action: CorporateAction, positions: list[HolderPosition]
) -> list[HolderPosition]:
    """For a partial redemption, each holding's called part: floor(units × call fraction)
    token units (holders with none called are left out); other kinds: ``positions``."""
    if action.kind != Kind.PARTIAL_REDEMPTION or action.call_fraction is None:
        return positions
    called = []
    for p in positions:
        units = int((p.units * action.call_fraction).to_integral_value(rounding=ROUND_DOWN))
        if units > 0:
            called.append(HolderPosition(p.holder, units, units * action.instrument.token_unit, p.country))
    return called


def compute_units_after_split(units: int, numerator: int, denominator: int) -> tuple[int, Decimal]:
    """(whole units, fraction of a unit) after a ``numerator``-for-``denominator`` split of
    ``units``: the token's ``split`` keeps ⌊units × n / d⌋ (docs/contracts.md); the fraction,
    below 1, is paid in cash."""
    whole, rest = divmod(units * numerator, denominator)
    return whole, Decimal(rest) / Decimal(denominator)


def compute_fraction_positions(
    action: CorporateAction, positions: list[HolderPosition]
) -> list[HolderPosition]:
    """For a split, each holding's fraction of a new unit in the issue-size unit (what is paid
    in cash); the holders with no fraction stay, with position 0."""
    n, d = action.split_numerator or 1, action.split_denominator or 1
    return [
        HolderPosition(
            p.holder,
            p.units,
            compute_units_after_split(p.units, n, d)[1] * action.instrument.token_unit,
            p.country,
        )
        for p in positions
    ]


def compute_action_sheet(action: CorporateAction, positions: list[HolderPosition]) -> EntitlementSheet:
    """The entitlements of ``action`` for ``positions`` (``compute_entitlements``; the called
    part for a partial redemption; only interest is taxable). For a split, the cash for each
    holder's fraction of a new unit at the declared price (not taxed); each row's
    ``position`` is then the holding at the record date again."""
    if action.kind in SPLIT_KINDS:
        sheet = compute_entitlements(
            positions=compute_fraction_positions(action, positions),
            amount_per_unit=action.amount_per_unit,
            taxable_per_unit=Decimal(0),
            currency=action.instrument.currency,
        )
        whole = {p.holder: p.position for p in positions}
        return dataclasses.replace(
            sheet, rows=[dataclasses.replace(r, position=whole[r.holder]) for r in sheet.rows]
        )
    taxable = action.amount_per_unit - action.principal_per_unit
    return compute_entitlements(
        positions=compute_called_positions(action, positions),
        amount_per_unit=action.amount_per_unit,
        taxable_per_unit=taxable,
        currency=action.instrument.currency,
    )


@transaction.atomic
def corporate_action_entitlements_compute(*, action_id: uuid.UUID) -> CorporateAction:
    """From the Final record checkpoint (``holders_at``), write one ``Entitlement`` per
    holder and the totals (``entitled``). More than ``MAX_HOLDERS`` holders fails the event
    (``too_many_holders``). Raises ``ChainUnavailable`` if no node answers (nothing written;
    the beat tries again)."""
    action = (
        CorporateAction.objects.select_for_update().select_related("instrument__issuer").get(pk=action_id)
    )
    if action.status != Status.RECORDED or action.checkpoint_number is None:
        raise ConflictError("The record checkpoint is not Final yet.", code="not_recorded")
    try:
        holdings = _holdings_at(action.instrument.contract_id, action.checkpoint_number)
    except RpcError as exc:
        raise ChainUnavailable(f"holders_at cannot be read: {exc}") from exc
    positions = compute_action_positions(action, holdings)
    sheet = compute_action_sheet(action, positions)
    payees = sum(1 for row in sheet.rows if row.net > 0)
    if payees > MAX_HOLDERS:
        _fail(
            action, f"too_many_holders: {payees} holders to pay; one atomic batch pays at most {MAX_HOLDERS}"
        )
        return action
    owners = chain_account_owners(p.holder for p in positions)
    for row in sheet.rows:
        owner = owners.get(row.holder)
        name, kind = chain_account_owner_name(owner)
        Entitlement.objects.create(
            action=action,
            holder=row.holder,
            holder_name=name,
            holder_kind=kind,
            organisation=None if owner is None else owner.organisation,
            client_account=None if owner is None else owner.client_account,
            units=row.units,
            position=row.position,
            gross=row.gross,
            withholding_country=row.country,
            withholding_rate=row.withholding_rate,
            withheld=row.withheld,
            net=row.net,
            redeem_units=row.units if action.kind in REDEEMING_KINDS else 0,
            units_after=(
                compute_units_after_split(
                    row.units, action.split_numerator or 1, action.split_denominator or 1
                )[0]
                if action.kind in SPLIT_KINDS
                else None
            ),
        )
    before = _snapshot(action)
    action.status = Status.ENTITLED
    action.declared_total, action.paid_total, action.withheld_total, action.remainder = (
        sheet.declared_total,
        sheet.paid_total,
        sheet.withheld_total,
        sheet.remainder,
    )
    action.save()
    _audit(
        None,
        action,
        "entitled",
        before,
        status=action.status,
        holders=len(sheet.rows),
        declared_total=str(sheet.declared_total),
        paid_total=str(sheet.paid_total),
        withheld_total=str(sheet.withheld_total),
        remainder=str(sheet.remainder),
    )
    return action


# -- payment on chain ---------------------------------------------------------------------
def get_cash_token(instrument: Instrument) -> str:
    """The contract id (0x hex) of the chain's cash token in the instrument's currency;
    ``InvalidInput`` (``no_cash_token``) if the chain has none."""
    tokens = get_cash_tokens()
    if instrument.currency not in tokens:
        raise InvalidInput(f"The chain has no cash token in {instrument.currency}.", code="no_cash_token")
    return tokens[instrument.currency]


def compute_minor_units(amount: Decimal, currency: str) -> int:
    """``amount`` of ``currency`` in its minor unit (cents for EUR), as the cash token counts;
    truncated toward zero (amounts here are already rounded to the minor unit)."""
    return int(amount / get_minor_unit(currency))


@transaction.atomic
def corporate_action_pay(
    *, action_id: uuid.UUID, today: datetime.date | None = None
) -> CorporateAction | None:
    """On or after the payment date, pay an ``entitled`` event from the issuer's account as
    one DvP batch (``ledger.dvp``: the issuer's standing cash approval if it lacks one, DvP
    instructions of cash legs issuer → holder created, affirmed and settled by the issuer in
    one ``settle_batch``; ``paying``). None if not due. An event with nothing to pay is
    ``paid`` at once."""
    action = (
        CorporateAction.objects.select_for_update().select_related("instrument__issuer").get(pk=action_id)
    )
    today = today or get_business_date()
    if action.status != Status.ENTITLED or action.payment_date > today:
        return None
    if action.plan.get("retry_on") and datetime.date.fromisoformat(action.plan["retry_on"]) > today:
        return None
    instrument = action.instrument
    entitlements = [e for e in action.entitlements.order_by("-units", "holder") if e.net > 0]
    before = _snapshot(action)
    if not entitlements:
        action.status = Status.PAID
        action.save(update_fields=["status", "updated_at"])
        _audit(None, action, "paid", before, status=action.status, holders=0)
        _start_redemption(action)
        return action
    cash = bytes.fromhex(get_cash_token(instrument).removeprefix("0x"))
    issuer = instrument.issuer
    issuer_address = ChainAccount.objects.get(organisation=issuer).address
    net_total = sum((e.net for e in entitlements), Decimal(0))
    legs = [
        contract_abi.Leg(
            cash, issuer_address, bytes.fromhex(e.holder), compute_minor_units(e.net, instrument.currency)
        )
        for e in entitlements
    ]
    action.plan = {**action.plan, "paying_on": str(today)}
    creates = dvp_batch_start(flow=PAYMENT_FLOW, subject=action, creator=issuer, legs=legs)
    action.status = Status.PAYING
    action.save(update_fields=["status", "plan", "updated_at"])
    _audit(
        None,
        action,
        "paying",
        before,
        status=action.status,
        instructions=len(creates),
        net_total=str(net_total),
    )
    return action


def _paying_action(submission: ChainSubmission) -> CorporateAction | None:
    """The paying event of a payment's submission, its plan in the DvP service's keys (an
    event that started paying before ``ledger.dvp`` named its ``create`` submissions
    ``creates``: ``{"submission", "holders", "id"}``)."""
    action = _action_of(submission, Status.PAYING)
    if action is not None and "instructions" not in action.plan and "creates" in action.plan:
        action.plan["instructions"] = [
            {"create": entry["submission"], "id": entry["id"]} for entry in action.plan["creates"]
        ]
    return action


def on_payment_instructed(action: CorporateAction, created: Sequence[contract_abi.DvpCreated]) -> None:
    """Every DvP instruction of the payment exists: each entitlement records its instruction."""
    for instruction in created:
        Entitlement.objects.filter(
            action=action, holder__in=[leg.receiver.hex() for leg in instruction.legs]
        ).update(instruction_id=instruction.instruction_id)


def on_payment_outcome(action: CorporateAction, outcome: DvpOutcome) -> None:
    """The payment's batch is Final: ``paid`` (then a redemption redeems), or failed with the
    reason and nothing paid (``insufficient_balance``: the issuer's cash does not cover it)."""
    if isinstance(outcome, DvpLegFailed):
        _payment_failed(
            action,
            f"{outcome.code.code}: the issuer's cash does not cover the payment"
            if outcome.code == contract_abi.TransferCode.INSUFFICIENT_BALANCE
            else f"{outcome.code.code} (instruction {outcome.instruction_id}, leg {outcome.leg_index})",
        )
        return
    if isinstance(outcome, DvpFailed):
        failure = {"create": "DvP instruction not created", "affirm": "affirmation failed"}
        _payment_failed(action, f"{failure.get(outcome.step, 'settlement failed')}: {outcome.error}")
        return
    before = _snapshot(action)
    action.status, action.paid_height, action.failure_reason = Status.PAID, outcome.height, ""
    action.save(update_fields=["status", "paid_height", "failure_reason", "updated_at"])
    _audit(None, action, "paid", before, status=action.status, height=outcome.height)
    _start_redemption(action)


def _payment_failed(action: CorporateAction, reason: str) -> None:
    """The payment moved nothing (``reason``). A cash event fails for good (``failed``, the
    issuer may propose it again). A split stands on chain already, so its fractions are owed:
    the event goes back to ``entitled`` with the reason and is paid again from the next day
    on (a new attempt; the earlier instructions can be settled by no one else, as only their
    creator settles, docs/contracts.md)."""
    if action.kind not in SPLIT_KINDS:
        _fail(action, f"{reason}; nothing paid")
        return
    attempted = action.plan.get("paying_on")
    retry_on = (
        datetime.date.fromisoformat(attempted) if attempted else get_business_date()
    ) + datetime.timedelta(days=1)
    before = _snapshot(action)
    action.status = Status.ENTITLED
    action.failure_reason = (
        f"{reason}; nothing paid; the split stands and its fractions are paid again from {retry_on}"[:300]
    )
    action.plan = {**action.plan, "retry_on": str(retry_on), "attempts": action.plan.get("attempts", 0) + 1}
    action.save(update_fields=["status", "failure_reason", "plan", "updated_at"])
    Entitlement.objects.filter(action=action).update(instruction_id=None)
    _audit(None, action, "payment_failed", before, status=action.status, reason=action.failure_reason)


def _start_redemption(action: CorporateAction) -> None:
    """After a redemption's payment is Final: redeem every holder's tokens (the issuer agent's
    ``redeem``, one call per holder, through the outbox). Not in the payment's transaction:
    DvP moves tokens only with each holder's affirmation (docs/corporate-actions.md)."""
    if action.kind not in REDEEMING_KINDS:
        return
    redeems = [
        chain_call_enqueue(
            organisation=action.instrument.issuer,
            kind=KIND_REDEEM,
            contract=action.instrument.contract_id,
            fn_name="redeem",
            fn_args=contract_abi.encode_address_amount(bytes.fromhex(e.holder), e.redeem_units),
            subject=action,
        )
        for e in action.entitlements.filter(redeem_units__gt=0)
    ]
    before = _snapshot(action)
    action.status = Status.REDEEMING if redeems else Status.REDEEMED
    action.plan = {**action.plan, "redeems": [str(r.pk) for r in redeems]}
    action.save(update_fields=["status", "plan", "updated_at"])
    _audit(None, action, "redeeming", before, status=action.status, holders=len(redeems))


def on_redeemed(submission: ChainSubmission) -> None:
    """Outcome handler of a ``redeem``: when every holder's redemption is Final the event is
    ``redeemed``; a failed one is recorded in ``failure_reason`` (the cash was paid)."""
    action = _action_of(submission, Status.REDEEMING)
    if action is None:
        return
    if not submission.succeeded:
        action.failure_reason = f"redeem failed: {submission.error}"[:300]
        action.save(update_fields=["failure_reason", "updated_at"])
        return
    ids = action.plan.get("redeems", [])
    done = ChainSubmission.objects.filter(pk__in=ids, status=ChainSubmission.Status.FINAL).count()
    if done >= len(ids):  # this one is saved Final before its handler runs
        before = _snapshot(action)
        action.status = Status.REDEEMED
        action.save(update_fields=["status", "updated_at"])
        _audit(None, action, "redeemed", before, status=action.status)


PAYMENT_FLOW = DvpFlow(
    kinds=DvpKinds(approve=KIND_CASH_APPROVE, create=KIND_CREATE, affirm=KIND_AFFIRM, settle=KIND_SETTLE),
    lock=_paying_action,
    on_outcome=on_payment_outcome,
    on_created=on_payment_instructed,
)
OUTCOME_HANDLERS: dict[str, Callable[[ChainSubmission], None]] = {
    KIND_CHECKPOINT: on_record_checkpoint,
    **PAYMENT_FLOW.outcome_handlers(),
    KIND_REDEEM: on_redeemed,
}


def corporate_actions_tick(*, today: datetime.date | None = None) -> dict[str, int]:
    """Beat: propose upcoming events, take due record checkpoints, compute entitlements of
    recorded events, pay due ones. Each instrument's proposals and each event's step run in
    their own savepoint (``beat_step``): one that fails is rolled back, logged, recorded on the
    instrument or event and counted in ``failed``, and the others go on. Returns counts per step."""
    today = today or get_business_date()
    failures: list[str] = []
    counts = {
        "proposed": corporate_actions_propose(today=today, failures=failures),
        "recording": 0,
        "entitled": 0,
        "paying": 0,
    }
    counts["failed"] = len(failures)
    for action in CorporateAction.objects.filter(status=Status.APPROVED, record_date__lte=today):
        with beat_step(action, "record") as step:
            counts["recording"] += corporate_action_record(action_id=action.pk, today=today) is not None
        counts["failed"] += step.failed
    for action in CorporateAction.objects.filter(status=Status.RECORDED):
        with beat_step(action, "entitlements") as step:
            try:
                corporate_action_entitlements_compute(action_id=action.pk)
                counts["entitled"] += 1
            except (ChainUnavailable, ConflictError):  # no node now, or a concurrent beat did it
                step.skipped = True
        counts["failed"] += step.failed
    for action in CorporateAction.objects.filter(status=Status.ENTITLED, payment_date__lte=today):
        with beat_step(action, "pay") as step:
            counts["paying"] += corporate_action_pay(action_id=action.pk, today=today) is not None
        counts["failed"] += step.failed
    return counts


def organisation_of(entitlement: Entitlement) -> Organisation | None:
    """The organisation that sees an entitlement: the investor, or the client's broker."""
    if entitlement.organisation is not None:
        return entitlement.organisation
    return None if entitlement.client_account is None else entitlement.client_account.broker
