"""DvP settlement (chain/contracts/dvp, docs/contracts.md) between two cash token deployments
(EUR against USD) on the real host."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from chain.vm.session import VmSession
from tests.chain.helpers import keypair
from tests.chain.vm.abi import account, contract_address
from tests.chain.vm.tokens import (
    BLOCK,
    INSUFFICIENT_ALLOWANCE,
    INSUFFICIENT_BALANCE,
    NOT_AFFIRMED,
    SENDER_FROZEN,
    balance,
    call,
    deploy,
    deploy_cash,
    fresh_state,
    panic_code,
    query,
    read_u64,
    u8,
    u64,
)

EUR_ISSUER, USD_ISSUER = keypair("eur-issuer"), keypair("usd-issuer")
ALICE, BOB, BROKER = keypair("alice"), keypair("bob"), keypair("broker")
A_, B_ = account(ALICE), account(BOB)
CODE_TOKEN_UNAVAILABLE = 21


@dataclass
class Market:
    eur: ContractId
    usd: ContractId
    dvp: ContractId


@pytest.fixture
def state() -> Iterator[State]:
    yield from fresh_state()


@pytest.fixture
def market(state: State) -> Market:
    """Alice holds 1,000 EUR, Bob 2,000 USD; both approved DvP for 10,000."""
    eur = deploy_cash(state, EUR_ISSUER, "EUR", nonce=0)
    usd = deploy_cash(state, USD_ISSUER, "USD", nonce=1)
    dvp = deploy(state, "dvp", nonce=2)
    call(state, eur, "mint", A_ + u64(1_000), EUR_ISSUER)
    call(state, usd, "mint", B_ + u64(2_000), USD_ISSUER)
    call(state, eur, "approve", contract_address(dvp) + u64(10_000), ALICE)
    call(state, usd, "approve", contract_address(dvp) + u64(10_000), BOB)
    return Market(eur, usd, dvp)


def leg(token: ContractId, frm: bytes, to: bytes, amount: int) -> bytes:
    return bytes(token) + frm + to + u64(amount)


def create(state: State, m: Market, eur_amount: int = 100, usd_amount: int = 110) -> int:
    """Alice delivers EUR to Bob against Bob's USD; returns the instruction id."""
    legs = [leg(m.eur, A_, B_, eur_amount), leg(m.usd, B_, A_, usd_amount)]
    return read_u64(call(state, m.dvp, "create", u8(2) + b"".join(legs), BROKER).data)


def affirm_both(state: State, m: Market, instruction: int) -> None:
    call(state, m.dvp, "affirm", u64(instruction), ALICE)
    call(state, m.dvp, "affirm", u64(instruction), BOB)


def holdings(state: State, m: Market) -> tuple[int, int, int, int]:
    return (
        balance(state, m.eur, A_),
        balance(state, m.eur, B_),
        balance(state, m.usd, A_),
        balance(state, m.usd, B_),
    )


def test_create_affirm_and_status(state, market):
    legs = leg(market.eur, A_, B_, 100) + leg(market.usd, B_, A_, 110)
    result = call(state, market.dvp, "create", u8(2) + legs, BROKER)
    assert read_u64(result.data) == 1
    assert [(e.topic, e.data) for e in result.events] == [("created", u64(1) + u8(2) + legs)]
    assert create(state, market) == 2
    assert query(state, market.dvp, "status_of", u64(1)) == bytes([0, 2, 0])
    result = call(state, market.dvp, "affirm", u64(1), BOB)
    assert [(e.topic, e.data) for e in result.events] == [("affirmed", u64(1) + B_)]
    assert query(state, market.dvp, "status_of", u64(1)) == bytes([0, 2, 0b10])
    call(state, market.dvp, "affirm", u64(1), ALICE)
    assert query(state, market.dvp, "status_of", u64(1)) == bytes([0, 2, 0b11])


def test_create_and_affirm_refusals(state, market):
    assert panic_code(state, market.dvp, "create", u8(0), BROKER) == "invalid_arguments"
    nine = u8(9) + leg(market.eur, A_, B_, 1) * 9
    assert panic_code(state, market.dvp, "create", nine, BROKER) == "invalid_arguments"
    bad = u8(1) + bytes(market.eur) + b"\x05" + A_[1:] + B_ + u64(1)
    assert panic_code(state, market.dvp, "create", bad, BROKER) == "invalid_address"
    instruction = create(state, market)
    assert panic_code(state, market.dvp, "affirm", u64(instruction), BROKER) == "not_authorised"
    assert panic_code(state, market.dvp, "affirm", u64(instruction), None) == "no_caller"
    assert panic_code(state, market.dvp, "affirm", u64(99), ALICE) == "not_found"
    assert panic_code(state, market.dvp, "status_of", u64(0), None) == "not_found"
    assert panic_code(state, market.dvp, "settle", u64(99), BROKER) == "not_found"


def test_two_legs_settle_atomically(state, market):
    instruction = create(state, market)
    affirm_both(state, market, instruction)
    result = call(state, market.dvp, "settle", u64(instruction), BROKER)
    assert result.data == bytes([0, 0, 0])
    assert [(e.source, e.topic, e.data) for e in result.events] == [
        (market.eur, "transfer", A_ + B_ + u64(100)),
        (market.usd, "transfer", B_ + A_ + u64(110)),
        (market.dvp, "settled", u64(instruction)),
    ]
    assert holdings(state, market) == (900, 100, 110, 1_890)
    assert read_u64(query(state, market.eur, "allowance", A_ + contract_address(market.dvp))) == 9_900
    assert query(state, market.dvp, "status_of", u64(instruction)) == bytes([1, 2, 0b11])
    # a settled instruction cannot settle (or be affirmed) again
    assert panic_code(state, market.dvp, "settle", u64(instruction), BROKER) == "already_settled"
    assert panic_code(state, market.dvp, "affirm", u64(instruction), ALICE) == "already_settled"
    assert holdings(state, market) == (900, 100, 110, 1_890)


def settle_fails(state: State, m: Market, instruction: int) -> tuple[int, int]:
    """Settles, expecting status 1 and an unchanged state; returns (leg, code)."""
    before, root = holdings(state, m), state.compute_state_root()
    result = call(state, m.dvp, "settle", u64(instruction), BROKER)
    status, failed_leg, code = result.data
    assert status == 1
    assert [(e.topic, e.data) for e in result.events] == [
        ("settle_failed", u64(instruction) + u8(failed_leg) + u8(code))
    ]
    assert holdings(state, m) == before
    assert state.compute_state_root() == root
    assert query(state, m.dvp, "status_of", u64(instruction))[0] == 0
    return failed_leg, code


def test_not_affirmed(state, market):
    instruction = create(state, market)
    call(state, market.dvp, "affirm", u64(instruction), ALICE)
    assert settle_fails(state, market, instruction) == (1, NOT_AFFIRMED)


def test_missing_allowance(state, market):
    call(state, market.usd, "approve", contract_address(market.dvp) + u64(50), BOB)
    instruction = create(state, market)
    affirm_both(state, market, instruction)
    assert settle_fails(state, market, instruction) == (1, INSUFFICIENT_ALLOWANCE)


def test_frozen_account(state, market):
    call(state, market.eur, "freeze", A_ + u8(1), EUR_ISSUER)
    instruction = create(state, market)
    affirm_both(state, market, instruction)
    assert settle_fails(state, market, instruction) == (0, SENDER_FROZEN)
    call(state, market.eur, "freeze", A_ + u8(0), EUR_ISSUER)
    assert call(state, market.dvp, "settle", u64(instruction), BROKER).data == bytes([0, 0, 0])


def test_a_leg_on_no_token(state, market):
    legs = leg(market.eur, A_, B_, 1) + leg(ContractId(bytes(32)), B_, A_, 1)
    instruction = read_u64(call(state, market.dvp, "create", u8(2) + legs, BROKER).data)
    affirm_both(state, market, instruction)
    assert settle_fails(state, market, instruction) == (1, CODE_TOKEN_UNAVAILABLE)


def test_legs_that_pass_alone_but_not_together_revert_everything(state, market):
    # two EUR legs from Alice of 600 each: each check passes, the second transfer fails
    legs = leg(market.eur, A_, B_, 600) + leg(market.usd, B_, A_, 10) + leg(market.eur, A_, B_, 600)
    instruction = read_u64(call(state, market.dvp, "create", u8(3) + legs, BROKER).data)
    affirm_both(state, market, instruction)
    root = state.compute_state_root()
    assert panic_code(state, market.dvp, "settle", u64(instruction), BROKER) == "transfer_failed"
    assert state.compute_state_root() == root
    assert holdings(state, market) == (1_000, 0, 0, 2_000)


def test_settle_batch_is_all_or_nothing(state, market):
    first, second = create(state, market, 100, 100), create(state, market, 200, 200)
    third = create(state, market, 5_000, 1)  # Alice has only 1,000 EUR
    for instruction in (first, second, third):
        affirm_both(state, market, instruction)
    root = state.compute_state_root()
    batch = u8(3) + u64(first) + u64(second) + u64(third)
    result = call(state, market.dvp, "settle_batch", batch, BROKER)
    assert result.data == bytes([1, 2, 0, INSUFFICIENT_BALANCE])
    assert [e.topic for e in result.events] == ["settle_failed"]
    assert state.compute_state_root() == root
    assert holdings(state, market) == (1_000, 0, 0, 2_000)
    # without the failing one, both settle in one cycle
    result = call(state, market.dvp, "settle_batch", u8(2) + u64(first) + u64(second), BROKER)
    assert result.data == bytes([0, 0, 0, 0])
    assert [e.topic for e in result.events] == ["transfer", "transfer", "settled"] * 2
    assert holdings(state, market) == (700, 300, 300, 1_700)
    assert [query(state, market.dvp, "status_of", u64(i))[0] for i in (first, second, third)] == [1, 1, 0]
    again = u8(2) + u64(third) + u64(first)
    assert panic_code(state, market.dvp, "settle_batch", again, BROKER) == "already_settled"
    twice = u8(2) + u64(third) + u64(third)
    assert panic_code(state, market.dvp, "settle_batch", twice, BROKER) == "invalid_arguments"


def test_out_of_gas_during_settlement_reverts_every_leg(state, market):
    instruction = create(state, market)
    affirm_both(state, market, instruction)
    snapshot = state.snapshot()
    full = VmSession(state, BLOCK).call(
        market.dvp, "settle", u64(instruction), caller=BROKER.public, gas_limit=50_000_000
    )
    state.rollback(snapshot)
    assert full.data == bytes([0, 0, 0])
    root = state.compute_state_root()
    # short by a little (the last page write), a page write less, and enough to stop inside the
    # second leg's transfer_from after the first leg moved (about 1.1 of 2.4 million gas)
    for gas in (full.gas_spent - 1, full.gas_spent - 400_000, full.gas_spent * 3 // 4):
        with pytest.raises(CallFailed) as failed:
            VmSession(state, BLOCK).call(
                market.dvp, "settle", u64(instruction), caller=BROKER.public, gas_limit=gas
            )
        error = failed.value
        assert error.reason == "out_of_gas" or str(error).startswith("out_of_gas"), str(error)
        assert state.compute_state_root() == root
        assert holdings(state, market) == (1_000, 0, 0, 2_000)
    assert query(state, market.dvp, "status_of", u64(instruction))[0] == 0


def test_only_the_creator_settles_an_instruction(state, market):
    """An instruction the settlement agent gave up on (affirmed, allowances standing) cannot be
    settled later by a party or a stranger: nothing settles twice (docs/contracts.md)."""
    instruction = create(state, market)
    affirm_both(state, market, instruction)
    for who in (ALICE, BOB):
        assert panic_code(state, market.dvp, "settle", u64(instruction), who) == "not_authorised"
        batch = u8(1) + u64(instruction)
        assert panic_code(state, market.dvp, "settle_batch", batch, who) == "not_authorised"
    assert holdings(state, market) == (1_000, 0, 0, 2_000)
    assert query(state, market.dvp, "status_of", u64(instruction))[0] == 0
    assert call(state, market.dvp, "settle", u64(instruction), BROKER).data == bytes([0, 0, 0])
    assert holdings(state, market) == (900, 100, 110, 1_890)
