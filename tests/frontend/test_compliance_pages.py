"""Compliance pages without a chain: who sees them, the editor's preview fragment refusing
an impossible rule set with every reason, submitting from the editor, the breach list with
its chart and the breach workflow, the actions page refusing a forced transfer without a
document. The preview against real holders: tests/e2e/test_compliance_rules.py."""

from __future__ import annotations

import pytest

from compliance import breaches, rulesets
from compliance.models import Breach, BreachSource, BreachStatus, ComplianceAction, RuleSet, RuleSetStatus
from identity.roles import Role
from identity.services import chain_account_create
from issuance.models import Instrument, InstrumentStatus
from tests.issuance.conftest import make_bond_terms


@pytest.fixture
def bond(issuer) -> Instrument:
    chain_account_create(organisation=issuer)
    return Instrument.objects.create(
        **make_bond_terms(), issuer=issuer, status=InstrumentStatus.LIVE, contract_id="0x" + "ab" * 32
    )


@pytest.fixture
def officer(make_user, issuer):
    return make_user(issuer, Role.COMPLIANCE_OFFICER)


def test_compliance_pages_are_for_compliance_officers(client, officer, make_user, broker_a, bond):
    client.force_login(make_user(broker_a, Role.BROKER_TRADER))
    for url in (
        "/compliance/rules/",
        "/compliance/breaches/",
        "/compliance/actions/",
        f"/compliance/rules/{bond.pk}/",
    ):
        assert client.get(url).status_code == 403, url
    client.force_login(officer)
    html = client.get("/").content.decode()
    assert all(label in html for label in ("Transfer rules", "Breaches", "Compliance actions"))
    home = client.get("/compliance/rules/").content.decode()
    assert bond.isin in home
    editor = client.get(f"/compliance/rules/{bond.pk}/").content.decode()
    assert 'hx-post="/compliance/rules/' in editor
    assert 'data-testid="rules-preview"' in editor


def test_preview_fragment_lists_every_problem(client, officer, bond):
    client.force_login(officer)
    response = client.post(
        f"/compliance/rules/{bond.pk}/preview/",
        {
            "allowed_jurisdictions": "DE, FR",
            "denied_jurisdictions": "FR",
            "max_holders": "3",
            "max_ownership_bps": "1",
        },
    )
    html = response.content.decode()
    assert 'data-testid="preview-problems"' in html
    assert "FR is both allowed and denied." in html
    assert "3 holders of at most 50 units each (1 bps) cannot hold the issue of 500000 units." in html
    unreadable = client.post(f"/compliance/rules/{bond.pk}/preview/", {"receiver": "[[{"}).content.decode()
    assert "not valid JSON" in unreadable
    no_node = client.post(f"/compliance/rules/{bond.pk}/preview/", {"kyc_required": "on"}).content.decode()
    assert "The chain cannot be read now" in no_node


def test_editor_submits_a_version_and_shows_errors(client, officer, bond):
    client.force_login(officer)
    refused = client.post(
        f"/compliance/rules/{bond.pk}/", {"allowed_jurisdictions": "DE", "denied_jurisdictions": "DE"}
    )
    assert refused.status_code == 400
    assert "DE is both allowed and denied." in refused.content.decode()
    assert RuleSet.objects.count() == 0
    response = client.post(f"/compliance/rules/{bond.pk}/", {"kyc_required": "on", "max_holders": "150"})
    rule_set = RuleSet.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/compliance/rule-sets/{rule_set.pk}/"
    assert (rule_set.status, rule_set.kyc_required, rule_set.max_holders) == (
        RuleSetStatus.PENDING,
        True,
        150,
    )
    assert 'data-testid="rule-decide"' not in client.get(response["Location"]).content.decode()  # the maker


def test_breach_list_chart_and_workflow(client, officer, bond):
    breach = breaches.breach_open(
        instrument=bond,
        found=breaches.FoundBreach("00" + "11" * 48, "Client X", 7, "Client X has no valid KYC claim"),
        source=BreachSource.SCAN,
    )
    assert breach is not None
    client.force_login(officer)
    html = client.get("/compliance/breaches/", {"code": "7"}).content.decode()
    assert 'id="breach-chart"' in html
    assert "/static/frontend/breaches.js" in html
    assert "Client X has no valid KYC claim" in html
    assert "Client X" not in client.get("/compliance/breaches/", {"status": "resolved"}).content.decode()
    url = f"/compliance/breaches/{breach.pk}/"
    detail = client.get(url).content.decode()
    assert "receiver_conditions" in detail
    assert 'data-testid="breach-workflow"' in detail
    assert "breach.open" in detail  # its history from the audit trail
    client.post(url, {"step": "resolve", "note": ""})
    assert Breach.objects.get(pk=breach.pk).status == BreachStatus.OPEN  # a note is mandatory
    client.post(url, {"step": "resolve", "note": "claims renewed"})
    assert Breach.objects.get(pk=breach.pk).status == BreachStatus.RESOLVED


def test_forced_transfer_without_document_is_refused(client, officer, bond):
    client.force_login(officer)
    page = client.get("/compliance/actions/").content.decode()
    assert 'data-testid="forced-transfer-form"' in page
    assert 'enctype="multipart/form-data"' in page
    response = client.post(
        "/compliance/actions/",
        {
            "op": "forced_transfer",
            "instrument": str(bond.pk),
            "holder": "00" + "11" * 48,
            "receiver": "00" + "22" * 48,
            "quantity": "1000",
            "reason_code": "2",
            "reason_text": "court order",
        },
        follow=True,
    )
    assert "needs its document" in response.content.decode()
    assert ComplianceAction.objects.count() == 0


def test_the_rule_set_page_lists_the_makers_and_refuses_an_editor_the_decision(
    client, officer, make_user, issuer, bond
):
    editor, checker = make_user(issuer, Role.COMPLIANCE_OFFICER), make_user(issuer, Role.COMPLIANCE_OFFICER)
    draft = rulesets.rule_set_draft_save(actor=officer, instrument_id=bond.pk, values={"max_holders": 100})
    rulesets.rule_set_draft_save(
        actor=editor, instrument_id=bond.pk, values={"max_holders": 5000}, rule_set_id=draft.pk
    )
    rulesets.rule_set_submit(actor=officer, rule_set_id=draft.pk)
    url = f"/compliance/rule-sets/{draft.pk}/"
    client.force_login(editor)
    html = client.get(url).content.decode()
    assert 'data-testid="officer-is-maker"' in html
    assert 'data-testid="rule-decide"' not in html
    client.force_login(checker)
    html = client.get(url).content.decode()
    assert 'data-testid="rule-set-makers"' in html
    assert editor.username in html
    assert "rule_set.update" in html
    assert 'data-testid="rule-decide"' in html
