"""Maker-checker by editing (issue 16): everyone who created, edited or submitted a draft
instrument is a maker of it and may not approve it, through the real API views."""

from __future__ import annotations

from decimal import Decimal

import pytest

from identity.roles import Role
from issuance.models import Instrument, InstrumentStatus
from tests.issuance.conftest import api_terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft_id(api_client_for, maker, bond_terms) -> str:
    terms = api_terms(bond_terms) | {"issue_size": "50000000", "coupon_rate": "3"}
    created = api_client_for(maker).post("/api/v1/instruments/", terms, format="json")
    assert created.status_code == 201, created.json()
    return created.json()["id"]


def test_an_editor_of_another_makers_draft_cannot_approve_it(
    api_client_for, make_user, issuer, maker, draft_id
):
    editor = make_user(issuer, Role.ISSUER_ADMIN, Role.ISSUER_APPROVER)
    checker = make_user(issuer, Role.ISSUER_APPROVER)
    edited = api_client_for(editor).patch(
        f"/api/v1/instruments/{draft_id}/",
        {"issue_size": "90000000", "coupon_rate": "9"},
        format="json",
    )
    assert edited.status_code == 200, edited.json()
    submitted = api_client_for(maker).post(f"/api/v1/instruments/{draft_id}/submit/")
    assert submitted.status_code == 200, submitted.json()

    refused = api_client_for(editor).post(f"/api/v1/instruments/{draft_id}/approve/")
    assert refused.status_code == 403, refused.json()
    error = refused.json()["error"]
    assert error["code"] == "maker_cannot_approve"
    assert "never changed it" in error["message"]
    assert error["details"]["maker"] == editor.username
    assert error["details"]["fields"] == ["coupon_rate", "issue_size"]
    assert Instrument.objects.get(pk=draft_id).status == InstrumentStatus.SUBMITTED

    rejected = api_client_for(editor).post(
        f"/api/v1/instruments/{draft_id}/reject/", {"comment": "no"}, format="json"
    )
    assert (rejected.status_code, rejected.json()["error"]["code"]) == (403, "maker_cannot_approve")

    by_maker = api_client_for(maker).post(f"/api/v1/instruments/{draft_id}/approve/")
    assert by_maker.status_code == 403
    assert by_maker.json()["error"]["code"] in {"permission_denied", "maker_cannot_approve"}

    approved = api_client_for(checker).post(f"/api/v1/instruments/{draft_id}/approve/")
    assert approved.status_code == 200, approved.json()
    assert approved.json()["approved_by"] == checker.username
    instrument = Instrument.objects.get(pk=draft_id)
    assert (instrument.issue_size, instrument.coupon_rate) == (Decimal("90000000"), Decimal("9"))


def test_a_maker_with_the_approver_role_still_cannot_approve(api_client_for, make_user, issuer, bond_terms):
    both = make_user(issuer, Role.ISSUER_ADMIN, Role.ISSUER_APPROVER)
    created = api_client_for(both).post("/api/v1/instruments/", api_terms(bond_terms), format="json")
    instrument_id = created.json()["id"]
    assert api_client_for(both).post(f"/api/v1/instruments/{instrument_id}/submit/").status_code == 200
    refused = api_client_for(both).post(f"/api/v1/instruments/{instrument_id}/approve/")
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "maker_cannot_approve")


def test_the_detail_lists_who_changed_which_fields(api_client_for, make_user, issuer, maker, draft_id):
    editor = make_user(issuer, Role.ISSUER_ADMIN, Role.ISSUER_APPROVER)
    api_client_for(editor).patch(
        f"/api/v1/instruments/{draft_id}/", {"issue_size": "90000000", "coupon_rate": "9"}, format="json"
    )
    api_client_for(maker).post(f"/api/v1/instruments/{draft_id}/submit/")
    detail = api_client_for(make_user(issuer, Role.ISSUER_APPROVER)).get(f"/api/v1/instruments/{draft_id}/")
    assert detail.status_code == 200
    makers = detail.json()["makers"]
    assert [(m["user"], m["action"]) for m in makers] == [
        (maker.username, "instrument.create"),
        (editor.username, "instrument.update"),
        (maker.username, "instrument.submitted"),
    ]
    assert makers[1]["fields"] == ["coupon_rate", "issue_size"]
    assert makers[2]["fields"] == ["status"]
    assert "issue_size" in makers[0]["fields"]
    assert all(m["at"] for m in makers)


def test_a_rejecting_checker_is_not_a_maker(api_client_for, make_user, issuer, maker, draft_id):
    checker = make_user(issuer, Role.ISSUER_APPROVER)
    api_client_for(maker).post(f"/api/v1/instruments/{draft_id}/submit/")
    rejected = api_client_for(checker).post(
        f"/api/v1/instruments/{draft_id}/reject/", {"comment": "coupon too low"}, format="json"
    )
    assert rejected.status_code == 200, rejected.json()
    api_client_for(maker).patch(f"/api/v1/instruments/{draft_id}/", {"coupon_rate": "4"}, format="json")
    api_client_for(maker).post(f"/api/v1/instruments/{draft_id}/submit/")
    approved = api_client_for(checker).post(f"/api/v1/instruments/{draft_id}/approve/")
    assert approved.status_code == 200, approved.json()
