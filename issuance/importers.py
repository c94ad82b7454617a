"""Reference-data importers: US Treasury auctions (TreasuryDirect) and GLEIF Level-1 LEI records.

Parsing yields ``ImportRow`` (a label for messages and the parsed fields, or the reason it
cannot be parsed); ``*_upsert`` writes one row in its own transaction, so a rejected row
leaves nothing behind. Both are idempotent: a row whose values are already stored changes
nothing (``ImportOutcome.UNCHANGED``) and writes no audit entry.

Treasury terms (``docs/issuance.md``): notes and bonds pay semi-annual coupons, ACT/ACT
(ICMA), on the US government bond calendar, accrual dates unadjusted, a payment falling on
a non-business day paid the next business day (Following); month-end maturities roll on
month ends. Bills are zero coupon. FRNs are quarterly ACT/360 on the 13-week bill rate.
Imported instruments are reference data (``is_reference_data``, status draft, read-only).
"""

from __future__ import annotations

import calendar
import csv
import datetime
import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from defusedxml import ElementTree
from django.core.exceptions import ValidationError
from django.db import transaction

from common.services import audit_entry_create
from identity.models import Organisation
from identity.roles import OrganisationKind
from issuance.conventions import BusinessDayConvention, Calendar, CouponFrequency, DayCount
from issuance.models import (
    Instrument,
    InstrumentKind,
    InstrumentStatus,
    IssuerSector,
    IssueSizeUnit,
    compute_isin_from_cusip,
)

TREASURY_SOURCE = "TreasuryDirect auctioned securities"
TREASURY_NAME = "United States Department of the Treasury"
GLEIF_SOURCE = "GLEIF Level 1"


class ImportOutcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    REJECTED = "rejected"


@dataclass
class ImportRow:
    """One record of an input file: ``label`` locates it (``data.csv:17``)."""

    label: str
    key: str = ""
    values: dict[str, Any] = field(default_factory=dict)
    reopening: bool = False
    error: str = ""


class ImportRejected(Exception):
    """A row that cannot be imported; the message says why."""


def read_text(path: Path) -> str:
    """The file's text, decoded by its byte-order mark (UTF-16 LE/BE, UTF-8), else UTF-8."""
    raw = path.read_bytes()
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw.decode("utf-8-sig")
    return raw.decode("utf-8")


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    lines = read_text(path).splitlines()
    start = 1 if lines and lines[0].startswith("#TYPE") else 0  # PowerShell Export-Csv header
    reader = csv.DictReader(lines[start:])
    yield from enumerate(reader, start=start + 2)


def _date(value: str | None) -> datetime.date | None:
    value = (value or "").strip()
    if not value:
        return None
    return datetime.date.fromisoformat(value[:10])


def _decimal(value: str | None) -> Decimal | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise ImportRejected(f"{value!r} is not a number") from exc


def _is_month_end(day: datetime.date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def compute_treasury_terms(
    *,
    cusip: str,
    security_type: str,
    issue_date: datetime.date | None,
    dated_date: datetime.date | None,
    maturity_date: datetime.date | None,
    interest_rate: Decimal | None,
    floating: bool,
    tips: bool,
    spread: Decimal | None,
    offering_amount: Decimal | None,
) -> dict[str, Any]:
    """Instrument fields for one Treasury security (``security_type``: Bill, Note or Bond)."""
    kind_label = security_type.strip().title()
    if kind_label not in {"Bill", "Note", "Bond"}:
        raise ImportRejected(f"unknown security type {security_type!r}")
    if issue_date is None or maturity_date is None:
        raise ImportRejected("issue date and maturity date are required")
    values: dict[str, Any] = {
        "isin": compute_isin_from_cusip(cusip),
        "cusip": cusip,
        "currency": "USD",
        "face_value": Decimal(100),
        "minimum_denomination": Decimal(100),
        "issue_size": offering_amount if offering_amount is not None else Decimal(0),
        "issue_size_unit": IssueSizeUnit.NOMINAL,
        "issue_date": issue_date,
        "dated_date": dated_date if dated_date and dated_date != issue_date else None,
        "maturity_date": maturity_date,
        "calendar": Calendar.US_GOVERNMENT_BOND,
        "coupon_rate": None,
        "coupon_frequency": "",
        "day_count": "",
        "business_day_convention": "",
        "end_of_month": False,
        "floating_index": "",
        "floating_spread": None,
        "inflation_linked": tips,
    }
    if kind_label == "Bill":
        values |= {
            "kind": InstrumentKind.ZERO_COUPON_BOND,
            "name": f"US Treasury Bill {maturity_date:%d %b %Y}",
        }
    elif floating:
        values |= {
            "kind": InstrumentKind.FLOATING_RATE_NOTE,
            "name": f"US Treasury FRN {maturity_date:%d %b %Y}",
            "coupon_frequency": CouponFrequency.QUARTERLY,
            "day_count": DayCount.ACT_360,
            "business_day_convention": BusinessDayConvention.FOLLOWING,
            "end_of_month": _is_month_end(maturity_date),
            "floating_index": "13-week Treasury bill auction high rate",
            "floating_spread": spread,
        }
    else:
        if interest_rate is None:
            raise ImportRejected(f"a Treasury {kind_label.lower()} needs its interest rate")
        prefix = "TIPS " if tips else ""
        rate = f"{interest_rate.normalize():f}%"
        values |= {
            "kind": InstrumentKind.FIXED_RATE_BOND,
            "name": f"US Treasury {prefix}{kind_label} {rate} {maturity_date:%d %b %Y}",
            "coupon_rate": interest_rate,
            "coupon_frequency": CouponFrequency.SEMIANNUAL,
            "day_count": DayCount.ACT_ACT_ICMA,
            "business_day_convention": BusinessDayConvention.FOLLOWING,
            "end_of_month": _is_month_end(maturity_date),
        }
    return values


def _treasury_row(label: str, fields: dict[str, Any], reopening: bool) -> ImportRow:
    row = ImportRow(label=label, key=fields.get("cusip", ""), reopening=reopening)
    try:
        cusip = str(fields.get("cusip", "")).strip().upper()
        if not cusip:
            raise ImportRejected("no CUSIP")
        from stdnum import cusip as stdnum_cusip

        if not stdnum_cusip.is_valid(cusip):
            raise ImportRejected(f"{cusip} is not a valid CUSIP")
        row.key = cusip
        row.values = compute_treasury_terms(cusip=cusip, **{k: v for k, v in fields.items() if k != "cusip"})
    except (ImportRejected, ValueError) as exc:
        row.error = str(exc)
    return row


def read_treasury_csv(path: Path) -> Iterator[ImportRow]:
    """Rows of the TreasuryDirect "auctioned securities" CSV export (UTF-16 or UTF-8)."""
    for number, raw in _csv_rows(path):
        label = f"{path.name}:{number}"
        try:
            reopening = raw.get("reopening", "").strip() == "Yes"
            issue_date = _date(raw.get("originalIssueDate")) if reopening else None
            fields = {
                "cusip": raw.get("cusip", ""),
                "security_type": raw.get("securityType", ""),
                "issue_date": issue_date or _date(raw.get("issueDate")),
                "dated_date": _date(raw.get("originalDatedDate")) or _date(raw.get("datedDate")),
                "maturity_date": _date(raw.get("maturityDate")),
                "interest_rate": _decimal(raw.get("interestRate")),
                "floating": raw.get("floatingRate", "").strip() == "Yes",
                "tips": raw.get("tips", "").strip() == "Yes",
                "spread": _decimal(raw.get("spread")),
                "offering_amount": _decimal(raw.get("offeringAmount")),
            }
        except (ImportRejected, ValueError) as exc:
            yield ImportRow(label=label, key=raw.get("cusip", ""), error=str(exc))
            continue
        yield _treasury_row(label, fields, reopening)


def read_treasury_xml(path: Path) -> Iterator[ImportRow]:
    """The announcement of one TreasuryDirect auction-results XML file (``R_*.xml``).

    ``OfferingAmount`` is in billions of dollars there (the CSV gives dollars).
    """
    label = path.name
    try:
        root = ElementTree.parse(str(path)).getroot()
        announcement = root.find("AuctionAnnouncement")
        if announcement is None:
            raise ImportRejected("no AuctionAnnouncement element")

        results = root.find("AuctionResults")

        def text(tag: str) -> str:
            """The announcement's value, else the results' (the rate is set at auction)."""
            for section in (announcement, results):
                element = section.find(tag) if section is not None else None
                if element is not None and (element.text or "").strip():
                    return (element.text or "").strip()
            return ""

        reopening = text("ReOpeningIndicator") == "Y"
        offering = _decimal(text("OfferingAmount"))
        fields = {
            "cusip": text("CUSIP"),
            "security_type": text("SecurityType"),
            "issue_date": (_date(text("OriginalIssueDate")) if reopening else None)
            or _date(text("IssueDate")),
            "dated_date": _date(text("OriginalDatedDate")) or _date(text("DatedDate")),
            "maturity_date": _date(text("MaturityDate")),
            "interest_rate": _decimal(text("InterestRate")),
            "floating": text("FloatingRate") == "Y",
            "tips": text("InflationIndexSecurity") == "Y",
            "spread": _decimal(text("Spread")),
            "offering_amount": offering * Decimal(1_000_000_000) if offering is not None else None,
        }
    except (ImportRejected, ValueError, ElementTree.ParseError) as exc:
        yield ImportRow(label=label, error=str(exc))
        return
    yield _treasury_row(label, fields, reopening)


def read_treasury_file(path: Path) -> Iterator[ImportRow]:
    """Dispatch on the extension: ``.xml`` auction results, else the CSV export."""
    if path.suffix.lower() == ".xml":
        return read_treasury_xml(path)
    return read_treasury_csv(path)


def order_treasury_rows(rows: list[ImportRow]) -> list[ImportRow]:
    """Original issues first, then reopenings by issue date: the original auction's terms win."""
    return sorted(rows, key=lambda r: (r.reopening, r.values.get("issue_date") or datetime.date.min))


@transaction.atomic
def treasury_issuer_get_or_create(*, lei: str) -> Organisation:
    """The US Treasury as an issuer organisation, keyed on ``lei``."""
    organisation, created = Organisation.objects.get_or_create(
        lei=lei, defaults={"legal_name": TREASURY_NAME, "country": "US", "kind": OrganisationKind.ISSUER}
    )
    if created:
        organisation.full_clean()
        audit_entry_create(
            actor=None,
            action="organisation.import",
            obj=organisation,
            organisation=organisation,
            changes={"legal_name": TREASURY_NAME, "lei": lei, "source": TREASURY_SOURCE},
        )
    return organisation


def _differences(obj: Any, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: {"old": getattr(obj, name), "new": value}
        for name, value in values.items()
        if getattr(obj, name) != value
    }


@transaction.atomic
def treasury_instrument_upsert(*, row: ImportRow, issuer: Organisation) -> ImportOutcome:
    """Create or update the instrument of one Treasury row (keyed on CUSIP).

    A reopening only creates a missing instrument; it never overwrites the terms of one
    already stored. Raises ``ImportRejected`` with the reason; nothing is written then.
    """
    if row.error:
        raise ImportRejected(row.error)
    values = dict(row.values) | {"source": TREASURY_SOURCE, "issuer_sector": IssuerSector.SOVEREIGN}
    existing = Instrument.objects.select_for_update().filter(cusip=row.key).first()
    if existing is None:
        existing_isin = Instrument.objects.filter(isin=values["isin"]).first()
        if existing_isin is not None:
            raise ImportRejected(f"ISIN {values['isin']} already belongs to {existing_isin.name}")
        instrument = Instrument(
            issuer=issuer, status=InstrumentStatus.DRAFT, is_reference_data=True, **values
        )
        _full_clean(instrument)
        instrument.save()
        audit_entry_create(
            actor=None, action="instrument.import", obj=instrument, organisation=issuer, changes=values
        )
        return ImportOutcome.CREATED
    if not existing.is_reference_data:
        raise ImportRejected(f"CUSIP {row.key} belongs to an instrument issued on the platform")
    if row.reopening:
        return ImportOutcome.UNCHANGED
    diff = _differences(existing, values)
    if not diff:
        return ImportOutcome.UNCHANGED
    for name, value in values.items():
        setattr(existing, name, value)
    _full_clean(existing)
    existing.save()
    audit_entry_create(
        actor=None, action="instrument.import", obj=existing, organisation=issuer, changes=diff
    )
    return ImportOutcome.UPDATED


def _full_clean(obj: Any) -> None:
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        reasons = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
        raise ImportRejected(reasons) from exc


# --- GLEIF Level 1 -----------------------------------------------------------------------

GLEIF_L1 = "https://www.gleif.org/ontology/L1/"
GLEIF_BASE = "https://www.gleif.org/ontology/Base/"


def _country_from_iri(iri: Any) -> str:
    """``…/ISO3166-1-CountryCodes-Adjunct/CH`` or ``…-Adjunct/US-DE`` → ``CH`` / ``US``."""
    return str(iri).rstrip("/").rsplit("/", 1)[-1][:2].upper() if iri is not None else ""


def read_lei_turtle(path: Path) -> Iterator[ImportRow]:
    """LEI records of GLEIF's Level-1 RDF (Turtle), parsed with rdflib."""
    import rdflib

    graph = rdflib.Graph()
    graph.parse(str(path), format="turtle")
    l1 = rdflib.Namespace(GLEIF_L1)
    base = rdflib.Namespace(GLEIF_BASE)
    for record, lei in sorted(graph.subject_objects(l1.LEI), key=lambda pair: str(pair[1])):
        label = f"{path.name}:{lei}"
        entity = graph.value(record, l1.identifiesAndRecords)
        if entity is None:
            yield ImportRow(label=label, key=str(lei), error="the record names no legal entity")
            continue
        address = graph.value(entity, l1.hasLegalAddress)
        country = _country_from_iri(graph.value(address, base.hasCountry) if address is not None else None)
        if not country:
            country = _country_from_iri(graph.value(entity, base.hasLegalJurisdiction))
        status = str(graph.value(entity, base.hasEntityStatus) or "")
        yield ImportRow(
            label=label,
            key=str(lei),
            values={
                "legal_name": str(graph.value(entity, l1.hasLegalName) or "").strip(),
                "country": country,
                "is_active": not status.endswith("EntityStatusInactive"),
            },
        )


def read_lei_csv(path: Path) -> Iterator[ImportRow]:
    """LEI records of GLEIF's golden-copy CSV (``LEI``, ``Entity.LegalName``,
    ``Entity.LegalAddress.Country``, ``Entity.EntityStatus``, …; other columns ignored)."""
    for number, raw in _csv_rows(path):
        label = f"{path.name}:{number}"
        lei = (raw.get("LEI") or "").strip()
        if not lei:
            yield ImportRow(label=label, error="no LEI column value")
            continue
        yield ImportRow(
            label=label,
            key=lei,
            values={
                "legal_name": (raw.get("Entity.LegalName") or "").strip(),
                "country": (raw.get("Entity.LegalAddress.Country") or "").strip().upper(),
                "is_active": (raw.get("Entity.EntityStatus") or "ACTIVE").strip().upper() != "INACTIVE",
            },
        )


def read_lei_file(path: Path) -> Iterator[ImportRow]:
    """Dispatch on the extension: ``.ttl`` Turtle, else the golden-copy CSV."""
    if path.suffix.lower() == ".ttl":
        return read_lei_turtle(path)
    return read_lei_csv(path)


@transaction.atomic
def lei_organisation_upsert(*, row: ImportRow, kind: str) -> ImportOutcome:
    """Create or update the organisation of one LEI record (keyed on the LEI).

    ``kind`` applies to new organisations only; an existing one keeps its kind.
    """
    if row.error:
        raise ImportRejected(row.error)
    if not row.values.get("legal_name"):
        raise ImportRejected("no legal name")
    existing = Organisation.objects.select_for_update().filter(lei=row.key).first()
    if existing is None:
        organisation = Organisation(lei=row.key, kind=kind, **row.values)
        _full_clean(organisation)
        organisation.save()
        audit_entry_create(
            actor=None,
            action="organisation.import",
            obj=organisation,
            organisation=organisation,
            changes={"lei": row.key, "kind": kind, "source": GLEIF_SOURCE, **row.values},
        )
        return ImportOutcome.CREATED
    values = dict(row.values)
    diff = {
        name: change
        for name, change in _differences(existing, values).items()
        if not (name == "country" and str(existing.country) == change["new"])
    }
    if not diff:
        return ImportOutcome.UNCHANGED
    for name, value in values.items():
        setattr(existing, name, value)
    _full_clean(existing)
    existing.save()
    audit_entry_create(
        actor=None, action="organisation.import", obj=existing, organisation=existing, changes=diff
    )
    return ImportOutcome.UPDATED
