"""Merkle roots, ids and the event bloom (reference §2.1)."""

from __future__ import annotations

from chain.crypto.hashes import sha3_256
from chain.transition.roots import compute_event_bloom, compute_merkle_root, is_in_bloom
from chain.types.primitives import ContractId, Hash32
from chain.types.receipts import Event


def h(n: int) -> Hash32:
    return sha3_256(bytes([n]))


def test_empty_list_root_is_zero():
    assert compute_merkle_root([]) == bytes(32)


def test_single_leaf_is_its_own_root():
    assert compute_merkle_root([h(1)]) == h(1)


def test_odd_level_repeats_the_left_child():
    a, b, c = h(1), h(2), h(3)
    expected = sha3_256(sha3_256(a + b) + sha3_256(c + c))
    assert compute_merkle_root([a, b, c]) == expected


def test_four_leaves():
    a, b, c, d = (h(i) for i in range(4))
    assert compute_merkle_root([a, b, c, d]) == sha3_256(sha3_256(a + b) + sha3_256(c + d))


def test_bloom_contains_its_events_and_sets_at_most_six_bits_each():
    event = Event(ContractId(b"\x01" + bytes(31)), "moonlight", b"payload")
    bloom = compute_event_bloom([event])
    assert is_in_bloom(bloom, event)
    assert 1 <= sum(bin(b).count("1") for b in bloom) <= 6
    assert compute_event_bloom([]) == bytes(256)
    other = Event(ContractId(b"\x02" + bytes(31)), "stake", b"x")
    assert not is_in_bloom(bloom, other)
