"""The corporate action API: an issuer admin proposes, an approver approves (maker-checker),
bad input is a 4xx error that writes nothing, brokers read their clients' entitlements
(paginated, filtered) and do not see other issuers' drafts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from corporate_actions.models import CorporateAction, CorporateActionStatus, Entitlement
from identity.models import ClientAccount
from identity.roles import Role
from tests.corporate_actions.test_corporate_actions import _live, _share_terms

pytestmark = pytest.mark.django_db


def test_propose_submit_approve_through_the_api(api_client_for, maker, approver):
    share = _live(maker, _share_terms())
    admin = api_client_for(maker)
    answer = admin.post(
        "/api/v1/corporate-actions/",
        {
            "instrument": str(share.pk),
            "kind": "dividend",
            "payment_date": "2027-05-03",
            "amount_per_unit": "0.85",
        },
        format="json",
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert (body["status"], body["record_date"], body["ex_date"], body["amount_per_unit"]) == (
        "draft",
        "2027-04-30",
        "2027-04-30",
        "0.850000000000",
    )
    action_id = body["id"]
    assert admin.post(f"/api/v1/corporate-actions/{action_id}/submit/").json()["status"] == "pending_approval"
    same = admin.post(f"/api/v1/corporate-actions/{action_id}/approve/")
    assert same.status_code == 403
    checker = api_client_for(approver)
    assert checker.post(f"/api/v1/corporate-actions/{action_id}/approve/").json()["status"] == "approved"
    again = checker.post(f"/api/v1/corporate-actions/{action_id}/approve/")
    assert (again.status_code, again.json()["error"]["code"]) == (409, "invalid_transition")
    listed = admin.get("/api/v1/corporate-actions/?kind=dividend").json()
    assert [row["id"] for row in listed["results"]] == [action_id]
    split = admin.post(
        "/api/v1/corporate-actions/",
        {
            "instrument": str(share.pk),
            "kind": "split",
            "payment_date": "2027-06-01",
            "amount_per_unit": "40",
            "split_numerator": 3,
            "split_denominator": 2,
        },
        format="json",
    )
    assert split.status_code == 201, split.json()
    assert (split.json()["split_numerator"], split.json()["split_denominator"]) == (3, 2)


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"payment_date": "2027-05-03", "amount_per_unit": "0"}, 400, "invalid_amount"),
        (
            {"payment_date": "2027-05-03", "amount_per_unit": "1", "record_date": "2027-05-04"},
            400,
            "record_after_payment",
        ),
        ({"payment_date": "2020-05-04", "amount_per_unit": "1"}, 400, "payment_date_in_past"),
        (
            {"payment_date": "2027-05-03", "amount_per_unit": "1", "kind": "coupon"},
            400,
            "kind_not_applicable",
        ),
        ({"payment_date": "not a date", "amount_per_unit": "1"}, 400, None),
        (
            {"payment_date": "2027-05-03", "amount_per_unit": "10", "kind": "split", "split_numerator": 0},
            400,
            None,
        ),
        (
            {
                "payment_date": "2027-05-03",
                "amount_per_unit": "10",
                "kind": "split",
                "split_numerator": 1,
                "split_denominator": 2,
            },
            400,
            "invalid_ratio",
        ),
        (
            {"payment_date": "2027-05-03", "amount_per_unit": "10", "kind": "reverse_split"},
            400,
            "invalid_ratio",
        ),
    ],
)
def test_invalid_proposals_are_4xx_and_write_nothing(api_client_for, maker, payload, status, code):
    share = _live(maker, _share_terms())
    answer = api_client_for(maker).post(
        "/api/v1/corporate-actions/",
        {"instrument": str(share.pk), "kind": "dividend", **payload},
        format="json",
    )
    assert answer.status_code == status
    if code is not None:
        assert answer.json()["error"]["code"] == code
    assert not CorporateAction.objects.exists()


def test_brokers_read_their_clients_entitlements(api_client_for, maker, make_user, broker_a, broker_b):
    share = _live(maker, _share_terms())
    action = CorporateAction.objects.create(
        instrument=share,
        kind="dividend",
        status=CorporateActionStatus.PAID,
        record_date="2027-04-30",
        ex_date="2027-04-30",
        payment_date="2027-05-03",
        amount_per_unit=Decimal("0.85"),
    )
    draft = CorporateAction.objects.create(
        instrument=share,
        kind="dividend",
        record_date="2027-05-31",
        ex_date="2027-05-31",
        payment_date="2027-06-01",
        amount_per_unit=Decimal("0.10"),
    )
    for broker, count in ((broker_a, 3), (broker_b, 1)):
        for n in range(count):
            client = ClientAccount.objects.create(
                broker=broker, account_reference=f"{broker.pk.hex[:6]}-{n}", name="C"
            )
            Entitlement.objects.create(
                action=action,
                holder=f"00{broker.pk.hex[:8]}{n}",
                holder_name="C",
                holder_kind="client account",
                client_account=client,
                units=10,
                position=Decimal(10),
                gross=Decimal("8.50"),
                net=Decimal("8.50"),
            )
    trader = api_client_for(make_user(broker_a, Role.BROKER_TRADER))
    page = trader.get("/api/v1/entitlements/?state=paid&page_size=2").json()
    assert (page["count"], len(page["results"]), page["next"] is not None) == (3, 2, True)
    assert page["results"][0]["net"] == "8.50"
    assert trader.get("/api/v1/entitlements/?state=upcoming").json()["count"] == 0
    assert trader.get(f"/api/v1/corporate-actions/{draft.pk}/").status_code == 404
    assert trader.get(f"/api/v1/corporate-actions/{action.pk}/").status_code == 200
    assert trader.get(f"/api/v1/corporate-actions/{action.pk}/entitlements/preview/").status_code == 403
    refused = trader.post(
        "/api/v1/corporate-actions/",
        {
            "instrument": str(share.pk),
            "kind": "dividend",
            "payment_date": "2027-05-03",
            "amount_per_unit": "1",
        },
        format="json",
    )
    assert refused.status_code == 403
