"""The pre-trade check on a real devnet tells a broker whether a transfer would pass, but
never another organisation's client name or holding (issue 16, "Leaks across
organisations": ``broker2.trader`` ran a check with a Borealis client's address and was told
the client's name and holding)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from chain.node.client import contract_abi as abi
from compliance.rules import CODE_MEANINGS
from identity.models import ClientAccount, Organisation, User
from identity.roles import OrganisationKind, Role
from identity.services import client_account_chain_account_create
from tests.compliance.test_rules_onchain import World
from tests.factories import OrganisationFactory
from tests.platformchain import ChainPlatform

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/pre-trade-checks/"


def test_a_broker_is_told_pass_or_fail_but_not_another_brokers_client_or_holding(
    chain_platform: ChainPlatform,
    issuer: Organisation,
    maker: User,
    approver: User,
    make_user,
    api_client_for,
) -> None:
    chain_platform.attach(issuer)
    w = World(chain_platform, maker, approver, make_user, "XS0000000918")
    held = w.client("BOREALIS-7")  # a client account of w.broker ("Broker")
    w.wait(w.issue(held.address, 100))
    cirrus = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Cirrus Markets SA")
    own = client_account_chain_account_create(
        client_account=ClientAccount.objects.create(
            broker=cirrus, account_reference="CIRRUS-1", name="Camille Client", holder_type="natural_person"
        )
    )
    body = {
        "instrument": str(w.bond.pk),
        "sender": {"address": held.address.hex()},
        "receiver": {"address": own.address.hex()},
        "quantity": str(Decimal(200 * 1000)),  # 200 units: more than the 100 held
    }

    answer = api_client_for(make_user(cirrus, Role.BROKER_TRADER)).post(URL, body, format="json")

    assert answer.status_code == 200, answer.content
    result = answer.json()
    assert (result["allowed"], [f["number"] for f in result["failures"]]) == (False, [4])
    assert result["failures"][0]["explanation"] == CODE_MEANINGS[abi.TransferCode.INSUFFICIENT_BALANCE]
    text = json.dumps(result)
    for secret in ("Client BOREALIS-7", "BOREALIS-7", "Broker", "100 units", " holds "):
        assert secret not in text, (secret, text)

    # the client's own broker and the instrument's issuer are told who holds what
    for reader in (make_user(w.broker, Role.BROKER_TRADER), w.officer):
        seen = api_client_for(reader).post(URL, body, format="json").json()
        assert seen["failures"][0]["explanation"] == (
            "Client BOREALIS-7 (BOREALIS-7, Broker) holds 100 units, 200 are needed"
        ), reader
