"""The nullifier set (chain/state/nullifiers.py; docs/zk.md "Nullifier set"): canonical 32-byte
scalars only, 1 to 4 per spend, all or none; the rows are state rows, so they enter the state
root, roll back with a snapshot, go with a reverted block and survive an LMDB reopen."""

from __future__ import annotations

from pathlib import Path

import pytest

from chain.crypto.poseidon import MODULUS
from chain.state import LmdbStore, MemoryStore, StoreAPI
from chain.state.exceptions import (
    DuplicateNullifier,
    InvalidNullifier,
    InvalidNullifierCount,
    InvalidStateValue,
    NullifierAlreadySpent,
)
from chain.state.keys import compute_nullifier_key
from chain.state.nullifiers import NullifierSet
from chain.state.state import State
from tests.chain.state.helpers import commit_state


def b(value: int) -> bytes:
    return value.to_bytes(32, "little")


def fresh_state() -> State:
    return State(MemoryStore())


def test_an_empty_set_holds_nothing():
    nullifiers = NullifierSet(fresh_state())
    assert nullifiers.spent_height(b(1)) is None
    assert not nullifiers.is_spent(b(0))


def test_spend_records_the_height_in_one_row_each():
    state = fresh_state()
    nullifiers = NullifierSet(state)
    nullifiers.spend([b(1), b(2)], height=9)
    assert nullifiers.spent_height(b(1)) == nullifiers.spent_height(b(2)) == 9
    assert dict(state.pending_writes()) == {
        b"nulf" + b(1): (9).to_bytes(8, "little"),
        b"nulf" + b(2): (9).to_bytes(8, "little"),
    }
    assert compute_nullifier_key(b(1)) == b"nulf" + b(1)


@pytest.mark.parametrize(
    ("batch", "error", "reason"),
    [
        ([], InvalidNullifierCount, "invalid_count"),
        ([b(i) for i in range(5)], InvalidNullifierCount, "invalid_count"),
        (b(1), InvalidNullifierCount, "invalid_count"),  # bytes, not a sequence of nullifiers
        ([b(1), b(MODULUS)], InvalidNullifier, "out_of_range"),
        ([b(1), b(2**256 - 1)], InvalidNullifier, "out_of_range"),
        ([b(1), bytes(31)], InvalidNullifier, "wrong_length"),
        ([b(1), "00" * 32], InvalidNullifier, "not_bytes"),
        ([b(1), b(2), b(1)], DuplicateNullifier, "duplicate_nullifier"),
        ([b(3), b(7)], NullifierAlreadySpent, "double_spend"),
    ],
)
def test_refusals_write_nothing(batch, error, reason):
    state = fresh_state()
    NullifierSet(state).spend([b(7)], height=1)
    before = dict(state.pending_writes())
    with pytest.raises(error) as raised:
        NullifierSet(state).spend(batch, height=2)
    assert raised.value.reason == reason
    assert dict(state.pending_writes()) == before
    if error is NullifierAlreadySpent:
        assert raised.value.nullifier == b(7)


def test_a_non_canonical_value_cannot_be_read_either():
    with pytest.raises(InvalidNullifier):
        NullifierSet(fresh_state()).is_spent(b(MODULUS + 1))


def test_a_bad_height_is_refused():
    with pytest.raises(InvalidStateValue):
        NullifierSet(fresh_state()).spend([b(1)], height=-1)


def test_rows_enter_the_state_root_and_roll_back_with_a_snapshot():
    state = fresh_state()
    empty = state.compute_state_root()
    snapshot = state.snapshot()
    NullifierSet(state).spend([b(5)], height=1)
    spent = state.compute_state_root()
    assert spent != empty
    state.rollback(snapshot)
    assert state.compute_state_root() == empty
    assert not NullifierSet(state).is_spent(b(5))


def test_the_height_is_part_of_the_commitment():
    first, second = fresh_state(), fresh_state()
    NullifierSet(first).spend([b(5)], height=1)
    NullifierSet(second).spend([b(5)], height=2)
    assert first.compute_state_root() != second.compute_state_root()


def test_reverting_the_block_unspends_and_restores_the_root(store: StoreAPI):
    with store.read_view() as view:
        state = State(view)
        NullifierSet(state).spend([b(1)], height=0)
        root_before = commit_state(store, state)
    with store.read_view() as view:
        state = State(view)
        NullifierSet(state).spend([b(2), b(3)], height=1)
        root_after = commit_state(store, state)
    assert root_after != root_before
    head = store.head()
    assert head is not None
    with store.read_view() as view:
        assert NullifierSet(State(view)).spent_height(b(3)) == 1
    store.revert_head(expected_hash=head.block_hash)
    with store.read_view() as view:
        state = State(view)
        nullifiers = NullifierSet(state)
        assert not nullifiers.is_spent(b(2))
        assert not nullifiers.is_spent(b(3))
        assert nullifiers.spent_height(b(1)) == 0
        assert state.compute_state_root() == root_before
        # after the revert the same nullifiers can be spent again (by the other fork's block)
        nullifiers.spend([b(2), b(3)], height=1)
    assert [key for key, _ in store.iter_prefix(b"nulf")] == [b"nulf" + b(1)]


def test_spent_nullifiers_survive_reopening_lmdb(tmp_path: Path):
    path = tmp_path / "store"
    store = LmdbStore(path, map_size=64 << 20)
    try:
        with store.read_view() as view:
            state = State(view)
            NullifierSet(state).spend([b(4), b(MODULUS - 1)], height=0)
            root = commit_state(store, state)
    finally:
        store.close()
    reopened = LmdbStore(path, map_size=64 << 20)
    try:
        with reopened.read_view() as view:
            state = State(view)
            nullifiers = NullifierSet(state)
            assert nullifiers.spent_height(b(4)) == 0
            assert nullifiers.is_spent(b(MODULUS - 1))
            assert not nullifiers.is_spent(b(5))
            assert state.compute_state_root() == root
            with pytest.raises(NullifierAlreadySpent):
                nullifiers.spend([b(5), b(4)], height=1)
            assert dict(state.pending_writes()) == {}
    finally:
        reopened.close()
