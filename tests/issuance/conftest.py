"""Fixtures of the issuance tests: an issuer with a maker and two approvers, valid terms."""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

#: ``../shared/vectors/securities`` beside the project, read in place.
VECTORS = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "securities"


@pytest.fixture
def vectors() -> Path:
    if not VECTORS.is_dir():
        pytest.skip(f"securities vectors not found at {VECTORS} (../shared/vectors)")
    return VECTORS


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bond_terms() -> dict[str, Any]:
    return make_bond_terms()


def make_bond_terms() -> dict[str, Any]:
    """A 5-year 3.5 % annual EUR bond (the ISIN is a valid, made-up XS ISIN)."""
    return {
        "isin": "XS0000000009",
        "name": "Aurora 3.5% 2031",
        "kind": "fixed_rate_bond",
        "currency": "EUR",
        "face_value": Decimal("1000"),
        "minimum_denomination": Decimal("1000"),
        "issue_size": Decimal("500000000"),
        "issue_size_unit": "nominal",
        "issue_date": datetime.date(2026, 3, 16),
        "maturity_date": datetime.date(2031, 3, 16),
        "coupon_rate": Decimal("3.5"),
        "coupon_frequency": "annual",
        "day_count": "act_act_icma",
        "business_day_convention": "following",
        "calendar": "target",
    }


def api_terms(terms: dict[str, Any]) -> dict[str, Any]:
    return {k: str(v) if isinstance(v, Decimal | datetime.date) else v for k, v in terms.items()}
