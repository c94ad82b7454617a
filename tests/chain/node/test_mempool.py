"""Mempool admission, ordering, replacement, limits and eviction."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chain.node.exceptions import MempoolRejected
from chain.node.mempool import Mempool, MempoolLimits
from chain.state.accounts import Account
from chain.transition.roots import compute_transaction_id
from chain.types.primitives import BlsPublicKey, BlsSignature, Lux, Nonce
from chain.types.transactions import encode_transaction
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


def test_invalid_copy_with_a_bad_signature_is_not_accepted(nonces):
    """The id excludes the signature: a copy of a waiting transaction with a forged
    signature must be validated, not answered with the waiting one's id."""
    from dataclasses import replace

    from chain.crypto import bls12_381 as bls
    from chain.types.transactions import compute_signing_bytes

    pool = make(nonces)
    tx = transfer(A, R.public, value=1, nonce=1)
    pool.add(tx, now=0)
    forged = replace(tx, signature=bls.Sign(B.secret, compute_signing_bytes(tx)))
    with pytest.raises(MempoolRejected) as error:
        pool.add(forged, now=1)
    assert error.value.reason == "bad_signature"
    assert pool.get(compute_transaction_id(tx)) == tx


def test_invalid_replacement_in_a_full_pool_keeps_the_waiting_transaction(nonces):
    """(a) A replacement that cannot make room is refused and the original stays."""
    from chain.types.transactions import Memo

    small = transfer(A, R.public, value=1, nonce=1, gas_price=10)
    other = transfer(B, R.public, value=1, nonce=1, gas_price=50)
    pool = make(nonces, max_bytes=2 * len(encode_transaction(small)) + 10)
    pool.add(small, now=0)
    pool.add(other, now=0)
    big = transfer(A, R.public, value=1, nonce=1, gas_price=20, gas_limit=100_000, data=Memo(b"x" * 200))
    with pytest.raises(MempoolRejected) as error:
        pool.add(big, now=1)
    assert error.value.reason == "mempool_full"
    assert pool.get(compute_transaction_id(small)) == small
    assert len(pool) == 2
    assert pool.size_bytes == sum(len(encode_transaction(t)) for t in (small, other))


def test_invalid_partial_eviction_leaves_the_pool_unchanged(nonces):
    """(b) If evicting all cheaper entries is not enough, nothing is evicted."""
    from chain.types.transactions import Memo

    cheap = transfer(C, R.public, value=1, nonce=1, gas_price=1)
    rich = transfer(B, R.public, value=1, nonce=1, gas_price=50)
    pool = make(nonces, max_bytes=2 * len(encode_transaction(cheap)) + 10)
    pool.add(cheap, now=0)
    pool.add(rich, now=0)
    big = transfer(A, R.public, value=1, nonce=1, gas_price=10, gas_limit=100_000, data=Memo(b"x" * 200))
    with pytest.raises(MempoolRejected) as error:
        pool.add(big, now=1)
    assert error.value.reason == "mempool_full"
    assert len(pool) == 2
    assert compute_transaction_id(cheap) in pool


def test_invalid_full_pool_never_evicts_the_submitters_earlier_nonce(nonces):
    """(c) A sender's later nonce cannot push out its own predecessor (a gap)."""
    pool = make(nonces, max_transactions=1)
    first = transfer(A, R.public, value=1, nonce=1, gas_price=1)
    pool.add(first, now=0)
    with pytest.raises(MempoolRejected) as error:
        pool.add(transfer(A, R.public, value=1, nonce=2, gas_price=5), now=1)
    assert error.value.reason == "mempool_full"
    assert list(pool.iter_for_block()) == [first]


def test_invalid_full_pool_never_evicts_a_middle_nonce(nonces):
    """(c) Only a sender's highest waiting nonce may be evicted: no gap in another queue."""
    pool = make(nonces, max_transactions=3)
    b1 = transfer(B, R.public, value=1, nonce=1, gas_price=5)
    b2 = transfer(B, R.public, value=1, nonce=2, gas_price=1)
    b3 = transfer(B, R.public, value=1, nonce=3, gas_price=5)
    for tx in (b1, b2, b3):
        pool.add(tx, now=0)
    with pytest.raises(MempoolRejected) as error:
        pool.add(transfer(C, R.public, value=1, nonce=1, gas_price=3), now=1)
    assert error.value.reason == "mempool_full"
    assert list(pool.iter_for_block()) == [b1, b2, b3]
    c1 = transfer(C, R.public, value=1, nonce=1, gas_price=9)
    pool.add(c1, now=1)  # B3 (the tail, 5 < 9) goes; B1 and B2 stay executable
    assert list(pool.iter_for_block()) == [c1, b1, b2]


def test_full_pool_evicts_a_tail_then_its_predecessor(nonces):
    """Several entries may go for one better payer, each sender from its tail down."""
    from chain.types.transactions import Memo

    b1 = transfer(B, R.public, value=1, nonce=1, gas_price=2)
    b2 = transfer(B, R.public, value=1, nonce=2, gas_price=1)
    pool = make(nonces, max_bytes=2 * len(encode_transaction(b1)) + 10)
    pool.add(b1, now=0)
    pool.add(b2, now=0)
    big = transfer(A, R.public, value=1, nonce=1, gas_price=9, gas_limit=100_000, data=Memo(b"x" * 200))
    pool.add(big, now=1)
    assert list(pool.iter_for_block()) == [big]
    assert pool.size_bytes == len(encode_transaction(big))


def test_is_verified_only_for_the_exact_waiting_bytes(nonces):
    """Block validation skips the signatures ``is_verified`` vouches for: it must never vouch
    for a transaction with the same id (signed bytes) but another signature."""
    pool = make(nonces)
    tx = transfer(A, R.public, value=1, nonce=1)
    assert not pool.is_verified(tx)
    pool.add(tx, now=0)
    assert pool.is_verified(tx)
    forged = replace(tx, signature=BlsSignature(transfer(B, R.public, value=1, nonce=1).signature))
    assert compute_transaction_id(forged) == compute_transaction_id(tx)
    assert not pool.is_verified(forged)
    pool.remove({compute_transaction_id(tx)})
    assert not pool.is_verified(tx)
