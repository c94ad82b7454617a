"""The demo regulator's key pair (``seed_demo``): the secret under ``var/`` (0600) is the
registered public key's, a second run keeps it, the second demo regulator and an unknown user
get none."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from nacl.public import PrivateKey

from compliance import verify_disclosure as tool
from compliance.models import RegulatorKey
from demo.services import demo_data_create, demo_regulator_key_create
from identity.models import User
from identity.roles import OrganisationKind

pytestmark = pytest.mark.django_db


def test_the_demo_regulator_gets_a_demo_key_pair_and_the_second_demo_regulator_none(tmp_path: Path) -> None:
    demo_data_create()
    path = tmp_path / "var" / "demo-regulator-x25519.key"
    key = demo_regulator_key_create(username="regulator", secret_path=path)
    assert key is not None
    assert path.stat().st_mode & 0o777 == 0o600
    secret = PrivateKey(tool.parse_x25519_key(path.read_bytes().strip()))
    assert base64.b64encode(bytes(secret.public_key)).decode() == key.public_key
    again = demo_regulator_key_create(username="regulator", secret_path=path)
    assert again is not None
    assert again.pk == key.pk
    second = User.objects.get(username="regulator2")
    assert second.organisation is not None
    assert second.organisation.kind == OrganisationKind.REGULATOR
    assert not RegulatorKey.objects.filter(organisation=second.organisation).exists()
    assert demo_regulator_key_create(username="nobody", secret_path=path) is None
