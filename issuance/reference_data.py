"""The project's own small sample of real reference data, loaded by ``make run``.

Facts written here by hand (not copied files): a handful of US Treasuries auctioned in
2022 with their real CUSIPs, coupons and dates (TreasuryDirect), and two real LEIs
(GLEIF). Loading goes through the importers' upserts, so it is idempotent.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from issuance.importers import (
    ImportOutcome,
    ImportRejected,
    ImportRow,
    compute_treasury_terms,
    lei_organisation_upsert,
    treasury_instrument_upsert,
    treasury_issuer_get_or_create,
)

D = datetime.date

#: (CUSIP, type, issue date, dated date, maturity, coupon % or None, offering amount in USD)
SAMPLE_TREASURIES: tuple[
    tuple[str, str, datetime.date, datetime.date | None, datetime.date, str | None, int], ...
] = (
    ("91282CFE6", "Note", D(2022, 8, 15), None, D(2025, 8, 15), "3.125", 42_000_000_000),
    ("91282CEP2", "Note", D(2022, 5, 16), D(2022, 5, 15), D(2032, 5, 15), "2.875", 36_000_000_000),
    ("912810TG3", "Bond", D(2022, 5, 16), D(2022, 5, 15), D(2052, 5, 15), "2.875", 22_000_000_000),
    ("91282CER8", "Note", D(2022, 5, 31), None, D(2024, 5, 31), "2.5", 47_000_000_000),
    ("912796V89", "Bill", D(2022, 2, 8), None, D(2022, 6, 7), None, 35_000_000_000),
)

#: (LEI, legal name, country of the legal address), from GLEIF's Level-1 records.
SAMPLE_LEIS: tuple[tuple[str, str, str], ...] = (
    ("506700GE1G29325QX363", "Global Legal Entity Identifier Foundation", "CH"),
    ("549300J43MRRHUL8JX64", "BlackRock Institutional Trust Company, National Association", "GB"),
)


def reference_data_load(*, treasury_lei: str) -> list[ImportOutcome]:
    """Create or refresh the sample; returns each row's outcome (all ``unchanged`` on a rerun).
    A sample Treasury that has since been tokenized on the platform is the platform's own
    instrument now: it is kept as it is (``rejected`` by the importer), never an error, so that
    ``make run`` starts again after a run that tokenized one (the user's second day)."""
    issuer = treasury_issuer_get_or_create(lei=treasury_lei)
    outcomes = []
    for cusip, kind, issued, dated, maturity, rate, amount in SAMPLE_TREASURIES:
        values = compute_treasury_terms(
            cusip=cusip,
            security_type=kind,
            issue_date=issued,
            dated_date=dated,
            maturity_date=maturity,
            interest_rate=Decimal(rate) if rate is not None else None,
            floating=False,
            tips=False,
            spread=None,
            offering_amount=Decimal(amount),
        )
        try:
            outcome = treasury_instrument_upsert(
                row=ImportRow(label="sample", key=cusip, values=values), issuer=issuer
            )
        except ImportRejected:
            outcome = ImportOutcome.REJECTED
        outcomes.append(outcome)
    for lei, name, country in SAMPLE_LEIS:
        row = ImportRow(
            label="sample", key=lei, values={"legal_name": name, "country": country, "is_active": True}
        )
        outcomes.append(lei_organisation_upsert(row=row, kind="issuer"))
    return outcomes
