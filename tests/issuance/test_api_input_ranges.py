"""Terms QuantLib or the arithmetic cannot take are a 400 naming the field, not a 500 later:
dates outside QuantLib's calendars (1901–2199), a face value, denomination or issue size of 0."""

from __future__ import annotations

import pytest

from issuance.models import Instrument
from tests.issuance.conftest import api_terms

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("dated_date", "0001-01-01"),
        ("issue_date", "1900-12-31"),
        ("maturity_date", "2300-03-16"),
        ("maturity_date", "9999-12-31"),
        ("face_value", "0"),
        ("face_value", "-1000"),
        ("minimum_denomination", "0"),
        ("issue_size", "0"),
    ],
)
def test_out_of_range_terms_are_a_400_naming_the_field(api_client_for, maker, bond_terms, field, value):
    response = api_client_for(maker).post("/api/v1/instruments/", api_terms(bond_terms) | {field: value})
    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]
    assert not Instrument.objects.exists()


def test_an_edit_out_of_range_is_a_400_too(api_client_for, maker, bond_terms):
    created = api_client_for(maker).post("/api/v1/instruments/", api_terms(bond_terms))
    assert created.status_code == 201
    response = api_client_for(maker).patch(
        f"/api/v1/instruments/{created.json()['id']}/", {"maturity_date": "2300-03-16"}, format="json"
    )
    assert response.status_code == 400
    assert "maturity_date" in response.json()["error"]["details"]


def test_the_calendars_last_years_are_accepted_and_scheduled(api_client_for, maker, bond_terms):
    client = api_client_for(maker)
    body = api_terms(bond_terms) | {"issue_date": "2194-03-16", "maturity_date": "2199-03-16"}
    created = client.post("/api/v1/instruments/", body)
    assert created.status_code == 201, created.content[:300]
    schedule = client.get(f"/api/v1/instruments/{created.json()['id']}/schedule/")
    assert schedule.status_code == 200
