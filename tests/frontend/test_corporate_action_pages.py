"""Corporate action pages: an issuer admin proposes and submits, another user approves from
the inbox, errors are shown and write nothing; brokers see their clients' entitlements only
and not the issuer's pages."""

from __future__ import annotations

from decimal import Decimal

import pytest

from corporate_actions.models import CorporateAction, CorporateActionStatus, Entitlement
from identity.models import ClientAccount
from identity.roles import Role
from tests.corporate_actions.test_corporate_actions import _live, _share_terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def bond():  # the settlement tests' bond is not needed here
    return None


def test_propose_submit_and_approve_in_the_ui(client, maker, approver):
    share = _live(maker, _share_terms())
    client.force_login(maker)
    page = client.get("/corporate-actions/").content.decode()
    assert 'data-testid="ca-propose"' in page
    assert share.isin in page
    bad = client.post(
        "/corporate-actions/",
        {
            "instrument": str(share.pk),
            "kind": "dividend",
            "payment_date": "2027-05-03",
            "amount_per_unit": "0",
        },
        follow=True,
    )
    assert "The amount per unit must be positive." in bad.content.decode()
    assert not CorporateAction.objects.exists()
    answer = client.post(
        "/corporate-actions/",
        {
            "instrument": str(share.pk),
            "kind": "dividend",
            "payment_date": "2027-05-03",
            "amount_per_unit": "0.85",
        },
    )
    action = CorporateAction.objects.get()
    assert answer["Location"] == f"/corporate-actions/{action.pk}/"
    detail = client.get(answer["Location"]).content.decode()
    assert "Draft" in detail
    assert 'data-testid="ca-submit"' in detail
    assert "latest Final holdings" in detail
    client.post(f"/corporate-actions/{action.pk}/submit/")
    action.refresh_from_db()
    assert action.status == CorporateActionStatus.PENDING_APPROVAL
    assert 'data-testid="ca-approve"' not in client.get(f"/corporate-actions/{action.pk}/").content.decode()
    refused = client.post(f"/corporate-actions/{action.pk}/approve/", follow=True).content.decode()
    assert "Only an issuer approver" in refused

    client.force_login(approver)
    listing = client.get("/corporate-actions/").content.decode()
    assert 'data-testid="ca-inbox"' in listing
    assert 'data-testid="ca-propose"' not in listing
    client.post(f"/corporate-actions/{action.pk}/approve/")
    action.refresh_from_db()
    assert (action.status, action.approved_by) == (CorporateActionStatus.APPROVED, approver)


def test_brokers_see_their_entitlements_page_only(client, maker, make_user, broker_a, broker_b):
    share = _live(maker, _share_terms())
    action = CorporateAction.objects.create(
        instrument=share,
        kind="dividend",
        status=CorporateActionStatus.ENTITLED,
        record_date="2027-04-30",
        ex_date="2027-04-30",
        payment_date="2027-05-03",
        amount_per_unit=Decimal("0.85"),
    )
    for broker, name in ((broker_a, "Alice Client"), (broker_b, "Bob Client")):
        account = ClientAccount.objects.create(broker=broker, account_reference=name[:3], name=name)
        Entitlement.objects.create(
            action=action,
            holder="00" + broker.pk.hex,
            holder_name=name,
            holder_kind="client account",
            client_account=account,
            units=100,
            position=Decimal(100),
            gross=Decimal("85.00"),
            net=Decimal("85.00"),
        )
    client.force_login(make_user(broker_a, Role.BROKER_BACK_OFFICE))
    page = client.get("/entitlements/?state=upcoming").content.decode()
    assert "Alice Client" in page
    assert "Bob Client" not in page
    assert "85.00 EUR" in page
    assert "Alice Client" not in client.get("/entitlements/?state=paid").content.decode()
    assert client.get("/corporate-actions/").status_code == 403
    client.force_login(maker)
    assert client.get("/entitlements/").status_code == 403
    detail = client.get(f"/corporate-actions/{action.pk}/").content.decode()
    assert "record checkpoint" in detail
    assert "Alice Client" not in detail


def test_propose_a_split_in_the_ui(client, maker):
    share = _live(maker, _share_terms())
    client.force_login(maker)
    base = {"instrument": str(share.pk), "payment_date": "2027-06-01", "amount_per_unit": "40"}
    zero = client.post(
        "/corporate-actions/", {**base, "kind": "split", "split_numerator": "0", "split_denominator": "1"}
    )
    assert zero.status_code == 400
    assert "New units: Ensure this value is greater than or equal to 1." in zero.content.decode()
    wrong_way = client.post(
        "/corporate-actions/", {**base, "kind": "split", "split_numerator": "1", "split_denominator": "10"}
    )
    assert wrong_way.status_code == 400
    assert "for fewer, declare a reverse split" in wrong_way.content.decode()
    assert not CorporateAction.objects.exists()
    answer = client.post(
        "/corporate-actions/",
        {**base, "kind": "reverse_split", "split_numerator": "1", "split_denominator": "10"},
    )
    action = CorporateAction.objects.get()
    assert (action.kind, action.split_numerator, action.split_denominator) == ("reverse_split", 1, 10)
    detail = client.get(answer["Location"]).content.decode()
    assert "1 new for 10 old; fractions of a new unit paid at 40 EUR per new unit" in detail
    assert "Units after" in detail
