"""Importers read the vectors in place: nothing valid rejected, a second run changes nothing,
and every imported Treasury note's schedule equals QuantLib's computed directly."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import QuantLib as ql
from django.core.management import call_command

from common.models import AuditEntry
from identity.models import Organisation
from issuance.importers import read_lei_csv, read_text
from issuance.models import Instrument, InstrumentKind
from issuance.schedule import compute_accrued_interest, compute_coupon_schedule
from issuance.selectors import instrument_coupon_terms

pytestmark = pytest.mark.django_db


def _import_treasuries(vectors: Path) -> str:
    folder = vectors / "us-treasury-auctions"
    out = StringIO()
    call_command(
        "import_treasury_auctions",
        str(folder / "data.csv"),
        *sorted(map(str, folder.glob("R_*.xml"))),
        stdout=out,
    )
    return out.getvalue()


def test_utf16_csv_is_decoded_by_bom(vectors):
    text = read_text(vectors / "us-treasury-auctions" / "data.csv")
    assert text.splitlines()[1].startswith('"cusip","issueDate"')


def test_treasury_import_rejects_nothing_and_is_idempotent(vectors):
    first = _import_treasuries(vectors)
    assert "rejected" not in first.replace("0 rejected", "")
    assert Instrument.objects.count() == 1186  # distinct CUSIPs of data.csv (the XML ones are in it)
    note = Instrument.objects.get(cusip="91282CFE6")
    assert note.isin == "US91282CFE66"
    assert note.coupon_rate == Decimal("3.125")
    assert (note.issue_date, note.maturity_date) == (datetime.date(2022, 8, 15), datetime.date(2025, 8, 15))
    assert (note.coupon_frequency, note.day_count, note.calendar) == (
        "semiannual",
        "act_act_icma",
        "us_government_bond",
    )
    assert note.is_reference_data
    assert note.status == "draft"
    bill = Instrument.objects.get(cusip="912796V89")
    assert bill.kind == InstrumentKind.ZERO_COUPON_BOND
    assert bill.coupon_rate is None
    audit_before = AuditEntry.objects.count()
    snapshot = list(Instrument.objects.order_by("pk").values())
    second = _import_treasuries(vectors)
    assert "0 created, 0 updated, 1661 unchanged, 0 rejected" in second
    assert list(Instrument.objects.order_by("pk").values()) == snapshot
    assert AuditEntry.objects.count() == audit_before


def test_xml_offering_amount_in_billions(vectors):
    folder = vectors / "us-treasury-auctions"
    call_command("import_treasury_auctions", str(folder / "R_20220511_2.xml"), stdout=StringIO())
    note = Instrument.objects.get(cusip="91282CEP2")
    assert note.issue_size == Decimal("36000000000")
    assert note.coupon_rate == Decimal("2.875")
    assert note.dated_date == datetime.date(2022, 5, 15)


def _quantlib_direct(
    instrument: Instrument,
) -> list[tuple[datetime.date, datetime.date, datetime.date, float]]:
    """The same terms built straight with QuantLib: US Treasury conventions."""

    def to_date(d: ql.Date) -> datetime.date:
        return datetime.date(d.year(), d.month(), d.dayOfMonth())

    start = instrument.dated_date or instrument.issue_date
    assert instrument.maturity_date is not None
    assert instrument.coupon_rate is not None
    schedule = ql.Schedule(
        ql.Date(start.day, start.month, start.year),
        ql.Date(instrument.maturity_date.day, instrument.maturity_date.month, instrument.maturity_date.year),
        ql.Period(ql.Semiannual),
        ql.UnitedStates(ql.UnitedStates.GovernmentBond),
        ql.Unadjusted,
        ql.Unadjusted,
        ql.DateGeneration.Backward,
        instrument.end_of_month,
    )
    bond = ql.FixedRateBond(
        0,
        1.0,
        schedule,
        [float(instrument.coupon_rate) / 100],
        ql.ActualActual(ql.ActualActual.ISMA, schedule),
        ql.Following,
    )
    return [
        (to_date(c.accrualStartDate()), to_date(c.accrualEndDate()), to_date(c.date()), c.amount())
        for c in map(ql.as_fixed_rate_coupon, bond.cashflows())
        if c is not None
    ]


def test_every_imported_treasury_schedule_matches_quantlib(vectors):
    _import_treasuries(vectors)
    fixed = Instrument.objects.filter(kind=InstrumentKind.FIXED_RATE_BOND)
    assert fixed.count() > 600
    for instrument in fixed:
        ours = compute_coupon_schedule(terms=instrument_coupon_terms(instrument=instrument))
        direct = _quantlib_direct(instrument)
        assert len(ours) == len(direct), instrument.cusip
        for period, (start, end, paid, amount) in zip(ours, direct, strict=True):
            assert (period.accrual_start, period.accrual_end, period.payment_date) == (start, end, paid)
            assert period.amount is not None
            assert abs(period.amount - Decimal(repr(amount))) < Decimal("1e-12"), instrument.cusip


def test_known_treasury_coupons(vectors):
    _import_treasuries(vectors)
    note = Instrument.objects.get(cusip="91282CFE6")  # 3 1/8 % of 15 Aug 2025
    periods = compute_coupon_schedule(terms=instrument_coupon_terms(instrument=note))
    assert [p.accrual_end for p in periods][:2] == [datetime.date(2023, 2, 15), datetime.date(2023, 8, 15)]
    assert {p.amount for p in periods} == {Decimal("0.015625")}
    # 15 Feb 2025 is a Saturday and 17 Feb Presidents' Day: paid on Tuesday 18 Feb
    assert periods[4].payment_date == datetime.date(2025, 2, 18)
    month_end = Instrument.objects.get(cusip="91282CER8")  # 2 1/2 % of 31 May 2024
    ends = [
        p.accrual_end for p in compute_coupon_schedule(terms=instrument_coupon_terms(instrument=month_end))
    ]
    assert ends == [
        datetime.date(2022, 11, 30),
        datetime.date(2023, 5, 31),
        datetime.date(2023, 11, 30),
        datetime.date(2024, 5, 31),
    ]
    # 92 of 184 days of the first period on 10 units of 100 face
    accrued = compute_accrued_interest(
        terms=instrument_coupon_terms(instrument=note),
        settlement_date=datetime.date(2022, 11, 15),
        quantity=Decimal(10),
    )
    assert accrued == Decimal("7.8125")


def test_lei_turtle_import_is_idempotent(vectors):
    path = vectors / "gleif-lei-sample" / "L1Data.ttl"
    out = StringIO()
    call_command("import_lei", str(path), stdout=out)
    assert "0 rejected" in out.getvalue()
    gleif = Organisation.objects.get(lei="506700GE1G29325QX363")
    assert gleif.legal_name == "Global Legal Entity Identifier Foundation"
    assert str(gleif.country) == "CH"
    assert gleif.kind == "issuer"
    count = Organisation.objects.count()
    out = StringIO()
    call_command("import_lei", str(path), "--kind", "broker", stdout=out)
    assert "0 created, 0 updated" in out.getvalue()
    assert Organisation.objects.count() == count


def test_invalid_lei_rows_are_reported_and_not_imported(tmp_path):
    csv_path = tmp_path / "golden.csv"
    csv_path.write_text(
        "LEI,Entity.LegalName,Entity.LegalAddress.Country,Entity.EntityStatus\n"
        "506700GE1G29325QX363,Global Legal Entity Identifier Foundation,CH,ACTIVE\n"
        "506700GE1G29325QX364,Bad Check Digits AG,CH,ACTIVE\n"
        "549300J43MRRHUL8JX64,,GB,ACTIVE\n",
        encoding="utf-8-sig",
    )
    assert [row.key for row in read_lei_csv(csv_path)][0] == "506700GE1G29325QX363"
    out = StringIO()
    call_command("import_lei", str(csv_path), stdout=out)
    text = out.getvalue()
    assert "1 created" in text
    assert "2 rejected" in text
    assert "506700GE1G29325QX364" in text
    assert "not a valid LEI" in text
    assert "no legal name" in text
    assert list(Organisation.objects.values_list("lei", flat=True)) == ["506700GE1G29325QX363"]


def test_invalid_treasury_rows_are_reported(tmp_path):
    csv_path = tmp_path / "auctions.csv"
    csv_path.write_text(
        '"cusip","issueDate","securityType","maturityDate","interestRate","reopening","datedDate"\n'
        '"91282CFE7","2022-08-15T00:00:00","Note","2025-08-15T00:00:00","3.125","No",""\n'
        '"91282CFE6","2022-08-15T00:00:00","Note","2021-08-15T00:00:00","3.125","No",""\n',
        encoding="utf-16",
    )
    out = StringIO()
    call_command("import_treasury_auctions", str(csv_path), stdout=out)
    text = out.getvalue()
    assert "not a valid CUSIP" in text
    assert "after the issue date" in text
    assert "2 rejected" in text
    assert not Instrument.objects.exists()


def test_sample_reference_data_matches_the_vectors_and_reloads_unchanged(vectors):
    out = StringIO()
    call_command("seed_reference_data", stdout=out)
    assert "7 created" in out.getvalue()
    sample = {i.cusip: i for i in Instrument.objects.filter(is_reference_data=True)}
    call_command("seed_reference_data", stdout=out)
    assert "7 unchanged" in out.getvalue()
    result = _import_treasuries(vectors)  # the full files agree with the hand-written facts
    for cusip, before in sample.items():
        after = Instrument.objects.get(cusip=cusip)
        for field in ("isin", "coupon_rate", "issue_date", "dated_date", "maturity_date", "kind"):
            assert getattr(after, field) == getattr(before, field), (cusip, field, result)
