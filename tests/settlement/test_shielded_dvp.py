"""DvP against shielded cash, the parts before the chain (``settlement.shielded_dvp``; the whole
path on the devnet is tests/settlement/test_shielded_dvp_devnet.py): the cash leg is a matching
field, a shielded leg needs the phoenix contract and EUR, a shielded pair is never netted, and
a buyer's broker without shielded cash covering the payment leaves the pair pending (lacking
cash) with no cycle and nothing queued. The node is the scripted one of the DvP batch tests."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest

from identity.models import ClientAccount, Organisation
from issuance.models import Instrument
from ledger.models import ChainSubmission
from settlement import netting, shielded_dvp
from settlement.models import InstructionStatus, NettingCycle, PendingReason, SettlementInstruction
from tests.ledger.fakenode import FakeNode, fake_node
from tests.ledger.test_dvp_batch import CASH, GENESIS, Answers, _account
from tests.settlement.conftest import URL, side

PHOENIX = {**GENESIS, "phoenix": "0x" + "f0" * 32}
CYCLE_DATE = datetime.date(2026, 9, 16)


class PhoenixAnswers(Answers):
    """Also the phoenix contract's ``info``: it holds the EUR cash token."""

    def __call__(self, contract: str, fn_name: str, args: bytes) -> bytes:
        if contract == PHOENIX["phoenix"] and fn_name == "info":
            return bytes.fromhex(CASH[2:]) + bytes(80)
        return super().__call__(contract, fn_name, args)


def _node(settings: Any, genesis: dict[str, str]) -> Iterator[FakeNode]:
    """A scripted node on a port of its own (the genesis caches are per node URL)."""
    with fake_node(genesis, PhoenixAnswers()) as running:
        settings.GLOAM_NODE_URLS = [running.url]
        settings.GLOAM_CHAIN_ID = 71
        yield running


@pytest.fixture
def with_phoenix(settings: Any, db: None) -> Iterator[FakeNode]:
    yield from _node(settings, PHOENIX)


@pytest.fixture
def without_phoenix(settings: Any, db: None) -> Iterator[FakeNode]:
    yield from _node(settings, GENESIS)


def test_a_shielded_cash_leg_needs_the_phoenix_contract(without_phoenix, bond, parties):
    response = parties["a"].post(URL, side(parties, "a", cash_leg="shielded"), format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "shielded_cash_unavailable"
    assert response.json()["error"]["details"] == {"field": "cash_leg"}
    assert not SettlementInstruction.objects.exists()


def test_a_shielded_cash_leg_is_in_the_currency_phoenix_holds(with_phoenix, bond: Instrument, parties):
    Instrument.objects.filter(pk=bond.pk).update(currency="USD")
    response = parties["a"].post(URL, side(parties, "a", cash_leg="shielded"), format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "shielded_cash_unavailable"
    assert "Shielded cash is EUR" in response.json()["error"]["message"]
    assert not SettlementInstruction.objects.exists()


def test_an_unknown_cash_leg_is_a_400_naming_the_field(with_phoenix, bond, parties):
    response = parties["a"].post(URL, side(parties, "a", cash_leg="private"), format="json")
    assert response.status_code == 400
    assert "cash_leg" in response.json()["error"]["details"]


def test_both_sides_must_agree_on_the_cash_leg(with_phoenix, bond, parties):
    mine = parties["a"].post(URL, side(parties, "a", cash_leg="shielded"), format="json")
    assert mine.status_code == 201, mine.content
    assert mine.json()["cash_leg"] == "shielded"
    theirs = parties["b"].post(URL, side(parties, "b"), format="json")  # public by default
    assert theirs.json()["cash_leg"] == "public"
    assert theirs.json()["status"] == "unmatched"
    assert theirs.json()["match_report"] == [{"field": "cash_leg", "candidate": "A-1"}]
    listed = parties["a"].get(URL + "?cash_leg=shielded").json()["results"]
    assert [i["reference"] for i in listed] == ["A-1"]


@pytest.fixture
def matched_shielded(
    with_phoenix, bond: Instrument, parties, broker_a: Organisation, broker_b: Organisation
) -> list[SettlementInstruction]:
    for who in ("a", "b"):
        response = parties[who].post(URL, side(parties, who, cash_leg="shielded"), format="json")
        assert response.status_code == 201, response.content
    _account(organisation=broker_a)
    _account(organisation=broker_b)
    for account in ClientAccount.objects.filter(broker__in=[broker_a, broker_b]):
        _account(client_account=account)
    instructions = list(SettlementInstruction.objects.all())
    assert {i.status for i in instructions} == {InstructionStatus.MATCHED}
    return instructions


def test_a_shielded_pair_is_not_netted(matched_shielded):
    assert netting.netting_cycle_run(cycle_date=CYCLE_DATE) is None
    assert {i.status for i in SettlementInstruction.objects.all()} == {InstructionStatus.MATCHED}


def test_a_buyer_without_shielded_cash_waits_lacking_cash(matched_shielded):
    assert shielded_dvp.shielded_cycles_run(cycle_date=CYCLE_DATE) == []
    rows = SettlementInstruction.objects.all()
    assert {(i.status, i.pending_reason, i.cycle_id) for i in rows} == {
        (InstructionStatus.PENDING, PendingReason.LACKING_CASH, None)
    }
    assert "shielded cash" in rows[0].status_reason
    assert not NettingCycle.objects.exists()
    assert not ChainSubmission.objects.exists()
