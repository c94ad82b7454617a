"""Mempool admission, ordering, replacement, limits and eviction."""

from __future__ import annotations

import pytest

from chain.node.exceptions import MempoolRejected
from chain.node.mempool import Mempool, MempoolLimits
from chain.state.accounts import Account
from chain.transition.roots import compute_transaction_id
from chain.types.primitives import BlsPublicKey, Lux, Nonce
from tests.chain.helpers import CHAIN_ID, genesis, keypair, transfer

A, B, C, R = (keypair(n) for n in ("a", "b", "c", "r"))


@pytest.fixture
def nonces() -> dict[BlsPublicKey, int]:
    return {}


def make(nonces, balance: int = 10**12, **limits) -> Mempool:
    params = genesis({}).params

    def account_of(pk: BlsPublicKey) -> Account:
        return Account(Nonce(nonces.get(pk, 0)), Lux(balance))

    return Mempool(params, account_of, MempoolLimits(**limits))


def test_orders_by_gas_price_and_keeps_each_sender_in_nonce_order(nonces):
    pool = make(nonces)
    a2 = transfer(A, R.public, value=1, nonce=2, gas_price=50)
    a1 = transfer(A, R.public, value=1, nonce=1, gas_price=5)
    b1 = transfer(B, R.public, value=1, nonce=1, gas_price=10)
    c1 = transfer(C, R.public, value=1, nonce=1, gas_price=1)
    for tx in (a2, a1, b1, c1):
        pool.add(tx, now=0)
    assert list(pool.iter_for_block()) == [b1, a1, a2, c1]


def test_gap_blocks_the_sender_until_filled(nonces):
    pool = make(nonces)
    a3 = transfer(A, R.public, value=1, nonce=3)
    pool.add(a3, now=0)
    assert list(pool.iter_for_block()) == []


def test_replacement_needs_a_higher_fee(nonces):
    pool = make(nonces)
    first = transfer(A, R.public, value=1, nonce=1, gas_price=100)
    pool.add(first, now=0)
    with pytest.raises(MempoolRejected) as error:
        pool.add(transfer(A, R.public, value=2, nonce=1, gas_price=105), now=0)
    assert error.value.reason == "underpriced_replacement"
    better = transfer(A, R.public, value=2, nonce=1, gas_price=110)
    pool.add(better, now=0)
    assert list(pool.iter_for_block()) == [better]
    assert compute_transaction_id(first) not in pool


def test_same_transaction_twice_is_one_entry(nonces):
    pool = make(nonces)
    tx = transfer(A, R.public, value=1, nonce=1)
    assert pool.add(tx, now=0) == pool.add(tx, now=1)
    assert len(pool) == 1


@pytest.mark.parametrize(
    ("tx_kwargs", "stored", "reason"),
    [
        ({"nonce": 1}, 1, "nonce_replay"),
        ({"nonce": 100}, 0, "nonce_gap"),
        ({"nonce": 1, "chain_id": CHAIN_ID + 1}, 0, "wrong_chain_id"),
        ({"nonce": 1, "gas_price": 0}, 0, "zero_gas_price"),
    ],
)
def test_invalid_admission(nonces, tx_kwargs, stored, reason):
    nonces[A.public] = stored
    pool = make(nonces)
    with pytest.raises(MempoolRejected) as error:
        pool.add(transfer(A, R.public, value=1, **tx_kwargs), now=0)
    assert error.value.reason == reason
    assert len(pool) == 0


def test_invalid_sender_limit(nonces):
    pool = make(nonces, max_per_sender=2)
    pool.add(transfer(A, R.public, value=1, nonce=1), now=0)
    pool.add(transfer(A, R.public, value=1, nonce=2), now=0)
    with pytest.raises(MempoolRejected) as error:
        pool.add(transfer(A, R.public, value=1, nonce=3), now=0)
    assert error.value.reason == "sender_full"


def test_full_pool_evicts_the_cheapest_for_a_better_payer(nonces):
    pool = make(nonces, max_transactions=2)
    cheap = transfer(A, R.public, value=1, nonce=1, gas_price=1)
    mid = transfer(B, R.public, value=1, nonce=1, gas_price=5)
    pool.add(cheap, now=0)
    pool.add(mid, now=0)
    with pytest.raises(MempoolRejected) as error:
        pool.add(transfer(C, R.public, value=1, nonce=1, gas_price=1), now=0)
    assert error.value.reason == "mempool_full"
    rich = transfer(C, R.public, value=1, nonce=1, gas_price=9)
    pool.add(rich, now=0)
    assert compute_transaction_id(cheap) not in pool
    assert len(pool) == 2


def test_stale_entries_are_evicted(nonces):
    pool = make(nonces, ttl_seconds=60)
    included = transfer(A, R.public, value=1, nonce=1)
    old = transfer(B, R.public, value=1, nonce=1)
    fresh = transfer(C, R.public, value=1, nonce=1)
    pool.add(included, now=0)
    pool.add(old, now=0)
    pool.add(fresh, now=100)
    nonces[A.public] = 1
    assert pool.evict_stale(now=120) == 2
    assert list(pool.iter_for_block()) == [fresh]


def test_invalid_balance_must_cover_all_waiting_transactions(nonces):
    pool = make(nonces, balance=125_000)  # each 40,000 + 21,000 gas fits twice
    pool.add(transfer(A, R.public, value=40_000, nonce=1, gas_limit=21_000), now=0)
    with pytest.raises(MempoolRejected) as error:
        pool.add(transfer(A, R.public, value=40_000, nonce=2, gas_limit=50_000), now=0)
    assert error.value.reason == "insufficient_balance"
    assert len(pool) == 1
    pool.add(transfer(A, R.public, value=40_000, nonce=2, gas_limit=21_000), now=0)
    assert len(pool) == 2
