"""The largest payment one corporate action makes (``MAX_HOLDERS`` holders: ``MAX_BATCH`` (255)
DvP instructions of ``MAX_LEGS`` (8) cash legs from the issuer) settles in one ``settle_batch``
on the real contracts within the gas the DvP service gives it (``compute_settle_batch_gas``)
and the block's gas limit; one instruction more is refused by the contract, so the limit is
the contract's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chain.node.client import contract_abi
from chain.state.state import State
from chain.transition.params import ChainParams
from chain.types.primitives import ChainId
from corporate_actions import services as ca
from ledger.dvp import compute_settle_batch_gas
from tests.chain.helpers import keypair
from tests.chain.vm.abi import account, contract_address, read_u64, u64
from tests.chain.vm.tokens import balance, call, deploy, deploy_cash, fresh_state, panic_code

ISSUER, CASH_ISSUER = keypair("capacity-issuer"), keypair("capacity-cash")
ISSUER_ = account(ISSUER)


@pytest.fixture
def state() -> Iterator[State]:
    yield from fresh_state()


def test_the_largest_payment_settles_in_one_batch_within_its_gas(state):
    assert ca.MAX_HOLDERS == 2_040
    gas = compute_settle_batch_gas(ca.MAX_HOLDERS)
    assert ChainParams(chain_id=ChainId(1)).block_gas_limit >= gas
    eur = deploy_cash(state, CASH_ISSUER, "EUR", nonce=0)
    dvp = deploy(state, "dvp", nonce=1)
    holders = [account(i.to_bytes(48, "big")) for i in range(1, ca.MAX_HOLDERS + 1)]
    total = sum(range(1, ca.MAX_HOLDERS + 1))
    call(state, eur, "mint", ISSUER_ + u64(total), CASH_ISSUER)
    call(state, eur, "approve", contract_address(dvp) + u64(total), ISSUER)
    ids = []
    for start in range(0, len(holders), contract_abi.MAX_LEGS):
        legs = [
            contract_abi.Leg(bytes(eur), ISSUER_, holder, start + offset + 1)
            for offset, holder in enumerate(holders[start : start + contract_abi.MAX_LEGS])
        ]
        ids.append(read_u64(call(state, dvp, "create", contract_abi.encode_dvp_create(legs), ISSUER).data))
        call(state, dvp, "affirm", u64(ids[-1]), ISSUER)
    assert len(ids) == contract_abi.MAX_BATCH

    result = call(state, dvp, "settle_batch", contract_abi.encode_dvp_settle_batch(ids), ISSUER, gas=gas)
    assert contract_abi.decode_dvp_batch_result(result.data).settled
    assert result.gas_spent < gas
    assert [balance(state, eur, h) for h in (holders[0], holders[1_000], holders[-1])] == [1, 1_001, 2_040]
    assert balance(state, eur, ISSUER_) == 0
    print(f"settle_batch of {ca.MAX_HOLDERS} legs: {result.gas_spent:,} gas of {gas:,}")


def test_a_batch_names_at_most_255_instructions(state):
    with pytest.raises(contract_abi.AbiError):
        contract_abi.encode_dvp_settle_batch(list(range(1, contract_abi.MAX_BATCH + 2)))
    dvp = deploy(state, "dvp", nonce=1)
    wrapped = bytes([0]) + b"".join(u64(i) for i in range(1, 257))  # 256 ids, count 256 mod 256
    assert panic_code(state, dvp, "settle_batch", wrapped, ISSUER) == "invalid_arguments"
