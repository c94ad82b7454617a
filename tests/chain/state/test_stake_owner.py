"""``State.get_stake_owner`` / ``set_stake_owner``: the ``b"sown"`` rows (both stores)."""

from __future__ import annotations

import pytest

from chain.state import (
    InvalidStateValue,
    State,
    StateDecodeError,
    StoreAPI,
    compute_stake_owner_key,
)
from tests.chain.state.helpers import commit_state, commit_writes, make_pk


def test_stake_owner_round_trip_and_delete(store: StoreAPI) -> None:
    state = State(store)
    assert state.get_stake_owner(make_pk(1)) is None
    state.set_stake_owner(make_pk(1), make_pk(2))
    assert state.get_stake_owner(make_pk(1)) == make_pk(2)
    assert state.pending_writes() == {compute_stake_owner_key(make_pk(1)): bytes(make_pk(2))}
    commit_state(store, state)
    state = State(store)
    assert state.get_stake_owner(make_pk(1)) == make_pk(2)
    assert list(state.iter_stakes()) == []  # another namespace than the stakes
    state.set_stake_owner(make_pk(1), None)
    assert state.get_stake_owner(make_pk(1)) is None
    commit_state(store, state)
    assert store.get(compute_stake_owner_key(make_pk(1))) is None


def test_stake_owner_key_layout() -> None:
    assert compute_stake_owner_key(make_pk(3)) == b"sown" + bytes(make_pk(3))


def test_invalid_stake_owner_arguments(store: StoreAPI) -> None:
    state = State(store)
    with pytest.raises(InvalidStateValue):
        state.set_stake_owner(make_pk(1), b"\x01" * 48)  # type: ignore[arg-type]
    with pytest.raises(InvalidStateValue):
        state.get_stake_owner(b"\x01" * 48)  # type: ignore[arg-type]
    assert state.pending_writes() == {}


def test_invalid_stored_stake_owner_bytes(store: StoreAPI) -> None:
    commit_writes(store, {compute_stake_owner_key(make_pk(1)): b"\x01" * 47})
    with pytest.raises(StateDecodeError):
        State(store).get_stake_owner(make_pk(1))
