"""A netting cycle's date: it settles the matched instructions due on or before it, so an
operator may not date one after today's business date (a cycle dated 9999-12-31 settled pairs
before their intended settlement date). Refused with 400 ``cycle_date_in_future`` through the
API and the UI, changing nothing; today or an earlier day is accepted."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from common.models import AuditEntry, BusinessDate
from settlement.models import InstructionStatus, NettingCycle, SettlementInstruction
from tests.settlement.conftest import URL, side

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 9, 15)
CYCLES = "/api/v1/netting-cycles/"


@pytest.fixture
def matched_pair(settings: Any, bond, parties) -> None:
    """Business date 2026-09-15 (manual clock); a matched pair due 2026-09-16, tomorrow."""
    settings.GLOAM_BUSINESS_CLOCK = "manual"
    BusinessDate.objects.create(id=1, business_date=TODAY)
    for who in ("a", "b"):
        response = parties[who].post(URL, side(parties, who), format="json")
        assert response.status_code == 201, response.content
    assert set(SettlementInstruction.objects.values_list("status", flat=True)) == {InstructionStatus.MATCHED}


def _nothing_changed() -> None:
    assert not NettingCycle.objects.exists()
    assert not AuditEntry.objects.filter(action="netting_cycle.start").exists()
    assert set(SettlementInstruction.objects.values_list("status", "cycle")) == {
        (InstructionStatus.MATCHED, None)
    }


@pytest.mark.parametrize("cycle_date", ["9999-12-31", "2026-09-16"])
def test_a_cycle_dated_after_the_business_date_is_refused(matched_pair, operator, api_client_for, cycle_date):
    response = api_client_for(operator).post(CYCLES, {"cycle_date": cycle_date}, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "cycle_date_in_future"
    assert error["details"] == {"field": "cycle_date", "business_date": "2026-09-15"}
    assert "2026-09-15" in error["message"]
    _nothing_changed()


@pytest.mark.parametrize("cycle_date", ["2026-09-15", "2026-09-01", None])
def test_today_or_an_earlier_day_passes_the_date_check(matched_pair, operator, api_client_for, cycle_date):
    # No node runs here: a date that passes the check goes on to the chain, which answers 503
    # (tests/settlement/test_netting_onchain.py runs cycles on a devnet).
    response = api_client_for(operator).post(CYCLES, {"cycle_date": cycle_date}, format="json")
    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "chain_unavailable"
    _nothing_changed()


def test_the_ui_refuses_a_future_cycle_date(matched_pair, operator, client):
    client.force_login(operator)
    response = client.post("/settlement/cycles/run/", {"cycle_date": "9999-12-31"}, follow=True)
    assert response.status_code == 200
    assert "may not be dated after today&#x27;s business date (2026-09-15)" in response.content.decode()
    _nothing_changed()
