"""The verifying-key registry (chain/state/verifying_keys.py; docs/zk.md, "Verification in
the chain"): ids are BLAKE2b-256 over a domain tag and the key bytes, rows are in the state
commitment, a key is found only in a state that registered it, and invalid keys never get in."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.crypto import groth16
from chain.crypto.exceptions import ProofRefused
from chain.state import verifying_keys
from chain.state.exceptions import UnknownVerifyingKey
from chain.state.keys import VERIFYING_KEY_PREFIX
from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.types.primitives import Hash32

VK = (Path(__file__).resolve().parents[3] / "circuits" / "build" / "range_product.vk").read_bytes()


@pytest.fixture
def state() -> Iterator[State]:
    with MemoryStore().read_view() as view:
        yield State(view)


def test_the_id_is_blake2b_256_of_the_domain_tag_and_the_key_bytes():
    expected = hashlib.blake2b(b"GLOAM-GROTH16-VK-V1" + VK, digest_size=32).digest()
    assert groth16.compute_vk_id(VK) == Hash32(expected)
    assert verifying_keys.compute_vk_id(VK) == Hash32(expected)


def test_registering_writes_one_row_under_the_id_and_changes_the_state_root(state):
    before = state.compute_state_root()
    vk_id = verifying_keys.register_verifying_key(state, VK)
    assert dict(state.pending_writes()) == {VERIFYING_KEY_PREFIX + vk_id: VK}
    assert state.compute_state_root() != before
    assert verifying_keys.list_verifying_keys(state) == [(vk_id, 2)]
    assert verifying_keys.get_verifying_key(state, vk_id).encoded == VK


def test_an_unregistered_id_is_unknown_even_if_another_state_cached_it(state):
    with MemoryStore().read_view() as view:
        other = State(view)
        vk_id = verifying_keys.register_verifying_key(other, VK)
        verifying_keys.get_verifying_key(other, vk_id)
    with pytest.raises(UnknownVerifyingKey) as error:
        verifying_keys.get_verifying_key(state, vk_id)
    assert error.value.reason == "unknown_verifying_key"
    with pytest.raises(UnknownVerifyingKey):
        verifying_keys.verify_statement(state, vk_id, bytes(64), bytes(192))


@pytest.mark.parametrize(
    "bad",
    [b"", VK[:-1], VK + bytes(48), bytes(len(VK)), VK[:48] + bytes([0xC0]) + bytes(95) + VK[144:]],
    ids=["empty", "short", "long", "zeros", "beta_identity"],
)
def test_an_invalid_key_is_refused_and_nothing_is_written(state, bad):
    with pytest.raises(ProofRefused):
        verifying_keys.register_verifying_key(state, bad)
    assert dict(state.pending_writes()) == {}


def test_the_cache_is_bounded_and_a_decoded_key_is_reused(state):
    vk_id = verifying_keys.register_verifying_key(state, VK)
    first = verifying_keys.get_verifying_key(state, vk_id)
    assert verifying_keys.get_verifying_key(state, vk_id) is first
    for index in range(verifying_keys.MAX_CACHED_KEYS + 1):
        verifying_keys._remember(Hash32(index.to_bytes(32, "big")), first)
    assert len(verifying_keys._cache) == verifying_keys.MAX_CACHED_KEYS
    again = verifying_keys.get_verifying_key(state, vk_id)  # evicted: decoded anew
    assert again is not first
    assert again.encoded == VK
