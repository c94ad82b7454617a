"""Organisation scoping: a user sees its own organisation's data unless it is a regulator or
an operator; objects it may not know exist are 404, actions its role forbids are 403."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from identity.models import ClientAccount, Organisation, User
from identity.roles import Role
from tests.factories import ClientAccountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def trader_a(make_user: Callable[..., User], broker_a: Organisation) -> User:
    return make_user(broker_a, Role.BROKER_TRADER)


@pytest.fixture
def back_office_a(make_user: Callable[..., User], broker_a: Organisation) -> User:
    return make_user(broker_a, Role.BROKER_BACK_OFFICE)


@pytest.fixture
def trader_b(make_user: Callable[..., User], broker_b: Organisation) -> User:
    return make_user(broker_b, Role.BROKER_TRADER)


@pytest.fixture
def account_a(broker_a: Organisation) -> ClientAccount:
    return ClientAccountFactory.create(broker=broker_a)


@pytest.fixture
def account_b(broker_b: Organisation) -> ClientAccount:
    return ClientAccountFactory.create(broker=broker_b)


def test_broker_reads_its_own_client_account(api_client_for, trader_a, account_a):
    response = api_client_for(trader_a).get(f"/api/v1/client-accounts/{account_a.pk}/")
    assert response.status_code == 200
    assert response.json()["account_reference"] == account_a.account_reference


def test_invalid_broker_reads_another_brokers_client_account_gets_404(api_client_for, trader_a, account_b):
    response = api_client_for(trader_a).get(f"/api/v1/client-accounts/{account_b.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_broker_list_excludes_other_brokers_accounts(api_client_for, trader_a, account_a, account_b):
    body = api_client_for(trader_a).get("/api/v1/client-accounts/").json()
    assert [row["id"] for row in body["results"]] == [str(account_a.pk)]
    assert body["count"] == 1


def test_invalid_broker_reads_another_brokers_organisation_gets_404(api_client_for, trader_a, broker_b):
    response = api_client_for(trader_a).get(f"/api/v1/organisations/{broker_b.pk}/")
    assert response.status_code == 404


def test_invalid_broker_reads_another_brokers_user_gets_404(api_client_for, trader_a, trader_b):
    response = api_client_for(trader_a).get(f"/api/v1/users/{trader_b.pk}/")
    assert response.status_code == 404


def test_broker_sees_only_its_organisation(api_client_for, trader_a, broker_a, broker_b, issuer):
    body = api_client_for(trader_a).get("/api/v1/organisations/").json()
    assert [row["id"] for row in body["results"]] == [str(broker_a.pk)]


@pytest.mark.parametrize("who", ["regulator", "operator"])
def test_regulator_and_operator_see_every_organisation(
    request, api_client_for, who, account_a, account_b, issuer
):
    client: APIClient = api_client_for(request.getfixturevalue(who))
    assert client.get(f"/api/v1/client-accounts/{account_b.pk}/").status_code == 200
    accounts = client.get("/api/v1/client-accounts/").json()
    assert {row["id"] for row in accounts["results"]} == {str(account_a.pk), str(account_b.pk)}
    organisations = client.get("/api/v1/organisations/").json()
    assert organisations["count"] == Organisation.objects.count()


def test_issuer_sees_no_client_accounts(api_client_for, make_user, issuer, account_a):
    admin = make_user(issuer, Role.ISSUER_ADMIN)
    client = api_client_for(admin)
    assert client.get("/api/v1/client-accounts/").json()["count"] == 0
    assert client.get(f"/api/v1/client-accounts/{account_a.pk}/").status_code == 404


def test_back_office_opens_client_account_at_its_own_broker(api_client_for, back_office_a, broker_a):
    response = api_client_for(back_office_a).post(
        "/api/v1/client-accounts/",
        {"account_reference": "CLIENT-1", "name": "Ada Lovelace", "holder_type": "natural_person"},
    )
    assert response.status_code == 201, response.json()
    account = ClientAccount.objects.get(pk=response.json()["id"])
    assert account.broker == broker_a


def test_invalid_trader_cannot_open_client_account(api_client_for, trader_a):
    response = api_client_for(trader_a).post(
        "/api/v1/client-accounts/",
        {"account_reference": "CLIENT-1", "name": "Ada", "holder_type": "natural_person"},
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not ClientAccount.objects.exists()


def test_invalid_unauthenticated_request_gets_401(db):
    response = APIClient().get("/api/v1/organisations/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_invalid_bad_token_gets_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_audit_trail_is_scoped_and_role_gated(
    api_client_for, make_user, operator, broker_a, broker_b, back_office_a, trader_a
):
    api_client_for(back_office_a).post(
        "/api/v1/client-accounts/",
        {"account_reference": "CLIENT-9", "name": "Grace", "holder_type": "natural_person"},
    )
    officer_a = make_user(broker_a, Role.COMPLIANCE_OFFICER)
    officer_b = make_user(broker_b, Role.COMPLIANCE_OFFICER)
    entries_a = api_client_for(officer_a).get("/api/v1/audit-entries/").json()["results"]
    # The client account and its segregated chain address (created with it, by the system).
    actions = {e["action"]: e["actor"] for e in entries_a}
    assert actions == {"client_account.create": back_office_a.username, "chain_account.create": None}
    assert api_client_for(officer_b).get("/api/v1/audit-entries/").json()["count"] == 0
    assert api_client_for(operator).get("/api/v1/audit-entries/").json()["count"] == 2
    assert api_client_for(trader_a).get("/api/v1/audit-entries/").status_code == 403
