"""Organisations' chain accounts: keys generated per organisation, encrypted at rest, never
shown; transfers signed by the service settle on a real node."""

from __future__ import annotations

import json
import time

import pytest
from django.test import override_settings

from common.chain import get_node_client
from identity import services
from identity.models import ChainAccount
from identity.roles import OrganisationKind
from identity.services import chain_account_create, chain_transfer_sign
from tests.chain.helpers import CHAIN_ID
from tests.chain.nodeproc import running_node
from tests.factories import OrganisationFactory

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
    page = client.get(f"/admin/identity/chainaccount/{account.pk}/change/").content.decode()
    assert account.public_key in page
    assert stored.decode() not in page
    assert "encrypted_secret_key" not in page
    assert "secret_key" not in repr(account)


def test_chain_account_create_is_idempotent(broker_a):
    assert chain_account_create(organisation=broker_a) == chain_account_create(organisation=broker_a)
    assert ChainAccount.objects.filter(organisation=broker_a).count() == 1


def test_invalid_wrong_encryption_key_cannot_sign(broker_a, settings):
    from cryptography.fernet import Fernet

    from common.exceptions import InvalidInput

    account = chain_account_create(organisation=broker_a)
    settings.GLOAM_KEY_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(InvalidInput):
        chain_transfer_sign(
            organisation=broker_a, chain_id=CHAIN_ID, receiver_public_key=account.public_key, value=1, nonce=1
        )


@pytest.mark.devnet
def test_signed_transfer_settles_on_a_real_node(tmp_path, broker_a, broker_b):
    payer = chain_account_create(organisation=broker_a)
    payee = chain_account_create(organisation=OrganisationFactory.create(kind=OrganisationKind.BROKER))
    with (
        running_node(tmp_path, funds={payer.public_key: 10**12}) as node,
        override_settings(GLOAM_NODE_URLS=[node.url]),
    ):
        tx_id, raw = chain_transfer_sign(
            organisation=broker_a,
            chain_id=CHAIN_ID,
            receiver_public_key=payee.public_key,
            value=12_345,
            nonce=1,
        )
        with get_node_client() as client:
            assert client.submit_transaction(raw) == tx_id
            deadline = time.monotonic() + 20
            while client.get_transaction(tx_id).status != "included":
                assert time.monotonic() < deadline
                time.sleep(0.1)
            assert client.get_account(payee.public_key).balance == 12_345


@pytest.mark.parametrize(
    "changes",
    [
        {"receiver_public_key": "0xzz"},
        {"receiver_public_key": "0x1234"},
        {"value": 2**64},
        {"nonce": -1},
        {"memo": b"x" * 10_000},
    ],
)
def test_invalid_transfer_input_is_invalid_input_and_checked_before_decrypting(broker_a, settings, changes):
    """Bad input is refused before the key is decrypted (a wrong encryption key would
    otherwise be reported first) and never escapes as a chain exception (a 500 whose debug
    page would list the decrypted key among the locals)."""
    from cryptography.fernet import Fernet

    from common.exceptions import InvalidInput

    account = chain_account_create(organisation=broker_a)
    settings.GLOAM_KEY_ENCRYPTION_KEY = Fernet.generate_key().decode()
    kwargs = {"receiver_public_key": account.public_key, "value": 1, "nonce": 1, **changes}
    with pytest.raises(InvalidInput) as error:
        chain_transfer_sign(organisation=broker_a, chain_id=CHAIN_ID, **kwargs)
    assert error.value.code == "invalid_transfer"


def test_the_decrypted_key_is_a_sensitive_variable(broker_a):
    account = chain_account_create(organisation=broker_a)
    chain_transfer_sign(
        organisation=broker_a, chain_id=CHAIN_ID, receiver_public_key=account.public_key, value=1, nonce=1
    )
    # every signing service decrypts the key in this one function, hidden from error reports
    assert services._sign_with_key.sensitive_variables == ("secret_key",)  # type: ignore[attr-defined]
