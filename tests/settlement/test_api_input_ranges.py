"""Trade dates QuantLib's calendars do not cover and cash amounts the chain's u64 cannot hold
are a 400 naming the field, not a 500."""

from __future__ import annotations

import pytest

from settlement.models import SettlementInstruction
from tests.settlement.conftest import URL, side

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "changes",
    [
        {"trade_date": "9999-12-31"},
        {"trade_date": "9999-12-31", "intended_settlement_date": None},
        {"intended_settlement_date": "9999-12-31"},
        {"trade_date": "1900-01-01"},
        {"trade_date": "2199-12-31", "intended_settlement_date": None},
    ],
)
def test_dates_beyond_the_calendar_are_a_400_naming_the_field(bond, parties, changes):
    response = parties["a"].post(URL, side(parties, "a", **changes), format="json")
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]) <= {"trade_date", "intended_settlement_date"}
    assert not SettlementInstruction.objects.exists()


@pytest.mark.parametrize("amount", ["9999999999999999999999", "184467440737095516.16"])
def test_cash_amounts_the_chain_cannot_hold_are_a_400(api_client_for, operator, broker_a, amount):
    response = api_client_for(operator).post(
        "/api/v1/cash-issuances/", {"lei": broker_a.lei, "currency": "EUR", "amount": amount}, format="json"
    )
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "amount" in error["details"]


def test_the_largest_u64_amount_passes_the_field_check(api_client_for, operator, broker_a):
    response = api_client_for(operator).post(
        "/api/v1/cash-issuances/",
        {"lei": broker_a.lei, "currency": "EUR", "amount": "184467440737095516.15"},
        format="json",
    )
    assert "amount" not in response.json().get("error", {}).get("details", {})
