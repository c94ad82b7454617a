"""Fixtures of the settlement tests: a live bond, two brokers with a client account each and
API clients for them, and a builder of one side of a trade."""

from __future__ import annotations

from typing import Any

import pytest

from identity.models import ClientAccount, Organisation
from identity.roles import Role
from issuance.models import Instrument, InstrumentStatus
from tests.issuance.conftest import make_bond_terms
from tests.settlement.phoenixchain import shielded_platform  # noqa: F401 - a fixture

URL = "/api/v1/settlement-instructions/"


@pytest.fixture
def bond(issuer: Organisation) -> Instrument:
    """A live 3.5 % annual EUR bond (ACT/ACT ICMA, TARGET) issued 2026-03-16."""
    return Instrument.objects.create(
        **make_bond_terms(), issuer=issuer, status=InstrumentStatus.LIVE, contract_id="0x" + "ab" * 32
    )


@pytest.fixture
def parties(broker_a: Organisation, broker_b: Organisation, make_user, api_client_for) -> dict[str, Any]:
    for broker, reference in ((broker_a, "A-CLIENT"), (broker_b, "B-CLIENT")):
        ClientAccount.objects.create(
            broker=broker, account_reference=reference, name=reference, holder_type="legal_entity"
        )
    return {
        "a": api_client_for(make_user(broker_a, Role.BROKER_TRADER)),
        "b": api_client_for(make_user(broker_b, Role.BROKER_BACK_OFFICE)),
        "a_lei": broker_a.lei,
        "b_lei": broker_b.lei,
    }


def side(parties: dict[str, Any], who: str, **changes: Any) -> dict[str, Any]:
    other = "b" if who == "a" else "a"
    body = {
        "reference": f"{who.upper()}-1",
        "isin": "XS0000000009",
        "side": "buy" if who == "a" else "sell",
        "quantity": "100000",
        "price": "99.5",
        "trade_date": "2026-09-15",
        "intended_settlement_date": "2026-09-16",
        "counterparty_lei": parties[f"{other}_lei"],
        "client_account": f"{who.upper()}-CLIENT",
    }
    body.update(changes)
    return body
