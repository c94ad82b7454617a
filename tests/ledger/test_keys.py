"""Chain accounts' keys (``ledger.keys``): generated per account, encrypted at rest, decrypted
only to sign; bad input is refused before decrypting; a signed transfer settles on a real node."""

from __future__ import annotations

import time

import pytest
from django.test import override_settings

from identity.roles import OrganisationKind
from identity.services import chain_account_create
from ledger import keys
from ledger.chain import get_node_client
from ledger.keys import chain_account_generate, chain_transfer_sign
from tests.chain.helpers import CHAIN_ID
from tests.chain.nodeproc import running_node
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_invalid_wrong_encryption_key_cannot_sign(broker_a, settings):
    from cryptography.fernet import Fernet

    from common.exceptions import InvalidInput

    account = chain_account_create(organisation=broker_a)
    settings.GLOAM_KEY_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(InvalidInput):
        chain_transfer_sign(
            account=account, chain_id=CHAIN_ID, receiver_public_key=account.public_key, value=1, nonce=1
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
            account=payer,
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
        chain_transfer_sign(account=account, chain_id=CHAIN_ID, **kwargs)
    assert error.value.code == "invalid_transfer"


def test_the_decrypted_key_is_a_sensitive_variable(broker_a):
    account = chain_account_create(organisation=broker_a)
    chain_transfer_sign(
        account=account, chain_id=CHAIN_ID, receiver_public_key=account.public_key, value=1, nonce=1
    )
    # every signing service decrypts the key in this one function, hidden from error reports
    assert keys.sign_with_key.sensitive_variables == ("secret_key",)  # type: ignore[attr-defined]


def test_a_generated_account_stores_its_secret_key_encrypted(broker_a, settings):
    from cryptography.fernet import Fernet

    from chain.node.client import public_key_of

    account = chain_account_generate(organisation_id=broker_a.pk)
    secret_key = Fernet(settings.GLOAM_KEY_ENCRYPTION_KEY).decrypt(bytes(account.encrypted_secret_key))
    assert public_key_of(secret_key) == account.public_key
    assert secret_key not in bytes(account.encrypted_secret_key)
    assert (account.organisation_id, account.client_account_id) == (broker_a.pk, None)


@pytest.mark.parametrize("owners", ["none", "both"])
def test_invalid_owner_of_a_generated_account_changes_nothing(broker_a, owners):
    from common.exceptions import InvalidInput
    from identity.models import ClientAccount
    from ledger.models import ChainAccount

    client = ClientAccount.objects.create(
        broker=broker_a, account_reference="C-1", name="Client", holder_type="legal_entity"
    )
    given = {} if owners == "none" else {"organisation_id": broker_a.pk, "client_account_id": client.pk}
    with pytest.raises(InvalidInput) as refused:
        chain_account_generate(**given)
    assert refused.value.code == "chain_account_owner"
    assert not ChainAccount.objects.exists()
