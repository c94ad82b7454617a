"""Registering organisations (LEI checks) and users with roles, through the API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from common.models import AuditEntry
from identity.models import Organisation, RoleAssignment, User, validate_lei
from identity.roles import OrganisationKind, Role

pytestmark = pytest.mark.django_db

GLEIF_SAMPLE = Path(__file__).resolve().parents[3] / "shared/vectors/securities/gleif-lei-sample/L1Data.ttl"


def gleif_leis() -> list[str]:
    if not GLEIF_SAMPLE.exists():
        return []
    return sorted(set(re.findall(r"\b[0-9A-Z]{18}[0-9]{2}\b", GLEIF_SAMPLE.read_text())))


@pytest.mark.skipif(not GLEIF_SAMPLE.exists(), reason="../shared/vectors is not beside the clone")
def test_real_gleif_leis_are_accepted():
    leis = gleif_leis()
    assert len(leis) >= 11
    for lei in leis:
        validate_lei(lei)


@pytest.mark.parametrize(
    ("lei", "reason"),
    [
        ("5493001KJTIIGC8Y1R13", "checksum"),  # last digit changed
        ("5493001KJTIIGC8Y1R1", "length"),
        ("5493001KJTIIGC8Y1R1!", "format"),
        ("5493001kjtiigc8y1r12", "compact"),
    ],
)
def test_invalid_lei_is_rejected(lei, reason):
    with pytest.raises(ValidationError):
        validate_lei(lei)


def _organisation_body(**overrides):
    body = {
        "legal_name": "Northwind Bank plc",
        "lei": "5493001KJTIIGC8Y1R12",
        "country": "GB",
        "kind": "broker",
    }
    body.update(overrides)
    return body


def test_operator_registers_organisation_and_it_is_audited(api_client_for, operator):
    response = api_client_for(operator).post("/api/v1/organisations/", _organisation_body())
    assert response.status_code == 201, response.json()
    organisation = Organisation.objects.get(lei="5493001KJTIIGC8Y1R12")
    assert organisation.kind == OrganisationKind.BROKER
    entry = AuditEntry.objects.get(action="organisation.create", object_id=str(organisation.pk))
    assert entry.actor == operator
    assert entry.changes["lei"] == "5493001KJTIIGC8Y1R12"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"lei": "5493001KJTIIGC8Y1R13"}, "lei"),
        ({"lei": "TOO-SHORT"}, "lei"),
        ({"country": "XX"}, "country"),
        ({"kind": "bank"}, "kind"),
        ({"legal_name": ""}, "legal_name"),
    ],
)
def test_invalid_organisation_input_is_400_and_writes_nothing(api_client_for, operator, override, field):
    before = Organisation.objects.count(), AuditEntry.objects.count()
    response = api_client_for(operator).post("/api/v1/organisations/", _organisation_body(**override))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert (Organisation.objects.count(), AuditEntry.objects.count()) == before


def test_invalid_missing_fields_are_listed(api_client_for, operator):
    response = api_client_for(operator).post("/api/v1/organisations/", {})
    assert response.status_code == 400
    assert set(response.json()["error"]["details"]) == {"legal_name", "lei", "country", "kind"}


def test_invalid_duplicate_lei_is_rejected(api_client_for, operator):
    client = api_client_for(operator)
    assert client.post("/api/v1/organisations/", _organisation_body()).status_code == 201
    response = client.post("/api/v1/organisations/", _organisation_body(legal_name="Other"))
    assert response.status_code == 400
    assert "lei" in response.json()["error"]["details"]
    assert Organisation.objects.filter(lei="5493001KJTIIGC8Y1R12").count() == 1


def test_invalid_non_operator_cannot_register_organisation(api_client_for, make_user, regulator):
    response = api_client_for(regulator).post("/api/v1/organisations/", _organisation_body())
    assert response.status_code == 403
    assert not Organisation.objects.filter(lei="5493001KJTIIGC8Y1R12").exists()


def test_operator_creates_user_with_roles(api_client_for, operator, issuer):
    response = api_client_for(operator).post(
        "/api/v1/users/",
        {
            "organisation_id": str(issuer.pk),
            "username": "ines",
            "email": "Ines@Issuer.test",
            "password": "a-long-enough-passphrase",
            "roles": ["issuer_admin", "compliance_officer"],
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["roles"] == ["compliance_officer", "issuer_admin"]
    user = User.objects.get(username="ines")
    assert user.email == "ines@issuer.test"
    assert user.check_password("a-long-enough-passphrase")
    assert AuditEntry.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_invalid_unknown_role_is_400_and_writes_nothing(api_client_for, operator, issuer):
    response = api_client_for(operator).post(
        "/api/v1/users/",
        {
            "organisation_id": str(issuer.pk),
            "username": "ines",
            "email": "ines@issuer.test",
            "roles": ["chief_wizard"],
        },
    )
    assert response.status_code == 400
    assert "roles" in response.json()["error"]["details"]
    assert not User.objects.filter(username="ines").exists()


def test_invalid_role_not_fitting_organisation_kind(api_client_for, operator, issuer):
    response = api_client_for(operator).post(
        "/api/v1/users/",
        {
            "organisation_id": str(issuer.pk),
            "username": "ines",
            "email": "ines@issuer.test",
            "roles": ["broker_trader"],
        },
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "role_not_allowed_for_organisation"
    assert not User.objects.filter(username="ines").exists()


def test_invalid_weak_password_is_rejected(api_client_for, operator, issuer):
    response = api_client_for(operator).post(
        "/api/v1/users/",
        {
            "organisation_id": str(issuer.pk),
            "username": "ines",
            "email": "ines@issuer.test",
            "password": "12345678",
        },
    )
    assert response.status_code == 400
    assert not User.objects.filter(username="ines").exists()


def test_grant_and_revoke_role(api_client_for, operator, make_user, issuer):
    user = make_user(issuer, Role.ISSUER_ADMIN)
    client = api_client_for(operator)
    response = client.post(f"/api/v1/users/{user.pk}/roles/", {"role": "issuer_approver"})
    assert response.status_code == 201, response.json()
    assert response.json()["roles"] == ["issuer_admin", "issuer_approver"]
    assert client.post(f"/api/v1/users/{user.pk}/roles/", {"role": "issuer_approver"}).status_code == 409
    assert client.delete(f"/api/v1/users/{user.pk}/roles/issuer_approver/").status_code == 204
    assert list(RoleAssignment.objects.filter(user=user).values_list("role", flat=True)) == ["issuer_admin"]
    assert client.delete(f"/api/v1/users/{user.pk}/roles/issuer_approver/").status_code == 400
    assert client.delete(f"/api/v1/users/{user.pk}/roles/wizard/").status_code == 400
    actions = list(AuditEntry.objects.filter(object_id=str(user.pk)).values_list("action", flat=True))
    assert sorted(actions) == ["role.grant", "role.revoke"]


def test_filters_and_pagination(api_client_for, operator, issuer, broker_a, broker_b):
    client = api_client_for(operator)
    brokers = client.get("/api/v1/organisations/?kind=broker").json()
    assert {row["id"] for row in brokers["results"]} == {str(broker_a.pk), str(broker_b.pk)}
    page = client.get("/api/v1/organisations/?page_size=2").json()
    assert page["count"] == Organisation.objects.count()
    assert len(page["results"]) == 2
    assert page["next"] is not None
    bad = client.get("/api/v1/organisations/?kind=bank")
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "validation_error"
    operators = client.get(f"/api/v1/users/?role={Role.OPERATOR.value}").json()
    assert [row["username"] for row in operators["results"]] == [operator.username]
