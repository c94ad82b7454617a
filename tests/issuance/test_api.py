"""REST API of instruments: permissions per role, error shape, filters, Idempotency-Key."""

from __future__ import annotations

import pytest

from identity.roles import Role
from issuance import services
from issuance.models import Instrument, InstrumentStatus
from tests.issuance.conftest import api_terms

pytestmark = pytest.mark.django_db


def test_issuer_admin_creates_and_approver_approves(api_client_for, maker, approver, bond_terms):
    response = api_client_for(maker).post(
        "/api/v1/instruments/", api_terms(bond_terms), HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert response.status_code == 201, response.json()
    instrument_id = response.json()["id"]
    again = api_client_for(maker).post(
        "/api/v1/instruments/", api_terms(bond_terms), HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert Instrument.objects.count() == 1
    assert api_client_for(maker).post(f"/api/v1/instruments/{instrument_id}/submit/").status_code == 200
    maker_approval = api_client_for(maker).post(f"/api/v1/instruments/{instrument_id}/approve/")
    assert maker_approval.status_code == 403
    assert maker_approval.json()["error"]["code"] in {"permission_denied", "maker_cannot_approve"}
    response = api_client_for(approver).post(f"/api/v1/instruments/{instrument_id}/approve/")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    assert response.json()["approved_by"] == approver.username


def test_invalid_terms_in_the_error_shape(api_client_for, maker, bond_terms):
    body = api_terms(bond_terms) | {"isin": "XS0000000008", "maturity_date": "2020-01-01"}
    response = api_client_for(maker).post("/api/v1/instruments/", body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert "not a valid ISIN" in " ".join(error["details"]["isin"])
    assert "after the issue date" in " ".join(error["details"]["maturity_date"])
    assert not Instrument.objects.exists()


def test_invalid_unsupported_convention_in_the_api(api_client_for, maker, bond_terms):
    response = api_client_for(maker).post(
        "/api/v1/instruments/", api_terms(bond_terms) | {"day_count": "act_366"}
    )
    assert response.status_code == 400
    assert "day_count" in response.json()["error"]["details"]
    assert not Instrument.objects.exists()


def test_invalid_duplicate_isin_is_409(api_client_for, maker, bond_terms):
    api_client_for(maker).post("/api/v1/instruments/", api_terms(bond_terms))
    response = api_client_for(maker).post("/api/v1/instruments/", api_terms(bond_terms))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_isin"


def test_visibility_per_role(api_client_for, maker, bond_terms, make_user, broker_a, regulator, issuer):
    draft = services.instrument_create(actor=maker, terms=bond_terms)
    trader = make_user(broker_a, Role.BROKER_TRADER)
    assert api_client_for(trader).get(f"/api/v1/instruments/{draft.pk}/").status_code == 404
    assert api_client_for(trader).get("/api/v1/instruments/").json()["count"] == 0
    assert api_client_for(regulator).get(f"/api/v1/instruments/{draft.pk}/").status_code == 200
    Instrument.objects.filter(pk=draft.pk).update(status=InstrumentStatus.APPROVED)
    assert api_client_for(trader).get(f"/api/v1/instruments/{draft.pk}/").status_code == 200
    # read-only: a broker cannot edit or approve what it may see
    assert api_client_for(trader).post(f"/api/v1/instruments/{draft.pk}/approve/").status_code == 403
    assert api_client_for(trader).post("/api/v1/instruments/", api_terms(bond_terms)).status_code == 403
    assert (
        api_client_for(regulator).patch(f"/api/v1/instruments/{draft.pk}/", {"name": "x"}).status_code == 403
    )


def test_other_issuer_cannot_see_a_draft(api_client_for, maker, bond_terms, make_user):
    from identity.roles import OrganisationKind
    from tests.factories import OrganisationFactory

    draft = services.instrument_create(actor=maker, terms=bond_terms)
    other = make_user(OrganisationFactory.create(kind=OrganisationKind.ISSUER), Role.ISSUER_APPROVER)
    assert api_client_for(other).get(f"/api/v1/instruments/{draft.pk}/").status_code == 404
    assert api_client_for(other).post(f"/api/v1/instruments/{draft.pk}/approve/").status_code == 404


def test_list_filters_and_search(api_client_for, maker, bond_terms):
    services.instrument_create(actor=maker, terms=bond_terms)
    client = api_client_for(maker)
    assert client.get("/api/v1/instruments/?search=aurora").json()["count"] == 1
    assert client.get("/api/v1/instruments/?search=XS00000").json()["count"] == 1
    assert client.get("/api/v1/instruments/?kind=equity_share").json()["count"] == 0
    assert client.get("/api/v1/instruments/?currency=eur&status=draft").json()["count"] == 1
    assert client.get("/api/v1/instruments/?status=bogus").status_code == 400


def test_update_and_reject_through_the_api(api_client_for, maker, approver, bond_terms):
    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    response = api_client_for(maker).patch(f"/api/v1/instruments/{instrument.pk}/", {"coupon_rate": "4.0"})
    assert response.status_code == 200
    assert response.json()["coupon_rate"] == "4.000000"
    api_client_for(maker).post(f"/api/v1/instruments/{instrument.pk}/submit/")
    response = api_client_for(approver).post(
        f"/api/v1/instruments/{instrument.pk}/reject/", {"comment": "Typo"}
    )
    assert response.status_code == 200
    assert response.json()["status"] == "draft"


def test_schedule_endpoint(api_client_for, maker, bond_terms):
    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    body = api_client_for(maker).get(f"/api/v1/instruments/{instrument.pk}/schedule/").json()
    assert len(body["coupons"]) == 5
    first = body["coupons"][0]
    assert first["accrual_start"] == "2026-03-16"
    assert first["accrual_end"] == "2027-03-16"
    assert first["amount"] == "0.035000000000"
    assert first["amount_per_unit"] == "35.000000000000"


def test_invalid_document_upload_not_pdf_api(api_client_for, maker, bond_terms):
    from django.core.files.uploadedfile import SimpleUploadedFile

    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    response = api_client_for(maker).post(
        f"/api/v1/instruments/{instrument.pk}/documents/",
        {"kind": "prospectus", "file": SimpleUploadedFile("x.pdf", b"GIF89a")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_pdf"
