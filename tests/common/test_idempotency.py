"""Idempotency-Key: same key + same body replays the first response; a different body is 422."""

from __future__ import annotations

import pytest

from common.models import AuditEntry, IdempotencyRecord
from identity.models import ClientAccount, Organisation
from identity.roles import Role

pytestmark = pytest.mark.django_db

BODY = {"account_reference": "CLIENT-7", "name": "Emmy Noether", "holder_type": "natural_person"}


@pytest.fixture
def back_office(make_user, broker_a):
    return make_user(broker_a, Role.BROKER_BACK_OFFICE)


def test_same_key_same_body_returns_first_response_and_writes_once(api_client_for, back_office):
    client = api_client_for(back_office)
    first = client.post("/api/v1/client-accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post("/api/v1/client-accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert ClientAccount.objects.count() == 1
    assert AuditEntry.objects.filter(action="client_account.create").count() == 1


def test_same_key_with_keys_in_other_order_is_the_same_request(api_client_for, back_office):
    client = api_client_for(back_office)
    client.post("/api/v1/client-accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    reordered = dict(reversed(list(BODY.items())))
    assert client.post("/api/v1/client-accounts/", reordered, HTTP_IDEMPOTENCY_KEY="k-1").status_code == 201
    assert ClientAccount.objects.count() == 1


def test_invalid_same_key_different_body_is_422_and_writes_nothing(api_client_for, back_office):
    client = api_client_for(back_office)
    client.post("/api/v1/client-accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    response = client.post(
        "/api/v1/client-accounts/", {**BODY, "account_reference": "CLIENT-8"}, HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert list(ClientAccount.objects.values_list("account_reference", flat=True)) == ["CLIENT-7"]


def test_invalid_same_key_on_another_endpoint_is_422(api_client_for, make_user, operator_org, back_office):
    api_client_for(back_office).post("/api/v1/client-accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    operator = make_user(operator_org, Role.OPERATOR)
    client = api_client_for(operator)
    ok = client.post(
        "/api/v1/organisations/",
        {"legal_name": "N", "lei": "5493001KJTIIGC8Y1R12", "country": "GB", "kind": "issuer"},
        HTTP_IDEMPOTENCY_KEY="k-2",
    )
    assert ok.status_code == 201
    clash = client.post(
        f"/api/v1/users/{operator.pk}/roles/", {"role": "compliance_officer"}, HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert clash.status_code == 422
    assert not operator.role_assignments.filter(role="compliance_officer").exists()


def test_keys_are_scoped_per_user(api_client_for, make_user, broker_b, back_office):
    other = make_user(broker_b, Role.BROKER_BACK_OFFICE)
    assert (
        api_client_for(back_office)
        .post("/api/v1/client-accounts/", BODY, HTTP_IDEMPOTENCY_KEY="shared")
        .status_code
        == 201
    )
    response = api_client_for(other).post("/api/v1/client-accounts/", BODY, HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201
    assert response.json()["broker"] == str(broker_b.pk)
    assert ClientAccount.objects.count() == 2


def test_failed_request_is_not_remembered_and_can_be_retried(api_client_for, back_office):
    client = api_client_for(back_office)
    bad = client.post(
        "/api/v1/client-accounts/", {**BODY, "holder_type": "robot"}, HTTP_IDEMPOTENCY_KEY="k-3"
    )
    assert bad.status_code == 400
    assert not IdempotencyRecord.objects.exists()
    good = client.post("/api/v1/client-accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k-3")
    assert good.status_code == 201


def test_business_rule_failure_rolls_back_everything(api_client_for, back_office):
    client = api_client_for(back_office)
    client.post("/api/v1/client-accounts/", BODY)
    duplicate = client.post("/api/v1/client-accounts/", BODY, HTTP_IDEMPOTENCY_KEY="k-4")
    assert duplicate.status_code == 409
    assert duplicate.json()["error"]["code"] == "client_account_exists"
    assert not IdempotencyRecord.objects.exists()
    assert ClientAccount.objects.count() == 1


@pytest.mark.parametrize("key", ["x" * 256, "clé-non-ascii", "tab\tkey"])
def test_invalid_key_format_is_400(api_client_for, back_office, key):
    response = api_client_for(back_office).post("/api/v1/client-accounts/", BODY, HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["details"]
    assert not ClientAccount.objects.exists()
    assert Organisation.objects.count() == 1
