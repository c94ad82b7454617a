"""Delivery versus payment across the genesis contracts (docs/contracts.md): a security token
whose receivers must hold a KYC claim in the identity registry, a EUR cash token and DvP. The
bond and the cash move together or not at all; a leg that breaks a transfer rule is named
with its code and nothing moves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.types.primitives import ContractId
from tests.chain.helpers import keypair
from tests.chain.vm.abi import account, contract_address, read_u64, u8, u32, u64
from tests.chain.vm.securities import (
    HAS,
    KYC,
    Chain,
    claim_args,
    condition,
    condition_list,
    conditions,
    requirement,
)

ADMIN, KYC_CO = keypair("dvp-admin"), keypair("dvp-kyc")
ISSUER, COMPLIANCE, EUR_ISSUER = keypair("dvp-issuer"), keypair("dvp-compliance"), keypair("dvp-eur")
SELLER, BUYER, BROKER, OUTSIDER = (keypair(f"dvp-{n}") for n in ("seller", "buyer", "broker", "outsider"))
S_, B_, O_ = account(SELLER), account(BUYER), account(OUTSIDER)
RECEIVER_CONDITIONS = 7  # docs/contracts.md, transfer failure codes


@dataclass
class Market:
    chain: Chain
    bond: ContractId
    eur: ContractId
    dvp: ContractId

    def balance(self, token: ContractId, holder: bytes) -> int:
        return read_u64(self.chain.query(token, "balance_of", holder))

    def instruct(self, bond_to: bytes, payer: bytes, *, nominal: int = 100, cash: int = 9_950) -> int:
        legs = bytes(self.bond) + S_ + bond_to + u64(nominal)
        legs += bytes(self.eur) + payer + S_ + u64(cash)
        created = self.chain.call(self.dvp, "create", u8(2) + legs, BROKER.public)
        return read_u64(created.data)


@pytest.fixture
def market() -> Iterator[Market]:
    store = MemoryStore()
    with store.read_view() as view:
        chain = Chain(State(view))
        registry = chain.deploy("identity_registry", ADMIN.public, bytes(ADMIN.public))
        chain.call(registry, "add_trusted_issuer", bytes(KYC_CO.public) + u32(1 << KYC), ADMIN.public)
        for holder in (S_, B_):
            chain.call(
                registry, "add_claim", claim_args(holder, KYC, 1, chain.timestamp + 10**7), KYC_CO.public
            )
        init = bytes(ISSUER.public) + bytes(COMPLIANCE.public) + bytes(registry) + b"XS0000000001" + bytes(32)
        bond = chain.deploy("security_token", ISSUER.public, init + bytes([0]))
        kyc_required = condition_list(requirement(condition(KYC, HAS)))
        chain.call(bond, "set_conditions", conditions(receiver=kyc_required), ISSUER.public)
        eur = chain.deploy("cash_token", EUR_ISSUER.public, bytes(EUR_ISSUER.public) + b"EUR" + bytes([2]))
        dvp = chain.deploy("dvp", ADMIN.public, b"", nonce=1)
        chain.call(bond, "issue", S_ + u64(1_000), ISSUER.public)
        for payer in (B_, O_):
            chain.call(eur, "mint", payer + u64(50_000), EUR_ISSUER.public)
        dvp_address = contract_address(dvp)
        chain.call(bond, "approve", dvp_address + u64(1_000), SELLER.public)
        for key in (BUYER, OUTSIDER):
            chain.call(eur, "approve", dvp_address + u64(50_000), key.public)
        yield Market(chain, bond, eur, dvp)


def test_bond_against_eur_settles_both_legs(market: Market) -> None:
    instruction = market.instruct(B_, B_)
    for party in (SELLER, BUYER):
        market.chain.call(market.dvp, "affirm", u64(instruction), party.public)
    result = market.chain.call(market.dvp, "settle", u64(instruction), BROKER.public)
    assert result.data[0] == 0, result.data
    assert market.balance(market.bond, B_) == 100
    assert market.balance(market.bond, S_) == 900
    assert market.balance(market.eur, S_) == 9_950
    assert market.balance(market.eur, B_) == 50_000 - 9_950
    assert {e.topic for e in result.events} >= {"transfer", "settled"}


def test_a_leg_that_breaks_a_transfer_rule_is_named_and_nothing_moves(market: Market) -> None:
    """The outsider has no KYC claim: the bond's receiver conditions refuse the first leg."""
    instruction = market.instruct(O_, O_)
    for party in (SELLER, OUTSIDER):
        market.chain.call(market.dvp, "affirm", u64(instruction), party.public)
    root = market.chain.state.compute_state_root()
    result = market.chain.call(market.dvp, "settle", u64(instruction), BROKER.public)
    status, leg, code = result.data[:3]
    assert (status, leg, code) == (1, 0, RECEIVER_CONDITIONS)
    assert market.balance(market.bond, O_) == 0
    assert market.balance(market.eur, O_) == 50_000
    assert market.balance(market.eur, S_) == 0
    # Only the failure event: no balance anywhere changed.
    assert [e.topic for e in result.events] == ["settle_failed"]
    assert market.chain.state.compute_state_root() == root


def test_a_batch_with_one_bad_instruction_moves_nothing(market: Market) -> None:
    good, bad = market.instruct(B_, B_, nominal=10, cash=995), market.instruct(O_, O_, nominal=10, cash=995)
    for instruction, payer in ((good, BUYER), (bad, OUTSIDER)):
        for party in (SELLER, payer):
            market.chain.call(market.dvp, "affirm", u64(instruction), party.public)
    result = market.chain.call(market.dvp, "settle_batch", u8(2) + u64(good) + u64(bad), BROKER.public)
    status, index, leg, code = result.data[:4]
    assert (status, index, leg, code) == (1, 1, 0, RECEIVER_CONDITIONS)
    assert market.balance(market.bond, B_) == 0
    assert market.balance(market.eur, S_) == 0
