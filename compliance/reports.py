"""Per-instrument reports for compliance officers, the issuer and regulators: holders by
jurisdiction and by investor category, concentration, and the DLT Pilot Regime thresholds.

Sources: the register at the latest Final block (``issuance.register.instrument_register``:
who may read it decides who may read the report: the issuer's users, regulators and
operators) and the holders' valid claims in the genesis identity registry
(``ledger.chain.get_claims_on_chain``: not revoked, not expired, issuer trusted). A holder
without a valid claim on a topic is counted under ``no claim``.

Concentration is of the quantity held (the issue placed so far) and of the issue size:
the largest 1, 5 and 10 holders' percent, and the Herfindahl–Hirschman index (HHI: the sum
of the squared percent shares of the quantity held, 0–10,000).

DLT Pilot Regime (Regulation (EU) 2022/858, art. 3(1); figures as summarised in
``../shared/reference/securities-anchors.md``, "DLT Pilot Regime"): shares may be admitted
only if the issuer's market capitalisation is below EUR 500 million, bonds if the issue is
below EUR 1 billion, UCITS units if the fund's assets under management are below EUR 500
million; all admitted instruments of a DLT market infrastructure together stay below EUR 6
billion. The issue size (nominal, or quantity × face value) is converted to EUR with
``GLOAM_EUR_RATES`` (units of EUR per unit of the currency, e.g. ``USD=0.92``); without a
rate the report says that a conversion is needed instead of guessing. For shares and fund
units the platform knows neither market capitalisation nor assets under management: the
issue size is shown as an indication and the report says which figure is required.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings

from chain.node.client import contract_abi
from identity.models import User
from issuance.models import Instrument, InstrumentKind, InstrumentStatus, IssueSizeUnit
from issuance.register import Register, instrument_register
from ledger.chain import get_claims_on_chain

NO_CLAIM = "no claim"
MILLION = Decimal(1_000_000)
#: Regulation (EU) 2022/858 art. 3(1)–(2): kind → (threshold in EUR, the figure it applies to).
DLT_PILOT_THRESHOLDS: dict[str, tuple[Decimal, str]] = {
    "shares": (500 * MILLION, "the issuer's market capitalisation"),
    "bonds": (1_000 * MILLION, "the issue size"),
    "ucits": (500 * MILLION, "the fund's assets under management"),
}
DLT_PILOT_AGGREGATE_CAP = 6_000 * MILLION
DLT_PILOT_SOURCE = (
    "Regulation (EU) 2022/858 art. 3; ../shared/reference/securities-anchors.md (DLT Pilot Regime)"
)
CATEGORY_NAMES = {
    int(contract_abi.InvestorCategory.RETAIL): "retail",
    int(contract_abi.InvestorCategory.PROFESSIONAL): "professional",
    int(contract_abi.InvestorCategory.ELIGIBLE_COUNTERPARTY): "eligible counterparty",
}


@dataclass(frozen=True)
class Bucket:
    label: str
    holders: int
    quantity: Decimal
    percent_of_held: Decimal


@dataclass(frozen=True)
class Concentration:
    top1: Decimal
    top5: Decimal
    top10: Decimal
    """Percent of the quantity held."""
    top10_of_issue: Decimal
    """Percent of the issue size."""
    hhi: Decimal


@dataclass(frozen=True)
class DltPilot:
    category: str
    """``shares``, ``bonds`` or ``ucits``."""
    threshold_eur: Decimal
    applies_to: str
    issue_size: Decimal
    currency: str
    issue_size_eur: Decimal | None
    """``None`` when no EUR rate is configured for the currency."""
    rate: Decimal | None
    within: bool | None
    """``None`` when it cannot be said (no rate, or the figure is not the issue size)."""
    note: str
    platform_total_eur: Decimal | None
    aggregate_cap_eur: Decimal = DLT_PILOT_AGGREGATE_CAP
    source: str = DLT_PILOT_SOURCE


@dataclass(frozen=True)
class InstrumentReport:
    instrument: Instrument
    register: Register
    jurisdictions: list[Bucket]
    categories: list[Bucket]
    concentration: Concentration
    dlt_pilot: DltPilot
    notes: list[str] = field(default_factory=list)


def _percent(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(Decimal("0.01")) if whole else Decimal(0)


def _buckets(values: dict[str, Decimal], counts: dict[str, int], held: Decimal) -> list[Bucket]:
    ordered = sorted(values, key=lambda label: (label == NO_CLAIM, -values[label], label))
    return [Bucket(label, counts[label], values[label], _percent(values[label], held)) for label in ordered]


def compute_concentration(quantities: list[Decimal], issue_size: Decimal) -> Concentration:
    """Top 1/5/10 percent of the quantity held, top 10 of the issue size, and the HHI (sum of
    squared percent shares of the quantity held, rounded to 0.01)."""
    ordered = sorted(quantities, reverse=True)
    held = sum(ordered, Decimal(0))
    hhi = sum(((q * 100 / held) ** 2 for q in ordered), Decimal(0)) if held else Decimal(0)
    return Concentration(
        top1=_percent(sum(ordered[:1], Decimal(0)), held),
        top5=_percent(sum(ordered[:5], Decimal(0)), held),
        top10=_percent(sum(ordered[:10], Decimal(0)), held),
        top10_of_issue=_percent(sum(ordered[:10], Decimal(0)), issue_size),
        hhi=hhi.quantize(Decimal("0.01")),
    )


def _eur_rate(currency: str) -> Decimal | None:
    if currency == "EUR":
        return Decimal(1)
    rate = settings.GLOAM_EUR_RATES.get(currency)
    return None if rate is None else Decimal(str(rate))


def _issue_amount(instrument: Instrument) -> Decimal:
    if instrument.issue_size_unit == IssueSizeUnit.NOMINAL:
        return instrument.issue_size
    return instrument.issue_size * (instrument.face_value or Decimal(0))


def _pilot_category(kind: str) -> str:
    if kind == InstrumentKind.EQUITY_SHARE:
        return "shares"
    if kind == InstrumentKind.FUND_UNIT:
        return "ucits"
    return "bonds"


def compute_dlt_pilot(instrument: Instrument) -> DltPilot:
    """The instrument's DLT Pilot Regime position (module docstring)."""
    category = _pilot_category(instrument.kind)
    threshold, applies_to = DLT_PILOT_THRESHOLDS[category]
    amount = _issue_amount(instrument)
    rate = _eur_rate(instrument.currency)
    in_eur = None if rate is None else (amount * rate).quantize(Decimal("0.01"))
    total: Decimal | None = Decimal(0)
    for other in Instrument.objects.filter(status=InstrumentStatus.LIVE, is_reference_data=False):
        other_rate = _eur_rate(other.currency)
        if other_rate is None or total is None:
            total = None
            continue
        total += _issue_amount(other) * other_rate
    if in_eur is None:
        within, note = (
            None,
            f"A {instrument.currency}/EUR rate is needed (GLOAM_EUR_RATES) to compare with the threshold.",
        )
    elif category == "bonds":
        within = in_eur < threshold
        note = "Within the bond threshold." if within else "Above the bond threshold: not eligible."
    else:
        within = None
        note = (
            f"The threshold applies to {applies_to}, which the platform does not hold; "
            "the issue size is shown as an indication."
        )
    return DltPilot(
        category=category,
        threshold_eur=threshold,
        applies_to=applies_to,
        issue_size=amount,
        currency=instrument.currency,
        issue_size_eur=in_eur,
        rate=rate,
        within=within,
        note=note,
        platform_total_eur=None if total is None else total.quantize(Decimal("0.01")),
    )


def instrument_report(*, user: User, instrument_id: uuid.UUID) -> InstrumentReport:
    """The report of one instrument on chain. Raises ``NotFoundError`` (not visible, or not on
    chain), ``PermissionDeniedError`` (not the issuer, a regulator or an operator) and
    ``ChainUnavailable`` (the identity registry cannot be read)."""
    register = instrument_register(user=user, instrument_id=instrument_id)
    rows = [row for row in register.rows if row.quantity > 0]
    claims = get_claims_on_chain([bytes.fromhex(row.holder) for row in rows]) if rows else {}
    held = sum((row.quantity for row in rows), Decimal(0))
    jurisdiction_q: dict[str, Decimal] = {}
    jurisdiction_n: dict[str, int] = {}
    category_q: dict[str, Decimal] = {}
    category_n: dict[str, int] = {}
    for row in rows:
        valid = claims.get(bytes.fromhex(row.holder), [])
        country = next((c.value for c in valid if c.topic == contract_abi.ClaimTopic.JURISDICTION), None)
        category = next(
            (c.value for c in valid if c.topic == contract_abi.ClaimTopic.INVESTOR_CATEGORY), None
        )
        country_label = (
            NO_CLAIM if country is None else country.to_bytes(2, "little").decode("ascii", "replace")
        )
        category_label = (
            NO_CLAIM if category is None else CATEGORY_NAMES.get(category, f"category {category}")
        )
        for label, values, counts in (
            (country_label, jurisdiction_q, jurisdiction_n),
            (category_label, category_q, category_n),
        ):
            values[label] = values.get(label, Decimal(0)) + row.quantity
            counts[label] = counts.get(label, 0) + 1
    notes = []
    if register.instrument.issue_size and held < register.instrument.issue_size:
        notes.append(f"{_percent(held, register.instrument.issue_size)} % of the issue size is placed.")
    return InstrumentReport(
        instrument=register.instrument,
        register=register,
        jurisdictions=_buckets(jurisdiction_q, jurisdiction_n, held),
        categories=_buckets(category_q, category_n, held),
        concentration=compute_concentration([row.quantity for row in rows], register.instrument.issue_size),
        dlt_pilot=compute_dlt_pilot(register.instrument),
        notes=notes,
    )


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def report_json(report: InstrumentReport) -> dict[str, Any]:
    """The report in JSON types (decimals as strings)."""

    def buckets(items: list[Bucket]) -> list[dict[str, Any]]:
        return [
            {
                "label": b.label,
                "holders": b.holders,
                "quantity": _text(b.quantity),
                "percent_of_held": _text(b.percent_of_held),
            }
            for b in items
        ]

    c, p = report.concentration, report.dlt_pilot
    return {
        "instrument": str(report.instrument.pk),
        "isin": report.instrument.isin,
        "height": report.register.height,
        "holders": len(report.register.rows),
        "held": _text(report.register.issued),
        "issue_size": _text(report.instrument.issue_size),
        "jurisdictions": buckets(report.jurisdictions),
        "investor_categories": buckets(report.categories),
        "concentration": {
            "top1_percent": _text(c.top1),
            "top5_percent": _text(c.top5),
            "top10_percent": _text(c.top10),
            "top10_percent_of_issue": _text(c.top10_of_issue),
            "hhi": _text(c.hhi),
        },
        "dlt_pilot": {
            "category": p.category,
            "threshold_eur": _text(p.threshold_eur),
            "applies_to": p.applies_to,
            "issue_size": _text(p.issue_size),
            "currency": p.currency,
            "eur_rate": _text(p.rate),
            "issue_size_eur": _text(p.issue_size_eur),
            "within_threshold": p.within,
            "note": p.note,
            "platform_total_eur": _text(p.platform_total_eur),
            "aggregate_cap_eur": _text(p.aggregate_cap_eur),
            "source": p.source,
        },
        "notes": report.notes,
    }
