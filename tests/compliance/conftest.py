"""Fixtures of the disclosure tests: a live bond (no chain), a second regulator, an issuer
ready to disclose (chain account, checkpoint 1, a regulator with a key) and a recorded
disclosure whose package is sealed to that key."""

from __future__ import annotations

import base64
import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from nacl.public import PrivateKey

from compliance import disclosure as disclosures
from compliance import verify_disclosure as tool
from compliance.models import Disclosure
from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from issuance.models import Instrument, InstrumentCheckpoint, InstrumentStatus
from tests.factories import OrganisationFactory
from tests.issuance.conftest import make_bond_terms


def _b64(secret: PrivateKey) -> str:
    return base64.b64encode(bytes(secret.public_key)).decode()


def _key() -> PrivateKey:
    return PrivateKey.generate()


@pytest.fixture
def bond(issuer: Organisation) -> Instrument:
    return Instrument.objects.create(
        **make_bond_terms(), issuer=issuer, status=InstrumentStatus.LIVE, contract_id="0x" + "ab" * 32
    )


@pytest.fixture
def regulator_b(make_user: Callable[..., User]) -> User:
    org = OrganisationFactory.create(kind=OrganisationKind.REGULATOR, legal_name="Regulator B")
    return make_user(org, Role.REGULATOR)


@pytest.fixture
def ready(bond: Instrument, issuer: Organisation, regulator: User, settings: Any) -> Organisation:
    """The issuer has a chain account and checkpoint 1; the regulator a key."""
    from cryptography.fernet import Fernet

    from ledger.models import ChainAccount

    ChainAccount.objects.create(
        organisation=issuer,
        public_key="0x" + "11" * 48,
        encrypted_secret_key=Fernet(settings.GLOAM_KEY_ENCRYPTION_KEY).encrypt(b"k" * 32),
    )
    InstrumentCheckpoint.objects.create(instrument=bond, number=1, height=5, total_supply=10, holder_count=1)
    disclosures.regulator_key_register(actor=regulator, public_key=_b64(_key()))
    assert regulator.organisation is not None
    return regulator.organisation


@pytest.fixture
def recorded(ready: Organisation, bond: Instrument, maker: User, regulator: User) -> tuple[Disclosure, bytes]:
    made = disclosures.disclosure_create(
        actor=maker,
        instrument_id=bond.pk,
        regulator_id=ready.pk,
        window_start=timezone.now() - datetime.timedelta(hours=1),
        window_end=timezone.now(),
        checkpoint_number=1,
    )
    plaintext = tool.encode_package({"schema": tool.PACKAGE_SCHEMA, "disclosure_id": str(made.pk)})
    public = base64.b64decode(made.regulator_key.public_key)
    Disclosure.objects.filter(pk=made.pk).update(
        status=Disclosure.Status.RECORDED,
        ciphertext=tool.seal_package(plaintext, public),
        package_sha256=tool.compute_package_hash(plaintext),
        package_size=len(plaintext),
        tx_id="0x" + "cd" * 32,
        block_height=42,
    )
    return Disclosure.objects.get(pk=made.pk), plaintext
