"""Citadel through the REST API (docs/api.md "Citadel"): who may register providers, issue
and revoke licences, read them (no attribute is ever returned), set an instrument's KYC mode
and open a session; validation answers 400 with the code."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from identity.models import CitadelProvider
from identity.roles import Role
from issuance.models import Instrument, InstrumentStatus
from tests.identity.test_citadel import investor, kyc_officer, kyc_org, provider  # noqa: F401 - fixtures
from tests.issuance.conftest import make_bond_terms


def _body(client_account_id: object, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "client_account_id": str(client_account_id),
        "jurisdiction": "DE",
        "accredited": True,
        "birth_date": "1979-03-14",
        "expires_on": (timezone.now().date() + dt.timedelta(days=300)).isoformat(),
    }
    body.update(overrides)
    return body


def test_api_provider_registration_is_the_operators(api_client_for, operator, kyc_officer, kyc_org):  # noqa: F811
    url = "/api/v1/citadel/providers/"
    assert (
        api_client_for(kyc_officer).post(url, {"organisation_id": str(kyc_org.pk)}, format="json").status_code
        == 403
    )
    response = api_client_for(operator).post(url, {"organisation_id": str(kyc_org.pk)}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == CitadelProvider.Status.PENDING
    assert api_client_for(kyc_officer).get(url).json()["count"] == 1


def test_api_licence_issue_read_scope_and_revoke(
    api_client_for,
    provider,  # noqa: F811
    kyc_officer,  # noqa: F811
    investor,  # noqa: F811
    make_user,
    broker_b,
    regulator,
):
    response = api_client_for(kyc_officer).post(
        "/api/v1/citadel/licences/", _body(investor.pk), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending"
    assert not {"jurisdiction", "accredited", "birth_date", "attributes"} & set(body)
    url = f"/api/v1/citadel/licences/{body['id']}/"
    own_broker = make_user(investor.broker, Role.BROKER_BACK_OFFICE)
    assert api_client_for(own_broker).get(url).status_code == 200
    assert api_client_for(regulator).get(url).status_code == 200
    assert api_client_for(make_user(broker_b, Role.BROKER_BACK_OFFICE)).get(url).status_code == 404
    assert api_client_for(own_broker).post(url + "revoke/", {"reason": "x"}, format="json").status_code == 403
    pending = api_client_for(kyc_officer).post(url + "revoke/", {"reason": "fraud"}, format="json")
    assert pending.status_code == 409
    assert pending.json()["error"]["code"] == "not_revocable"


def test_api_invalid_licence_input_answers_400_with_the_code(api_client_for, provider, kyc_officer, investor):  # noqa: F811
    client = api_client_for(kyc_officer)
    bad_country = client.post(
        "/api/v1/citadel/licences/", _body(investor.pk, jurisdiction="ZZ"), format="json"
    )
    assert bad_country.status_code == 400
    assert bad_country.json()["error"]["code"] == "invalid_attribute"
    past = client.post(
        "/api/v1/citadel/licences/", _body(investor.pk, expires_on="2001-01-01"), format="json"
    )
    assert past.json()["error"]["code"] == "invalid_expiry"


def test_api_kyc_mode_and_session_permissions(api_client_for, issuer, maker, investor, make_user, broker_b):  # noqa: F811
    instrument = Instrument.objects.create(
        **make_bond_terms(), issuer=issuer, status=InstrumentStatus.LIVE, contract_id="0x" + "ab" * 32
    )
    url = f"/api/v1/instruments/{instrument.pk}/"
    other = make_user(broker_b, Role.BROKER_BACK_OFFICE)
    assert (
        api_client_for(other).post(url + "kyc-mode/", {"kyc_mode": "citadel"}, format="json").status_code
        == 403
    )
    bad = api_client_for(maker).post(url + "kyc-mode/", {"kyc_mode": "sometimes"}, format="json")
    assert bad.status_code == 400
    session = {"client_account_id": str(investor.pk)}
    claims_only = api_client_for(make_user(investor.broker, Role.BROKER_BACK_OFFICE)).post(
        url + "citadel-sessions/", session, format="json"
    )
    assert claims_only.status_code == 409
    assert claims_only.json()["error"]["code"] == "claims_mode"
    done = api_client_for(maker).post(url + "kyc-mode/", {"kyc_mode": "both"}, format="json")
    assert done.status_code == 200
    assert done.json()["kyc_mode"] == "both"
    no_rules = api_client_for(make_user(investor.broker, Role.BROKER_BACK_OFFICE)).post(
        url + "citadel-sessions/", session, format="json"
    )
    assert no_rules.json()["error"]["code"] == "no_applied_rules"
