"""Issuance pages: role-gated navigation, inline validation, detail with schedule and history."""

from __future__ import annotations

import pytest

from identity.roles import Role
from issuance import services
from issuance.models import Instrument
from tests.issuance.conftest import api_terms, make_bond_terms

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bond_terms():
    return make_bond_terms()


def test_navigation_per_role(client, maker, approver, make_user, broker_a):
    client.force_login(maker)
    html = client.get("/").content.decode()
    assert "New instrument" in html
    assert "Approval inbox" not in html
    client.force_login(approver)
    html = client.get("/").content.decode()
    assert "Approval inbox" in html
    assert "New instrument" not in html
    assert client.get("/instruments/new/").status_code == 403
    client.force_login(make_user(broker_a, Role.BROKER_TRADER))
    assert client.get("/instruments/").status_code == 200
    assert client.get("/instruments/inbox/").status_code == 403


def test_create_through_the_form_and_see_the_detail(client, maker, bond_terms):
    client.force_login(maker)
    response = client.post("/instruments/new/", api_terms(bond_terms))
    instrument = Instrument.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/instruments/{instrument.pk}/"
    html = client.get(response["Location"]).content.decode()
    assert "XS0000000009" in html
    assert 'id="coupon-chart"' in html
    assert "2027-03-16" in html
    assert "instrument.create" in html
    assert "Submit for approval" in html


def test_invalid_form_shows_errors_and_saves_nothing(client, maker, bond_terms):
    client.force_login(maker)
    body = api_terms(bond_terms) | {"isin": "XS0000000008", "maturity_date": "2020-01-01"}
    response = client.post("/instruments/new/", body)
    assert response.status_code == 200
    html = response.content.decode()
    assert "not a valid ISIN" in html
    assert "after the issue date" in html
    assert not Instrument.objects.exists()


def test_inline_validation_partial(client, maker, bond_terms):
    client.force_login(maker)
    services.instrument_create(actor=maker, terms=bond_terms)
    response = client.post(
        "/instruments/validate/", api_terms(bond_terms) | {"day_count": "nope"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="instrument-form-fields"' in html
    assert "<html" not in html
    assert 'data-field-error="day_count"' in html
    response = client.post("/instruments/validate/", api_terms(bond_terms))
    assert "already exists" in response.content.decode()


def test_approver_sees_inbox_and_approves(client, maker, approver, bond_terms):
    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    services.instrument_submit(actor=maker, instrument_id=instrument.pk)
    client.force_login(approver)
    assert instrument.isin in client.get("/instruments/inbox/").content.decode()
    response = client.post(f"/instruments/{instrument.pk}/approve/", follow=True)
    assert "Approved." in response.content.decode()
    instrument.refresh_from_db()
    assert instrument.status == "approved"


def test_maker_approving_through_the_page_is_refused(client, make_user, issuer, bond_terms):
    both = make_user(issuer, Role.ISSUER_ADMIN, Role.ISSUER_APPROVER)
    instrument = services.instrument_create(actor=both, terms=bond_terms)
    services.instrument_submit(actor=both, instrument_id=instrument.pk)
    client.force_login(both)
    html = client.post(f"/instruments/{instrument.pk}/approve/", follow=True).content.decode()
    assert "cannot approve" in html
    instrument.refresh_from_db()
    assert instrument.status == "submitted"


def test_broker_sees_read_only_detail_of_published_instrument(client, maker, bond_terms, make_user, broker_a):
    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    trader = make_user(broker_a, Role.BROKER_TRADER)
    client.force_login(trader)
    assert client.get(f"/instruments/{instrument.pk}/").status_code == 404
    Instrument.objects.filter(pk=instrument.pk).update(status="approved")
    html = client.get(f"/instruments/{instrument.pk}/").content.decode()
    assert "Submit for approval" not in html
    assert ">Approve<" not in html
    assert "Upload PDF" not in html
    assert "/edit/" not in html


def test_the_detail_shows_the_makers_and_refuses_an_editor_the_approve_button(
    client, maker, make_user, issuer, bond_terms
):
    editor = make_user(issuer, Role.ISSUER_ADMIN, Role.ISSUER_APPROVER)
    checker = make_user(issuer, Role.ISSUER_APPROVER)
    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    services.instrument_update(
        actor=editor, instrument_id=instrument.pk, changes={"coupon_rate": "9", "issue_size": "90000000"}
    )
    services.instrument_submit(actor=maker, instrument_id=instrument.pk)
    client.force_login(editor)
    html = client.get(f"/instruments/{instrument.pk}/").content.decode()
    assert 'data-testid="approver-is-maker"' in html
    assert "instrument-approve" not in html
    assert f"/instruments/{instrument.pk}/approve/" not in html
    client.force_login(checker)
    html = client.get(f"/instruments/{instrument.pk}/").content.decode()
    assert 'data-testid="panel-makers"' in html
    assert editor.username in html
    assert "coupon_rate, issue_size" in html
    assert f"/instruments/{instrument.pk}/approve/" in html
