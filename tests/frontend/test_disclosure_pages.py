"""Disclosure and report pages: who opens what, the regulator's key form, the issuer's
disclosure form, the portal's download (its regulator only, audited), and refusals shown as
messages with nothing written."""

from __future__ import annotations

import base64

import pytest
from nacl.public import PrivateKey

from common.models import AuditEntry
from compliance.models import Disclosure, RegulatorKey
from identity.roles import OrganisationKind, Role
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_pages_are_gated_by_role(client, make_user, broker_a, issuer, maker, approver, regulator, operator):
    client.force_login(make_user(broker_a, Role.BROKER_TRADER))
    assert client.get("/disclosures/").status_code == 403
    assert client.get("/reports/").status_code == 403
    client.force_login(approver)
    assert client.get("/disclosures/").status_code == 403
    assert client.get("/reports/").status_code == 200
    client.force_login(operator)
    assert client.get("/disclosures/").status_code == 403
    for user in (maker, regulator, make_user(issuer, Role.COMPLIANCE_OFFICER)):
        client.force_login(user)
        assert client.get("/disclosures/").status_code == 200
        assert client.get("/reports/").status_code == 200


def test_a_regulator_registers_its_key_on_the_page(client, regulator):
    client.force_login(regulator)
    html = client.get("/disclosures/").content.decode()
    assert "No key yet" in html
    assert 'data-testid="disclosure-form"' not in html
    public = base64.b64encode(bytes(PrivateKey.generate().public_key)).decode()
    response = client.post("/disclosures/keys/", {"public_key": public}, follow=True)
    assert "is now the active disclosure key" in response.content.decode()
    assert RegulatorKey.objects.get().public_key == public
    response = client.post("/disclosures/keys/", {"public_key": "abc"}, follow=True)
    assert "32 bytes" in response.content.decode()
    assert RegulatorKey.objects.count() == 1


def test_the_issuer_discloses_through_the_form_and_refusals_write_nothing(client, ready, bond, maker, issuer):
    client.force_login(maker)
    html = client.get("/disclosures/").content.decode()
    assert 'data-testid="disclosure-form"' in html
    assert bond.isin in html
    assert ready.legal_name in html
    form = {
        "instrument": str(bond.pk),
        "regulator": str(ready.pk),
        "window_start": "2026-01-01T00:00",
        "window_end": "2026-01-01T00:00",
        "checkpoint": "1",
    }
    response = client.post("/disclosures/new/", form, follow=True)
    assert "must start before it ends" in response.content.decode()
    assert not Disclosure.objects.exists()
    response = client.post("/disclosures/new/", {**form, "window_end": "2026-02-01T00:00"}, follow=True)
    assert "is being built" in response.content.decode()
    made = Disclosure.objects.get()
    assert made.checkpoint is not None
    assert (made.regulator_id, made.checkpoint.number) == (ready.pk, 1)
    keyless = OrganisationFactory.create(kind=OrganisationKind.REGULATOR)
    response = client.post("/disclosures/new/", {**form, "regulator": str(keyless.pk)}, follow=True)
    assert Disclosure.objects.count() == 1  # a regulator without a key is not even offered


def test_the_portal_download_is_for_its_regulator_only_and_audited(
    client, recorded, regulator, regulator_b, maker
):
    made, _ = recorded
    client.force_login(regulator_b)
    html = client.get("/disclosures/").content.decode()
    assert 'data-testid="disclosure-row"' not in html
    assert client.get(f"/disclosures/{made.pk}/envelope/").status_code == 404
    client.force_login(maker)
    assert 'data-testid="disclosure-download"' not in client.get("/disclosures/").content.decode()
    assert client.get(f"/disclosures/{made.pk}/envelope/").status_code == 404
    client.force_login(regulator)
    html = client.get(f"/disclosures/?instrument={made.instrument_id}").content.decode()
    assert 'data-testid="disclosure-download"' in html
    assert made.tx_id in html
    response = client.get(f"/disclosures/{made.pk}/envelope/")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="disclosure-{made.pk}.json"'
    assert AuditEntry.objects.filter(action="disclosure.download", actor=regulator).count() == 1
    assert AuditEntry.objects.filter(action="disclosure.list", actor=regulator_b).count() == 1
