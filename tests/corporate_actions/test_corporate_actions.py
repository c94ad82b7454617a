"""Corporate actions without a chain: validation (nothing written on bad input), rounding
(payments + remainder = declared total exactly), withholding, maker-checker, scoping, the
idempotent schedule proposal, and coupons per holder equal to QuantLib's for real Treasury
notes and bonds."""

from __future__ import annotations

import datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import Any

import pytest
import QuantLib as ql

from common.exceptions import ConflictError, InvalidInput, NotFoundError, PermissionDeniedError
from common.models import AuditEntry
from corporate_actions import selectors
from corporate_actions import services as ca
from corporate_actions.models import CorporateAction, CorporateActionStatus, Entitlement
from identity.models import User
from identity.roles import OrganisationKind, Role
from issuance import services
from issuance.conventions import get_ql_business_day_convention, get_ql_calendar, get_ql_day_counter
from issuance.models import Instrument, InstrumentKind, InstrumentStatus
from issuance.schedule import compute_coupon_schedule, compute_ql_schedule
from issuance.selectors import instrument_coupon_terms
from tests.factories import OrganisationFactory
from tests.issuance.conftest import make_bond_terms
from tests.issuance.test_importers import _import_treasuries

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 26)


def _live(maker: User, terms: dict[str, Any]) -> Instrument:
    instrument = services.instrument_create(actor=maker, terms=terms)
    Instrument.objects.filter(pk=instrument.pk).update(
        status=InstrumentStatus.LIVE, contract_id="0x" + "ab" * 32
    )
    instrument.refresh_from_db()
    return instrument


def _share_terms() -> dict[str, Any]:
    return {
        "isin": "XS0000000017",
        "name": "Aurora AG ordinary share",
        "kind": "equity_share",
        "currency": "EUR",
        "face_value": Decimal("1"),
        "minimum_denomination": Decimal("1"),
        "issue_size": Decimal("10000000"),
        "issue_size_unit": "quantity",
        "issue_date": datetime.date(2026, 3, 16),
        "calendar": "target",
    }


@pytest.fixture
def bond(maker: User) -> Instrument:
    return _live(maker, make_bond_terms())


@pytest.fixture
def share(maker: User) -> Instrument:
    return _live(maker, _share_terms())


# -- rounding and withholding -----------------------------------------------------------
def test_payments_plus_remainder_equal_the_declared_total_exactly():
    positions = [
        ca.HolderPosition(f"h{i}", 1, Decimal(units)) for i, units in enumerate((1, 2, 7, 333, 1001))
    ]
    sheet = ca.compute_entitlements(
        positions=positions,
        amount_per_unit=Decimal("0.333333"),
        taxable_per_unit=Decimal("0.333333"),
        currency="EUR",
        rate_of=lambda country: Decimal(0),
    )
    assert [r.gross for r in sheet.rows] == [
        Decimal("0.33"),
        Decimal("0.66"),
        Decimal("2.33"),
        Decimal("110.99"),
        Decimal("333.66"),
    ]  # each rounded down to the cent
    assert sheet.declared_total == Decimal("447.999552")  # 1,344 × 0.333333, exact
    assert sheet.paid_total == Decimal("447.97")
    assert sheet.remainder == Decimal("0.029552")
    assert sheet.paid_total + sheet.remainder == sheet.declared_total
    assert sheet.remainder >= 0


def test_minor_units_follow_iso_4217():
    assert ca.get_minor_unit("EUR") == Decimal("0.01")
    assert ca.get_minor_unit("JPY") == Decimal("1")
    sheet = ca.compute_entitlements(
        positions=[ca.HolderPosition("h", 1, Decimal(3))],
        amount_per_unit=Decimal("10.9"),
        taxable_per_unit=Decimal("10.9"),
        currency="JPY",
        rate_of=lambda country: Decimal(0),
    )
    assert (sheet.rows[0].gross, sheet.remainder) == (Decimal(32), Decimal("0.7"))
    with pytest.raises(InvalidInput):
        ca.get_minor_unit("XYZ")


def test_withholding_by_jurisdiction_half_up_with_a_default(settings):
    settings.GLOAM_WITHHOLDING_RATES = {"DE": "26.375", "US": "30"}
    settings.GLOAM_WITHHOLDING_DEFAULT_PERCENT = "15"
    assert ca.get_withholding_rate("DE") == Decimal("26.375")
    assert ca.get_withholding_rate("FR") == Decimal("15")
    assert ca.get_withholding_rate("") == Decimal("15")
    sheet = ca.compute_entitlements(
        positions=[
            ca.HolderPosition("de", 1, Decimal(1000), "DE"),
            ca.HolderPosition("us", 1, Decimal(1000), "US"),
            ca.HolderPosition("none", 1, Decimal(1000), ""),
        ],
        amount_per_unit=Decimal("0.0347"),
        taxable_per_unit=Decimal("0.0347"),
        currency="EUR",
    )
    by_holder = {r.holder: (r.gross, r.withheld, r.net) for r in sheet.rows}
    # 34.70 × 26.375 % = 9.152125 → 9.15; × 30 % = 10.41; × 15 % = 5.205 → 5.21 (half up)
    assert by_holder == {
        "de": (Decimal("34.70"), Decimal("9.15"), Decimal("25.55")),
        "us": (Decimal("34.70"), Decimal("10.41"), Decimal("24.29")),
        "none": (Decimal("34.70"), Decimal("5.21"), Decimal("29.49")),
    }
    assert sheet.withheld_total == Decimal("24.77")
    assert sheet.net_total + sheet.withheld_total == sheet.paid_total


def test_a_redemption_withholds_on_the_coupon_only():
    sheet = ca.compute_entitlements(
        positions=[ca.HolderPosition("h", 1, Decimal(1000))],
        amount_per_unit=Decimal("1.035"),
        taxable_per_unit=Decimal("0.035"),
        currency="EUR",
        rate_of=lambda country: Decimal(10),
    )
    assert (sheet.rows[0].gross, sheet.rows[0].withheld, sheet.rows[0].net) == (
        Decimal("1035.00"),
        Decimal("3.50"),
        Decimal("1031.50"),
    )


def test_invalid_amount_per_unit_in_the_computation():
    for amount in (Decimal(0), Decimal(-1), Decimal("NaN")):
        with pytest.raises(InvalidInput):
            ca.compute_entitlements(
                positions=[], amount_per_unit=amount, taxable_per_unit=amount, currency="EUR"
            )


# -- events: validation, nothing written on bad input ------------------------------------
def test_a_coupon_takes_its_amount_and_dates_from_the_quantlib_schedule(bond, maker):
    action = ca.corporate_action_create(
        actor=maker,
        instrument_id=bond.pk,
        kind="coupon",
        payment_date=datetime.date(2027, 3, 16),
        today=TODAY,
    )
    assert action.amount_per_unit == Decimal("0.035")  # 3.5 % annual, ACT/ACT ICMA, per 1 of nominal
    assert (action.accrual_start, action.accrual_end) == (
        datetime.date(2026, 3, 16),
        datetime.date(2027, 3, 16),
    )
    # TARGET: record date one business day before (Monday 15 March 2027); T+1: ex-date = record date
    assert (action.record_date, action.ex_date) == (datetime.date(2027, 3, 15), datetime.date(2027, 3, 15))
    assert action.status == CorporateActionStatus.DRAFT
    entry = AuditEntry.objects.get(action="corporate_action.create")
    assert entry.changes["amount_per_unit"] == "0.035000000000"


def test_a_redemption_is_principal_plus_the_last_coupon(bond, maker):
    action = ca.corporate_action_create(
        actor=maker,
        instrument_id=bond.pk,
        kind="redemption",
        payment_date=datetime.date(2031, 3, 17),  # 16 March 2031 is a Sunday: following
        today=TODAY,
    )
    assert (action.principal_per_unit, action.amount_per_unit) == (Decimal(1), Decimal("1.035"))


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (
            {
                "kind": "coupon",
                "payment_date": datetime.date(2027, 3, 16),
                "record_date": datetime.date(2027, 3, 17),
            },
            "record_after_payment",
        ),
        ({"kind": "coupon", "payment_date": datetime.date(2026, 3, 16)}, "not_a_coupon_date"),
        ({"kind": "coupon", "payment_date": datetime.date(2027, 3, 17)}, "not_a_coupon_date"),
        (
            {"kind": "dividend", "payment_date": datetime.date(2027, 3, 16), "amount_per_unit": Decimal(1)},
            "kind_not_applicable",
        ),
        (
            {
                "kind": "redemption",
                "payment_date": datetime.date(2027, 3, 16),
                "redemption_price": Decimal(0),
            },
            "invalid_amount",
        ),
        ({"kind": "bonus", "payment_date": datetime.date(2027, 3, 16)}, "invalid_kind"),
    ],
)
def test_invalid_bond_events_write_nothing(bond, maker, kwargs, code):
    with pytest.raises(InvalidInput) as refused:
        ca.corporate_action_create(actor=maker, instrument_id=bond.pk, today=TODAY, **kwargs)
    assert refused.value.code == code
    assert not CorporateAction.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="corporate_action").exists()


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        (
            {"kind": "dividend", "payment_date": datetime.date(2027, 5, 3), "amount_per_unit": Decimal(0)},
            "invalid_amount",
        ),
        (
            {
                "kind": "dividend",
                "payment_date": datetime.date(2027, 5, 3),
                "amount_per_unit": Decimal("-0.5"),
            },
            "invalid_amount",
        ),
        (
            {"kind": "dividend", "payment_date": datetime.date(2026, 11, 20), "amount_per_unit": Decimal(1)},
            "payment_date_in_past",
        ),
        (
            {
                "kind": "dividend",
                "payment_date": datetime.date(2027, 5, 3),
                "amount_per_unit": Decimal(1),
                "record_date": datetime.date(2027, 5, 4),
            },
            "record_after_payment",
        ),
        ({"kind": "coupon", "payment_date": datetime.date(2027, 5, 3)}, "kind_not_applicable"),
    ],
)
def test_invalid_share_events_write_nothing(share, maker, kwargs, code):
    with pytest.raises(InvalidInput) as refused:
        ca.corporate_action_create(actor=maker, instrument_id=share.pk, today=TODAY, **kwargs)
    assert refused.value.code == code
    assert not CorporateAction.objects.exists()


def test_invalid_duplicate_event_for_the_same_date(bond, maker):
    ca.corporate_action_create(
        actor=maker,
        instrument_id=bond.pk,
        kind="coupon",
        payment_date=datetime.date(2027, 3, 16),
        today=TODAY,
    )
    with pytest.raises(ConflictError) as refused:
        ca.corporate_action_create(
            actor=maker,
            instrument_id=bond.pk,
            kind="coupon",
            payment_date=datetime.date(2027, 3, 16),
            today=TODAY,
        )
    assert refused.value.code == "duplicate_event"
    assert CorporateAction.objects.count() == 1


def test_invalid_event_of_an_instrument_not_live(maker):
    instrument = services.instrument_create(actor=maker, terms=_share_terms())
    with pytest.raises(ConflictError) as refused:
        ca.corporate_action_create(
            actor=maker,
            instrument_id=instrument.pk,
            kind="dividend",
            payment_date=datetime.date(2027, 5, 3),
            amount_per_unit=Decimal(1),
            today=TODAY,
        )
    assert refused.value.code == "not_live"


# -- maker-checker and permissions --------------------------------------------------------
def _dividend(share: Instrument, maker: User) -> CorporateAction:
    return ca.corporate_action_create(
        actor=maker,
        instrument_id=share.pk,
        kind="dividend",
        payment_date=datetime.date(2027, 5, 3),
        amount_per_unit=Decimal("0.85"),
        today=TODAY,
    )


def test_maker_checker(share, maker, approver, make_user):
    action = _dividend(share, maker)
    with pytest.raises(ConflictError):  # a draft is submitted first
        ca.corporate_action_approve(actor=approver, action_id=action.pk, today=TODAY)
    ca.corporate_action_submit(actor=maker, action_id=action.pk)
    both = make_user(share.issuer, Role.ISSUER_ADMIN, Role.ISSUER_APPROVER)
    with pytest.raises(PermissionDeniedError):  # an admin without the approver role
        ca.corporate_action_approve(
            actor=make_user(share.issuer, Role.ISSUER_ADMIN), action_id=action.pk, today=TODAY
        )
    approved = ca.corporate_action_approve(actor=approver, action_id=action.pk, today=TODAY)
    assert (approved.status, approved.approved_by) == (CorporateActionStatus.APPROVED, approver)
    with pytest.raises(ConflictError) as twice:  # a second approval
        ca.corporate_action_approve(actor=approver, action_id=action.pk, today=TODAY)
    assert twice.value.code == "invalid_transition"

    second = ca.corporate_action_create(
        actor=both,
        instrument_id=share.pk,
        kind="dividend",
        payment_date=datetime.date(2027, 6, 1),
        amount_per_unit=Decimal("0.10"),
        today=TODAY,
    )
    ca.corporate_action_submit(actor=both, action_id=second.pk)
    with pytest.raises(PermissionDeniedError) as same:
        ca.corporate_action_approve(actor=both, action_id=second.pk, today=TODAY)
    assert same.value.code == "maker_cannot_approve"
    second.refresh_from_db()
    assert second.status == CorporateActionStatus.PENDING_APPROVAL
    audit = list(AuditEntry.objects.filter(object_id=str(action.pk)).values_list("action", flat=True))
    assert sorted(audit) == ["corporate_action.approve", "corporate_action.create", "corporate_action.submit"]


def test_others_cannot_declare_and_do_not_see_drafts(share, maker, make_user, broker_a):
    trader = make_user(broker_a, Role.BROKER_TRADER)
    with pytest.raises(PermissionDeniedError):
        ca.corporate_action_create(
            actor=trader,
            instrument_id=share.pk,
            kind="dividend",
            payment_date=datetime.date(2027, 5, 3),
            amount_per_unit=Decimal(1),
            today=TODAY,
        )
    action = _dividend(share, maker)
    assert not selectors.corporate_action_list(user=trader).exists()
    with pytest.raises(NotFoundError):
        selectors.corporate_action_get(user=trader, action_id=action.pk)
    CorporateAction.objects.filter(pk=action.pk).update(status=CorporateActionStatus.APPROVED)
    assert selectors.corporate_action_get(user=trader, action_id=action.pk) == action  # announced
    with pytest.raises(PermissionDeniedError):
        selectors.corporate_action_preview(user=trader, action_id=action.pk)


def test_brokers_see_their_clients_entitlements_only(share, maker, make_user, broker_a, broker_b):
    from identity.models import ClientAccount

    action = _dividend(share, maker)
    client_a = ClientAccount.objects.create(broker=broker_a, account_reference="A-1", name="A One")
    client_b = ClientAccount.objects.create(broker=broker_b, account_reference="B-1", name="B One")
    fund = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN)
    for holder, client, org in (("00aa", client_a, None), ("00bb", client_b, None), ("00cc", None, fund)):
        Entitlement.objects.create(
            action=action,
            holder=holder,
            holder_name=holder,
            holder_kind="client account" if client else "investor",
            client_account=client,
            organisation=org,
            units=10,
            position=Decimal(10),
            gross=Decimal("8.50"),
            net=Decimal("8.50"),
        )
    see = lambda user, **f: {e.holder for e in selectors.entitlement_list(user=user, filters=f)}  # noqa: E731
    assert see(make_user(broker_a, Role.BROKER_BACK_OFFICE)) == {"00aa"}
    assert see(make_user(broker_b, Role.BROKER_TRADER)) == {"00bb"}
    assert see(make_user(fund, Role.COMPLIANCE_OFFICER)) == {"00cc"}
    assert see(maker) == {"00aa", "00bb", "00cc"}
    assert see(maker, client_account="A-1") == {"00aa"}
    assert see(maker, state="paid") == set()
    CorporateAction.objects.filter(pk=action.pk).update(status=CorporateActionStatus.PAID)
    assert see(maker, state="paid") == {"00aa", "00bb", "00cc"}
    assert see(maker, state="upcoming") == set()


# -- scheduling ----------------------------------------------------------------------------
def test_the_beat_proposes_coupons_and_redemption_idempotently(bond, maker, settings):
    settings.GLOAM_CORPORATE_ACTION_HORIZON_DAYS = 45
    assert ca.corporate_actions_propose(today=datetime.date(2027, 2, 15)) == 1
    assert ca.corporate_actions_propose(today=datetime.date(2027, 2, 15)) == 0
    assert ca.corporate_actions_propose(today=datetime.date(2027, 3, 1)) == 0
    (coupon,) = CorporateAction.objects.all()
    assert (coupon.kind, coupon.source, coupon.payment_date, coupon.status) == (
        "coupon",
        "schedule",
        datetime.date(2027, 3, 16),
        CorporateActionStatus.DRAFT,
    )
    assert ca.corporate_actions_propose(today=datetime.date(2031, 2, 20)) == 1
    redemption = CorporateAction.objects.get(kind="redemption")
    assert (redemption.payment_date, redemption.amount_per_unit) == (
        datetime.date(2031, 3, 17),
        Decimal("1.035"),
    )
    # a proposal from the beat is submitted by an admin, who becomes its maker
    ca.corporate_action_submit(actor=maker, action_id=coupon.pk)
    coupon.refresh_from_db()
    assert coupon.proposed_by == maker


# -- QuantLib: coupons per holder for real Treasury notes and bonds ------------------------
POSITIONS = (Decimal(100), Decimal(1_000), Decimal(12_300), Decimal(250_000), Decimal(98_765_400))


def _quantlib_coupons(instrument: Instrument, face: Decimal) -> dict[datetime.date, Decimal]:
    """Coupon amounts of a QuantLib FixedRateBond of face ``face``, rounded down to the cent
    (after removing float noise at 6 places)."""
    terms = instrument_coupon_terms(instrument=instrument)
    schedule = compute_ql_schedule(terms)
    bond = ql.FixedRateBond(
        0,
        float(face),
        schedule,
        [float(terms.coupon_rate or 0) / 100.0],
        get_ql_day_counter(terms.day_count, schedule=schedule),
        get_ql_business_day_convention(terms.business_day_convention),
        float(face),
        ql.Date(terms.accrual_start.day, terms.accrual_start.month, terms.accrual_start.year),
        get_ql_calendar(terms.calendar),
    )
    out = {}
    for cashflow in bond.cashflows():
        coupon = ql.as_fixed_rate_coupon(cashflow)
        if coupon is not None:
            day = coupon.date()
            exact = Decimal(repr(coupon.amount())).quantize(Decimal("1e-6"), rounding=ROUND_HALF_EVEN)
            out[datetime.date(day.year(), day.month(), day.dayOfMonth())] = exact.quantize(
                Decimal("0.01"), rounding=ROUND_DOWN
            )
    return out


def test_treasury_coupons_per_holder_equal_quantlib_to_the_cent(vectors: Path):
    _import_treasuries(vectors)
    fixed = list(Instrument.objects.filter(kind=InstrumentKind.FIXED_RATE_BOND).order_by("cusip"))
    sample = fixed[:: max(1, len(fixed) // 40)]
    assert len(sample) >= 40
    checked = 0
    for instrument in sample:
        factor = ca.compute_per_unit_factor(instrument)
        periods = compute_coupon_schedule(terms=instrument_coupon_terms(instrument=instrument))
        positions = [
            ca.HolderPosition(f"h{i}", int(p / instrument.token_unit), p) for i, p in enumerate(POSITIONS)
        ]
        direct = {p: _quantlib_coupons(instrument, p) for p in POSITIONS}
        for period in periods:
            assert period.amount is not None
            sheet = ca.compute_entitlements(
                positions=positions,
                amount_per_unit=period.amount * factor,
                taxable_per_unit=period.amount * factor,
                currency=instrument.currency,
                rate_of=lambda country: Decimal(0),
            )
            for row in sheet.rows:
                assert row.gross == direct[row.position][period.payment_date], (instrument.cusip, period, row)
                checked += 1
            assert sheet.paid_total + sheet.remainder == sheet.declared_total
    assert checked > 1000


def test_the_issuers_own_holding_is_not_entitled(share, maker):
    from ledger.models import ChainAccount

    account = ChainAccount.objects.create(
        organisation=share.issuer, public_key="0x" + "11" * 48, encrypted_secret_key=b""
    )
    action = _dividend(share, maker)
    assert ca.compute_action_positions(action, [(account.address.hex(), 500)]) == []


def test_a_partial_redemption_calls_a_fraction_at_par_plus_accrued(bond, maker):
    action = ca.corporate_action_create(
        actor=maker,
        instrument_id=bond.pk,
        kind="partial_redemption",
        payment_date=datetime.date(2029, 9, 17),
        call_fraction=Decimal("0.25"),
        today=TODAY,
    )
    # 3.5 % ACT/ACT ICMA: 185 of the 365 days from 16 March 2029 accrued
    expected = Decimal(1) + Decimal("0.035") * 185 / 365
    assert abs(action.amount_per_unit - expected) < Decimal("1e-12")
    assert (action.principal_per_unit, action.call_fraction) == (Decimal(1), Decimal("0.25"))
    positions = [
        ca.HolderPosition("a", 10, Decimal(10_000)),
        ca.HolderPosition("b", 3, Decimal(3_000)),
        ca.HolderPosition("c", 7, Decimal(7_000)),
    ]
    called = ca.compute_called_positions(action, positions)
    # floor(units × 0.25): 2 of 10, none of 3, 1 of 7 (whole token units of 1,000)
    assert [(p.holder, p.units, p.position) for p in called] == [
        ("a", 2, Decimal(2000)),
        ("c", 1, Decimal(1000)),
    ]
    sheet = ca.compute_action_sheet(action, positions)
    assert [r.gross for r in sheet.rows] == [Decimal("2035.47"), Decimal("1017.73")]
    assert sheet.paid_total + sheet.remainder == sheet.declared_total


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"call_fraction": Decimal(0)}, "invalid_fraction"),
        ({"call_fraction": Decimal(1)}, "invalid_fraction"),
        ({"call_fraction": None}, "invalid_fraction"),
        ({"call_fraction": Decimal("0.5"), "redemption_price": Decimal(-1)}, "invalid_amount"),
        (
            {"call_fraction": Decimal("0.5"), "payment_date": datetime.date(2031, 3, 17)},
            "not_before_maturity",
        ),
    ],
)
def test_invalid_partial_redemptions_write_nothing(bond, maker, kwargs, code):
    arguments = {"payment_date": datetime.date(2029, 9, 17), **kwargs}
    with pytest.raises(InvalidInput) as refused:
        ca.corporate_action_create(
            actor=maker, instrument_id=bond.pk, kind="partial_redemption", today=TODAY, **arguments
        )
    assert refused.value.code == code
    assert not CorporateAction.objects.exists()


# -- stock splits and reverse splits ------------------------------------------------------
def _split(share: Instrument, maker: User, kind: str, ratio: tuple[int, int], price: str) -> CorporateAction:
    return ca.corporate_action_create(
        actor=maker,
        instrument_id=share.pk,
        kind=kind,
        payment_date=datetime.date(2027, 5, 3),
        amount_per_unit=Decimal(price),
        split_ratio=ratio,
        today=TODAY,
    )


def test_a_split_pays_each_fraction_of_a_new_share_at_the_declared_price(share, maker):
    action = _split(share, maker, "split", (3, 2), "40.01")
    assert (action.split_numerator, action.split_denominator) == (3, 2)
    assert action.principal_per_unit == action.amount_per_unit  # cash in lieu is not taxed
    positions = [
        ca.HolderPosition("a", 7, Decimal(7)),
        ca.HolderPosition("b", 6, Decimal(6)),
        ca.HolderPosition("c", 1, Decimal(1), "DE"),
    ]
    sheet = ca.compute_action_sheet(action, positions)
    # 7 → 10.5, 6 → 9, 1 → 1.5: half a new share at 40.01 is 20.005, rounded down to 20.00
    assert [(r.holder, r.position, r.gross, r.withheld, r.net) for r in sheet.rows] == [
        ("a", Decimal(7), Decimal("20.00"), Decimal(0), Decimal("20.00")),
        ("b", Decimal(6), Decimal("0.00"), Decimal(0), Decimal("0.00")),
        ("c", Decimal(1), Decimal("20.00"), Decimal(0), Decimal("20.00")),
    ]
    assert (sheet.declared_total, sheet.remainder) == (Decimal("40.01"), Decimal("0.01"))
    assert [ca.compute_units_after_split(p.units, 3, 2)[0] for p in positions] == [10, 9, 1]


def test_a_reverse_split_keeps_whole_new_shares_and_pays_the_rest(share, maker):
    action = _split(share, maker, "reverse_split", (1, 10), "125")
    assert ca.compute_units_after_split(25, 1, 10) == (2, Decimal("0.5"))
    assert ca.compute_units_after_split(3, 1, 10) == (0, Decimal("0.3"))
    sheet = ca.compute_action_sheet(
        action, [ca.HolderPosition("a", 25, Decimal(25)), ca.HolderPosition("b", 3, Decimal(3))]
    )
    assert [r.gross for r in sheet.rows] == [Decimal("62.50"), Decimal("37.50")]
    # value before at 12.50 a share (125 / 10) = new shares at 125 + cash for the fractions
    assert 28 * Decimal("12.5") == 2 * 125 + sheet.paid_total + sheet.remainder


@pytest.mark.parametrize(
    ("kind", "ratio", "price", "code"),
    [
        ("split", (0, 1), "10", "invalid_ratio"),
        ("split", (2, 0), "10", "invalid_ratio"),
        ("split", None, "10", "invalid_ratio"),
        ("split", (1, 2), "10", "invalid_ratio"),
        ("split", (2, 2), "10", "invalid_ratio"),
        ("reverse_split", (10, 1), "10", "invalid_ratio"),
        ("reverse_split", (1, 1 << 31), "10", "invalid_ratio"),
        ("split", (2, 1), "0", "invalid_amount"),
    ],
)
def test_invalid_splits_write_nothing(share, maker, kind, ratio, price, code):
    with pytest.raises(InvalidInput) as refused:
        _split(share, maker, kind, ratio, price)
    assert refused.value.code == code
    assert not CorporateAction.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="corporate_action.").exists()


def test_a_split_does_not_apply_to_a_bond(bond, maker):
    with pytest.raises(InvalidInput) as refused:
        _split(bond, maker, "split", (2, 1), "10")
    assert refused.value.code == "kind_not_applicable"


# -- market claims ------------------------------------------------------------------------
def test_a_market_claim_is_the_sellers_net_per_unit_rounded_down_and_capped():
    from corporate_actions.market_claims import compute_claim_amount

    def claim(units: int, claimed: str = "0") -> Decimal:
        return compute_claim_amount(
            seller_net=Decimal("1000.00"),
            seller_units=3,
            units=units,
            claimed=Decimal(claimed),
            currency="EUR",
        )

    assert claim(1) == Decimal("333.33")  # 1,000 / 3 rounded down
    assert claim(2, claimed="333.33") == Decimal("666.66")
    assert claim(2, claimed="700.00") == Decimal("300.00")  # never more than the seller received
    assert claim(5) == Decimal("1000.00")  # units sold beyond its record holding: capped too
    assert compute_claim_amount(
        seller_net=Decimal(0), seller_units=0, units=5, claimed=Decimal(0), currency="EUR"
    ) == Decimal(0)


def test_a_given_record_date_gives_the_default_ex_date(share, maker):
    action = ca.corporate_action_create(
        actor=maker,
        instrument_id=share.pk,
        kind="dividend",
        payment_date=datetime.date(2027, 5, 12),
        record_date=datetime.date(2027, 5, 5),
        amount_per_unit=Decimal("0.5"),
        today=TODAY,
    )
    assert (action.record_date, action.ex_date) == (datetime.date(2027, 5, 5), datetime.date(2027, 5, 5))


def _open_trade(share: Instrument, make_user, broker_a, broker_b) -> None:
    """A buy and a sell of 100 units of ``share``, matched, with the issuer's chain account."""
    from identity.models import ClientAccount
    from ledger.models import ChainAccount
    from settlement import services as settlement_services
    from settlement.models import InstructionStatus, SettlementInstruction

    ChainAccount.objects.create(
        organisation=share.issuer, public_key="0x" + "12" * 48, encrypted_secret_key=b""
    )
    traders = {}
    for broker, other, side in ((broker_a, broker_b, "buy"), (broker_b, broker_a, "sell")):
        ClientAccount.objects.create(
            broker=broker, account_reference=f"{side}-client", name=side, holder_type="legal_entity"
        )
        traders[side] = (make_user(broker, Role.BROKER_TRADER), other)
    for side, (trader, other) in traders.items():
        settlement_services.instruction_create(
            actor=trader,
            data={
                "reference": f"S-{side}",
                "isin": share.isin,
                "side": side,
                "quantity": "100",
                "price": "1.25",
                "trade_date": datetime.date(2027, 5, 26),
                "intended_settlement_date": datetime.date(2027, 5, 27),
                "counterparty_lei": other.lei,
                "client_account": f"{side}-client",
            },
        )
    assert set(SettlementInstruction.objects.values_list("status", flat=True)) == {InstructionStatus.MATCHED}


def test_a_split_cancels_the_open_instructions_in_units_before_it(
    share, maker, approver, make_user, broker_a, broker_b
):
    from settlement.models import InstructionEvent, InstructionStatus, SettlementInstruction

    _open_trade(share, make_user, broker_a, broker_b)
    split = _split(share, maker, "split", (2, 1), "6.25")
    ca.corporate_action_submit(actor=maker, action_id=split.pk)
    ca.corporate_action_approve(actor=approver, action_id=split.pk, today=TODAY)
    submission = ca.corporate_action_record(action_id=split.pk, today=split.record_date)
    assert submission is not None
    assert (submission.fn_name, bytes(submission.fn_args)) == (
        "split",
        (2).to_bytes(4, "little") + (1).to_bytes(4, "little"),
    )
    reasons = set(SettlementInstruction.objects.values_list("status", "status_reason"))
    assert reasons == {
        (
            InstructionStatus.CANCELLED,
            f"cancelled by the 2-for-1 stock split of {share.isin} (record date {split.record_date}): "
            "re-instruct in units after the split",
        )
    }
    assert InstructionEvent.objects.filter(status=InstructionStatus.CANCELLED).count() == 2
    assert AuditEntry.objects.filter(action="corporate_action.instructions_cancelled").count() == 1


def test_a_split_waits_while_a_netting_cycle_settles_the_instruments_instructions(
    share, maker, approver, make_user, broker_a, broker_b
):
    from settlement.models import InstructionStatus, NettingCycle, SettlementInstruction

    _open_trade(share, make_user, broker_a, broker_b)
    cycle = NettingCycle.objects.create(cycle_date=datetime.date(2027, 5, 27))
    SettlementInstruction.objects.update(cycle=cycle, status=InstructionStatus.PENDING)
    split = _split(share, maker, "split", (2, 1), "6.25")
    ca.corporate_action_submit(actor=maker, action_id=split.pk)
    ca.corporate_action_approve(actor=approver, action_id=split.pk, today=TODAY)

    assert ca.corporate_action_record(action_id=split.pk, today=split.record_date) is None
    split.refresh_from_db()
    assert split.status == CorporateActionStatus.APPROVED
    assert split.plan["waiting"].startswith("waiting: a netting cycle is settling instructions")
    assert set(SettlementInstruction.objects.values_list("status", flat=True)) == {InstructionStatus.PENDING}

    SettlementInstruction.objects.update(cycle=None, status=InstructionStatus.FAILED)  # the cycle ended
    assert ca.corporate_action_record(action_id=split.pk, today=split.record_date) is not None
    split.refresh_from_db()
    assert split.status == CorporateActionStatus.RECORDING
    assert "waiting" not in split.plan
    assert set(SettlementInstruction.objects.values_list("status", flat=True)) == {
        InstructionStatus.CANCELLED
    }
