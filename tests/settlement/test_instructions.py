"""Trade capture and matching through the broker REST API: amounts with accrued interest
from QuantLib, ISO 20022 matching with a tolerance, the fields that differ when unmatched,
T+1 on the instrument's calendar, every bad input refused with nothing stored, cancellation
before matching, and the status events a broker polls."""

from __future__ import annotations

from decimal import Decimal

import pytest

from identity.roles import OrganisationKind, Role
from settlement.models import InstructionEvent, SettlementInstruction
from tests.factories import OrganisationFactory
from tests.settlement.conftest import URL, side


def test_two_agreeing_sides_match_with_accrued_interest(bond, parties):
    buy = parties["a"].post(URL, side(parties, "a"), format="json")
    assert buy.status_code == 201, buy.json()
    assert (buy.json()["status"], buy.json()["status_reason"]) == (
        "unmatched",
        "no instruction of the counterparty yet",
    )
    # 3.5 % on 100,000 for 184 of 365 days (ACT/ACT ICMA, 2026-03-16 to 2026-09-16): 1,764.38
    assert Decimal(buy.json()["accrued_interest"]) == Decimal("1764.38")
    assert Decimal(buy.json()["settlement_amount"]) == Decimal("99500.00") + Decimal("1764.38")
    sell = parties["b"].post(URL, side(parties, "b"), format="json")
    assert sell.json()["status"] == "matched"
    assert sell.json()["matched_with"] == "A-1"
    assert parties["a"].get(URL + buy.json()["id"] + "/").json()["status"] == "matched"
    events = parties["a"].get("/api/v1/settlement-events/").json()["results"]
    assert [(e["reference"], e["status"]) for e in events] == [
        ("A-1", "received"),
        ("A-1", "unmatched"),
        ("A-1", "matched"),
    ]
    last = events[-1]["id"]
    assert parties["a"].get(f"/api/v1/settlement-events/?after={last}").json()["results"] == []
    assert {e["reference"] for e in parties["b"].get("/api/v1/settlement-events/").json()["results"]} == {
        "B-1"
    }


def test_amounts_within_the_tolerance_match_and_beyond_it_are_reported(bond, parties, settings):
    parties["a"].post(URL, side(parties, "a"), format="json")
    # 99.501 % makes the seller's amount 1.00 EUR higher: within the 2.00 tolerance above 100,000
    close = parties["b"].post(URL, side(parties, "b", price="99.501"), format="json").json()
    assert close["status"] == "matched"
    parties["a"].post(URL, side(parties, "a", reference="A-2"), format="json")
    far = parties["b"].post(URL, side(parties, "b", reference="B-2", price="99.6"), format="json").json()
    assert far["status"] == "unmatched"
    assert far["match_report"] == [{"field": "settlement_amount", "candidate": "A-2"}]
    other = (
        parties["b"]
        .post(
            URL,
            side(parties, "b", reference="B-3", quantity="200000", trade_date="2026-09-14"),
            format="json",
        )
        .json()
    )
    assert [d["field"] for d in other["match_report"]] == ["quantity", "trade_date", "settlement_amount"]


def test_the_settlement_date_defaults_to_t_plus_one_business_day(bond, parties):
    friday = (
        parties["a"]
        .post(URL, side(parties, "a", trade_date="2026-11-27", intended_settlement_date=None), format="json")
        .json()
    )
    assert friday["intended_settlement_date"] == "2026-11-30"  # Monday on TARGET
    christmas_eve = (
        parties["a"]
        .post(
            URL,
            side(parties, "a", reference="A-2", trade_date="2026-12-24", intended_settlement_date=None),
            format="json",
        )
        .json()
    )
    assert christmas_eve["intended_settlement_date"] == "2026-12-28"  # 25 and 26 December are TARGET holidays


@pytest.mark.parametrize(
    ("changes", "status", "code", "field"),
    [
        ({"isin": "XS0000000017"}, 400, "unknown_isin", "isin"),
        ({"counterparty_lei": "529900T8BM49AURSDO55"}, 400, "unknown_lei", "counterparty_lei"),
        ({"quantity": "0"}, 400, None, "quantity"),
        ({"quantity": "-1000"}, 400, None, "quantity"),
        ({"quantity": "1500"}, 400, "invalid_quantity", "quantity"),
        ({"price": "9950"}, 400, "price_out_of_band", "price"),
        ({"intended_settlement_date": "2026-09-14"}, 400, "invalid_dates", "intended_settlement_date"),
        (
            {"intended_settlement_date": "2026-12-25", "trade_date": "2026-12-23"},
            400,
            "settlement_date_holiday",
            None,
        ),
        ({"client_account": "B-CLIENT"}, 400, "invalid_instruction", "client_account"),
    ],
)
def test_invalid_instructions_are_refused_and_nothing_is_stored(bond, parties, changes, status, code, field):
    response = parties["a"].post(URL, side(parties, "a", **changes), format="json")
    assert response.status_code == status, response.json()
    error = response.json()["error"]
    if code is not None:
        assert error["code"] == code
    if field is not None:
        assert field in str(error), error
    assert not SettlementInstruction.objects.exists()
    assert not InstructionEvent.objects.exists()


def test_invalid_duplicate_reference_and_self_trade(bond, parties):
    assert parties["a"].post(URL, side(parties, "a"), format="json").status_code == 201
    again = parties["a"].post(URL, side(parties, "a"), format="json")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "duplicate_reference")
    own = parties["a"].post(
        URL, side(parties, "a", reference="A-9", counterparty_lei=parties["a_lei"]), format="json"
    )
    assert own.json()["error"]["code"] == "self_trade"
    assert SettlementInstruction.objects.count() == 1


def test_a_replayed_request_with_another_body_is_refused(bond, parties):
    headers = {"HTTP_IDEMPOTENCY_KEY": "trade-42"}
    first = parties["a"].post(URL, side(parties, "a"), format="json", **headers)
    replay = parties["a"].post(URL, side(parties, "a"), format="json", **headers)
    assert (first.status_code, replay.status_code, replay["Idempotent-Replayed"]) == (201, 201, "true")
    other = parties["a"].post(URL, side(parties, "a", quantity="200000"), format="json", **headers)
    assert other.status_code == 422
    assert SettlementInstruction.objects.count() == 1


def test_cancel_before_matching_only(bond, parties):
    unmatched = parties["a"].post(URL, side(parties, "a"), format="json").json()
    cancelled = parties["a"].post(URL + unmatched["id"] + "/cancel/")
    assert cancelled.json()["status"] == "cancelled"
    parties["a"].post(URL, side(parties, "a", reference="A-2"), format="json")
    matched = parties["b"].post(URL, side(parties, "b"), format="json").json()
    assert matched["status"] == "matched"
    refused = parties["b"].post(URL + matched["id"] + "/cancel/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "not_cancellable")
    assert parties["a"].post(URL + matched["id"] + "/cancel/").status_code == 404  # not A's


def test_only_brokers_submit_and_each_sees_its_own(
    bond, parties, issuer, make_user, api_client_for, regulator
):
    issuer_client = api_client_for(make_user(issuer, Role.ISSUER_ADMIN))
    assert issuer_client.post(URL, side(parties, "a"), format="json").status_code == 403
    parties["a"].post(URL, side(parties, "a"), format="json")
    assert parties["b"].get(URL).json()["count"] == 0
    assert api_client_for(regulator).get(URL).json()["count"] == 1
    assert parties["a"].get(URL + "?status=unmatched&isin=XS0000000009").json()["count"] == 1
    assert parties["a"].get(URL + "?status=matched").json()["count"] == 0
    assert parties["a"].get(URL + "?status=bogus").status_code == 400
    other_broker = OrganisationFactory.create(kind=OrganisationKind.BROKER)
    stranger = api_client_for(make_user(other_broker, Role.BROKER_TRADER))
    assert stranger.get(URL).json()["count"] == 0
