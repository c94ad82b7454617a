"""The cash token (chain/contracts/cash_token, docs/contracts.md) on the real host."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from chain.vm.session import PAGE_WRITE_GAS_PER_BYTE, VmSession
from tests.chain.helpers import keypair
from tests.chain.vm.abi import account, contract_address
from tests.chain.vm.tokens import (
    BLOCK,
    GAS,
    INSUFFICIENT_ALLOWANCE,
    INSUFFICIENT_BALANCE,
    INVALID_AMOUNT,
    RECEIVER_FROZEN,
    SELF_TRANSFER,
    SENDER_FROZEN,
    balance,
    call,
    check_transfer_from,
    deploy,
    deploy_cash,
    fresh_state,
    panic_code,
    query,
    read_u64,
    u8,
    u64,
)

ISSUER, ALICE, BOB, CAROL = keypair("issuer"), keypair("alice"), keypair("bob"), keypair("carol")
A_, B_, C_ = account(ALICE), account(BOB), account(CAROL)
PAGE_GAS = PAGE_WRITE_GAS_PER_BYTE * 65536
MAX_U64 = 2**64 - 1


@pytest.fixture
def state() -> Iterator[State]:
    yield from fresh_state()


@pytest.fixture
def eur(state: State) -> ContractId:
    token = deploy_cash(state, ISSUER, "EUR")
    call(state, token, "mint", A_ + u64(1_000), ISSUER)
    return token


def supply(state: State, token: ContractId) -> int:
    return read_u64(query(state, token, "total_supply"))


def test_info_and_init_checks(state):
    token = deploy_cash(state, ISSUER, "USD")
    assert query(state, token, "info") == bytes(ISSUER.public) + b"USD" + u8(2)
    assert supply(state, token) == 0
    assert balance(state, token, A_) == 0
    with pytest.raises(CallFailed, match="invalid_arguments"):
        deploy(state, "cash_token", bytes(ISSUER.public) + b"eu" + u8(2), nonce=1)


def test_mint_is_issuer_only_and_emits(state):
    token = deploy_cash(state, ISSUER)
    result = call(state, token, "mint", A_ + u64(500), ISSUER)
    assert [(e.source, e.topic, e.data) for e in result.events] == [(token, "mint", A_ + u64(500))]
    assert balance(state, token, A_) == 500
    assert supply(state, token) == 500
    assert panic_code(state, token, "mint", A_ + u64(1), ALICE) == "not_authorised"
    assert panic_code(state, token, "mint", A_ + u64(1), None) == "no_caller"
    assert panic_code(state, token, "mint", A_ + u64(0), ISSUER) == "invalid_amount"
    assert panic_code(state, token, "mint", A_, ISSUER) == "invalid_arguments"
    assert panic_code(state, token, "mint", b"\x02" + A_[1:] + u64(1), ISSUER) == "invalid_address"
    bad_contract = b"\x01" + bytes(47) + b"\x01" + u64(1)
    assert panic_code(state, token, "mint", bad_contract, ISSUER) == "invalid_address"
    assert supply(state, token) == 500


def test_mint_beyond_u64_overflows(state):
    token = deploy_cash(state, ISSUER)
    call(state, token, "mint", A_ + u64(MAX_U64 - 10), ISSUER)
    call(state, token, "mint", B_ + u64(10), ISSUER)
    assert supply(state, token) == MAX_U64
    root = state.compute_state_root()
    assert panic_code(state, token, "mint", C_ + u64(1), ISSUER) == "overflow"
    assert state.compute_state_root() == root
    assert balance(state, token, C_) == 0


def test_burn(state, eur):
    result = call(state, eur, "burn", A_ + u64(300), ISSUER)
    assert [(e.topic, e.data) for e in result.events] == [("burn", A_ + u64(300))]
    assert balance(state, eur, A_) == 700
    assert supply(state, eur) == 700
    assert panic_code(state, eur, "burn", A_ + u64(1), ALICE) == "not_authorised"
    assert panic_code(state, eur, "burn", A_ + u64(701), ISSUER) == "insufficient_balance"
    assert panic_code(state, eur, "burn", B_ + u64(1), ISSUER) == "insufficient_balance"
    assert panic_code(state, eur, "burn", A_ + u64(0), ISSUER) == "invalid_amount"


def test_transfer_moves_and_emits(state, eur):
    result = call(state, eur, "transfer", B_ + u64(250), ALICE)
    assert [(e.source, e.topic, e.data) for e in result.events] == [(eur, "transfer", A_ + B_ + u64(250))]
    assert (balance(state, eur, A_), balance(state, eur, B_)) == (750, 250)
    assert supply(state, eur) == 1_000


def test_transfer_refusals_keep_the_state(state, eur):
    root = state.compute_state_root()
    assert panic_code(state, eur, "transfer", B_ + u64(1_001), ALICE) == "insufficient_balance"
    assert panic_code(state, eur, "transfer", A_ + u64(1), BOB) == "insufficient_balance"
    assert panic_code(state, eur, "transfer", B_ + u64(0), ALICE) == "invalid_amount"
    assert panic_code(state, eur, "transfer", A_ + u64(1), ALICE) == "self_transfer"
    assert panic_code(state, eur, "transfer", B_ + u64(1), None) == "no_caller"
    assert state.compute_state_root() == root


def test_freeze_blocks_sending_and_receiving(state, eur):
    call(state, eur, "transfer", B_ + u64(100), ALICE)
    assert panic_code(state, eur, "freeze", A_ + u8(1), ALICE) == "not_authorised"
    assert panic_code(state, eur, "freeze", A_ + u8(2), ISSUER) == "invalid_arguments"
    result = call(state, eur, "freeze", A_ + u8(1), ISSUER)
    assert [(e.topic, e.data) for e in result.events] == [("freeze", A_ + u8(1))]
    assert query(state, eur, "is_frozen", A_) == u8(1)
    assert query(state, eur, "is_frozen", B_) == u8(0)
    assert panic_code(state, eur, "transfer", B_ + u64(1), ALICE) == "sender_frozen"
    assert panic_code(state, eur, "transfer", A_ + u64(1), BOB) == "receiver_frozen"
    assert panic_code(state, eur, "mint", A_ + u64(1), ISSUER) == "receiver_frozen"
    call(state, eur, "freeze", A_ + u8(0), ISSUER)
    assert query(state, eur, "is_frozen", A_) == u8(0)
    call(state, eur, "transfer", B_ + u64(1), ALICE)
    assert balance(state, eur, B_) == 101


def test_approve_allowance_and_transfer_from(state, eur):
    result = call(state, eur, "approve", B_ + u64(300), ALICE)
    assert [(e.topic, e.data) for e in result.events] == [("approval", A_ + B_ + u64(300))]
    assert read_u64(query(state, eur, "allowance", A_ + B_)) == 300
    assert read_u64(query(state, eur, "allowance", B_ + A_)) == 0
    assert read_u64(query(state, eur, "allowance", A_ + C_)) == 0
    result = call(state, eur, "transfer_from", A_ + C_ + u64(120), BOB)
    assert [(e.topic, e.data) for e in result.events] == [("transfer", A_ + C_ + u64(120))]
    assert read_u64(query(state, eur, "allowance", A_ + B_)) == 180
    assert (balance(state, eur, A_), balance(state, eur, C_)) == (880, 120)
    assert panic_code(state, eur, "transfer_from", A_ + C_ + u64(181), BOB) == "insufficient_allowance"
    assert panic_code(state, eur, "transfer_from", A_ + C_ + u64(1), CAROL) == "insufficient_allowance"
    call(state, eur, "approve", B_ + u64(MAX_U64), ALICE)
    assert panic_code(state, eur, "transfer_from", A_ + C_ + u64(881), BOB) == "insufficient_balance"
    call(state, eur, "approve", B_ + u64(0), ALICE)
    assert read_u64(query(state, eur, "allowance", A_ + B_)) == 0
    assert panic_code(state, eur, "transfer_from", A_ + C_ + u64(1), BOB) == "insufficient_allowance"
    assert panic_code(state, eur, "approve", B_ + u64(1), None) == "no_caller"


def test_check_transfer_from_reports_every_code(state, eur):
    call(state, eur, "approve", B_ + u64(10), ALICE)
    assert check_transfer_from(state, eur, B_, A_, C_, 10) == []
    assert check_transfer_from(state, eur, B_, A_, C_, 11) == [INSUFFICIENT_ALLOWANCE]
    call(state, eur, "freeze", A_ + u8(1), ISSUER)
    call(state, eur, "freeze", C_ + u8(1), ISSUER)
    assert check_transfer_from(state, eur, B_, A_, C_, 5_000) == [
        SENDER_FROZEN,
        RECEIVER_FROZEN,
        INSUFFICIENT_BALANCE,
        INSUFFICIENT_ALLOWANCE,
    ]
    assert check_transfer_from(state, eur, B_, A_, A_, 0) == [
        SENDER_FROZEN,
        RECEIVER_FROZEN,
        INVALID_AMOUNT,
        SELF_TRANSFER,
    ]
    assert check_transfer_from(state, eur, C_, B_, B_, 0) == [INVALID_AMOUNT, SELF_TRANSFER]
    # transfer_from panics with the first code
    assert panic_code(state, eur, "transfer_from", A_ + C_ + u64(5_000), BOB) == "sender_frozen"


def test_a_contract_caller_is_a_tag_1_address(state, eur):
    proxy = deploy(state, "proxy", nonce=1)
    call(state, eur, "transfer", contract_address(proxy) + u64(40), ALICE)
    args = bytes(eur) + u64(0) + u8(len("transfer")) + b"transfer" + B_ + u64(15)
    result = call(state, proxy, "call", args, ALICE)
    assert int.from_bytes(result.data[:4], "little", signed=True) == 0
    assert [(e.topic, e.data) for e in result.events] == [
        ("transfer", contract_address(proxy) + B_ + u64(15))
    ]
    assert balance(state, eur, contract_address(proxy)) == 25
    assert balance(state, eur, B_) == 15


def test_total_supply_is_conserved(state, eur):
    people = [keypair(f"holder-{i}") for i in range(8)]
    for person in people:
        call(state, eur, "mint", account(person) + u64(1_000), ISSUER)
    rng = random.Random(7)  # noqa: S311 - a reproducible walk, not cryptography
    for _ in range(40):
        sender, receiver = rng.sample(people, 2)
        amount = rng.randint(1, 1_500)
        try:
            call(state, eur, "transfer", account(receiver) + u64(amount), sender)
        except CallFailed as error:  # refusals (insufficient balance) are part of the walk
            assert str(error).startswith("insufficient_balance")
    holders = [A_] + [account(p) for p in people]
    assert sum(balance(state, eur, h) for h in holders) == supply(state, eur) == 9_000


def test_a_transfer_writes_few_pages(state, eur):
    call(state, eur, "transfer", B_ + u64(1), ALICE)
    spent = VmSession(state, BLOCK).call(eur, "transfer", B_ + u64(1), caller=ALICE.public, gas_limit=GAS)
    # two holder slots (at most two pages), no globals change, no stack page
    assert spent.gas_spent < 2 * PAGE_GAS + 100_000
