"""Organisations' chain accounts: opened with the organisation, keys encrypted at rest, never
shown (signing with them: tests/ledger/test_keys.py)."""

from __future__ import annotations

import json

import pytest

from identity.services import chain_account_create
from ledger.models import ChainAccount

pytestmark = pytest.mark.django_db


def test_registering_an_organisation_creates_its_chain_account(api_client_for, operator):
    response = api_client_for(operator).post(
        "/api/v1/organisations/",
        {
            "legal_name": "Northwind Bank plc",
            "lei": "5493001KJTIIGC8Y1R12",
            "country": "GB",
            "kind": "broker",
        },
    )
    assert response.status_code == 201
    account = ChainAccount.objects.get(organisation_id=response.json()["id"])
    assert response.json()["chain_public_key"] == account.public_key
    assert len(bytes.fromhex(account.public_key[2:])) == 48


def test_secret_key_is_encrypted_and_never_serialised(api_client_for, operator, broker_a, client):
    account = chain_account_create(organisation=broker_a)
    stored = bytes(account.encrypted_secret_key)
    assert len(stored) > 32
    body = json.dumps(api_client_for(operator).get(f"/api/v1/organisations/{broker_a.pk}/").json())
    assert "secret" not in body
    assert stored.decode() not in body
    operator.is_staff = operator.is_superuser = True
    operator.save()
    client.force_login(operator)
    page = client.get(f"/admin/ledger/chainaccount/{account.pk}/change/").content.decode()
    assert account.public_key in page
    assert stored.decode() not in page
    assert "encrypted_secret_key" not in page
    assert "secret_key" not in repr(account)


def test_chain_account_create_is_idempotent(broker_a):
    assert chain_account_create(organisation=broker_a) == chain_account_create(organisation=broker_a)
    assert ChainAccount.objects.filter(organisation=broker_a).count() == 1
