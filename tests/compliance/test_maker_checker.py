"""Maker-checker by editing (issue 16) for transfer rule sets: every compliance officer who
created, edited or submitted a rule set version is a maker of it and may not approve it."""

from __future__ import annotations

import pytest

from compliance.models import RuleSet, RuleSetStatus
from identity.models import Organisation, User
from identity.roles import Role
from identity.services import chain_account_create
from issuance.models import Instrument, InstrumentStatus
from tests.issuance.conftest import make_bond_terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def bond(issuer: Organisation) -> Instrument:
    chain_account_create(organisation=issuer)
    return Instrument.objects.create(
        **make_bond_terms(), issuer=issuer, status=InstrumentStatus.LIVE, contract_id="0x" + "ab" * 32
    )


@pytest.fixture
def officers(make_user, issuer: Organisation) -> list[User]:
    return [make_user(issuer, Role.COMPLIANCE_OFFICER) for _ in range(3)]


def test_an_editor_of_another_officers_version_2_cannot_approve_it(api_client_for, bond, officers):
    maker, editor, checker = officers
    first = api_client_for(maker).post(
        f"/api/v1/instruments/{bond.pk}/rule-sets/", {"max_holders": 100}, format="json"
    )
    assert first.status_code == 201, first.json()
    RuleSet.objects.filter(pk=first.json()["id"]).update(status=RuleSetStatus.REJECTED)
    created = api_client_for(maker).post(
        f"/api/v1/instruments/{bond.pk}/rule-sets/", {"max_holders": 100}, format="json"
    )
    assert (created.status_code, created.json()["version"]) == (201, 2)
    rule_set_id = created.json()["id"]
    edited = api_client_for(editor).patch(
        f"/api/v1/rule-sets/{rule_set_id}/",
        {"max_holders": 5000, "allowed_jurisdictions": ["KY"]},
        format="json",
    )
    assert edited.status_code == 200, edited.json()
    submitted = api_client_for(maker).post(f"/api/v1/rule-sets/{rule_set_id}/submit/")
    assert submitted.status_code == 200, submitted.json()

    refused = api_client_for(editor).post(f"/api/v1/rule-sets/{rule_set_id}/approve/")
    assert refused.status_code == 403, refused.json()
    error = refused.json()["error"]
    assert error["code"] == "maker_cannot_approve"
    assert error["details"]["maker"] == editor.username
    assert error["details"]["fields"] == ["allowed_jurisdictions", "max_holders"]
    assert RuleSet.objects.get(pk=rule_set_id).status == RuleSetStatus.PENDING

    rejected = api_client_for(editor).post(
        f"/api/v1/rule-sets/{rule_set_id}/reject/", {"comment": "no"}, format="json"
    )
    assert (rejected.status_code, rejected.json()["error"]["code"]) == (403, "maker_cannot_approve")
    by_maker = api_client_for(maker).post(f"/api/v1/rule-sets/{rule_set_id}/approve/")
    assert (by_maker.status_code, by_maker.json()["error"]["code"]) == (403, "maker_cannot_approve")

    detail = api_client_for(checker).get(f"/api/v1/rule-sets/{rule_set_id}/").json()
    assert [(m["user"], m["action"]) for m in detail["makers"]] == [
        (maker.username, "rule_set.create"),
        (editor.username, "rule_set.update"),
        (maker.username, "rule_set.pending"),
    ]
    assert detail["makers"][1]["fields"] == ["allowed_jurisdictions", "max_holders"]

    approved = api_client_for(checker).post(f"/api/v1/rule-sets/{rule_set_id}/approve/")
    assert approved.status_code == 200, approved.json()
    assert (approved.json()["status"], approved.json()["decided_by"]) == ("approved", checker.username)
