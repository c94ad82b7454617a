"""The ``State`` overlay: typed accessors, pending writes, nested snapshots (both stores)."""

from __future__ import annotations

import pytest

from chain.crypto.hashes import sha3_256
from chain.state import (
    EMPTY_ACCOUNT,
    Account,
    InvalidStateValue,
    SnapshotError,
    Stake,
    StakeAmount,
    State,
    StoreAPI,
    compute_account_key,
    compute_contract_commitment_key,
    compute_stake_key,
    encode_account,
)
from chain.types.primitives import U8, BlsPublicKey, Hash32, Height, Lux, Nonce
from tests.chain.state.helpers import commit_state, make_contract_id, make_pk


def stake_of(value: int, reward: int = 0) -> Stake:
    return Stake(StakeAmount(Lux(value), Lux(0), Height(4320)), Lux(reward), U8(0), U8(0))


def test_missing_account_reads_as_empty(store: StoreAPI) -> None:
    assert State(store).get_account(make_pk(1)) == EMPTY_ACCOUNT


def test_account_round_trip_pending_and_committed(store: StoreAPI) -> None:
    state = State(store)
    account = Account(Nonce(3), Lux(10**9))
    state.set_account(make_pk(1), account)
    assert state.get_account(make_pk(1)) == account
    assert state.pending_writes() == {compute_account_key(make_pk(1)): encode_account(account)}
    commit_state(store, state)
    assert State(store).get_account(make_pk(1)) == account
    with store.read_view() as view:
        assert State(view).get_account(make_pk(1)) == account
        assert State(view).get_account(make_pk(2)) == EMPTY_ACCOUNT


def test_setting_the_empty_account_deletes_the_row(store: StoreAPI) -> None:
    state = State(store)
    state.set_account(make_pk(1), Account(Nonce(1), Lux(5)))
    commit_state(store, state)
    state = State(store)
    state.set_account(make_pk(1), EMPTY_ACCOUNT)
    assert state.pending_writes() == {compute_account_key(make_pk(1)): None}
    commit_state(store, state)
    assert store.get(compute_account_key(make_pk(1))) is None


def test_stake_round_trip_and_delete(store: StoreAPI) -> None:
    state = State(store)
    assert state.get_stake(make_pk(1)) is None
    state.set_stake(make_pk(1), stake_of(1000))
    assert state.get_stake(make_pk(1)) == stake_of(1000)
    commit_state(store, state)
    state = State(store)
    assert state.get_stake(make_pk(1)) == stake_of(1000)
    state.set_stake(make_pk(1), None)
    assert state.get_stake(make_pk(1)) is None
    commit_state(store, state)
    assert State(store).get_stake(make_pk(1)) is None
    assert store.get(compute_stake_key(make_pk(1))) is None


def test_iter_stakes_sorted_by_pk_and_merges_pending(store: StoreAPI) -> None:
    state = State(store)
    for i in range(10):
        state.set_stake(make_pk(i), stake_of(1000 + i))
    state.set_account(make_pk(99), Account(Nonce(0), Lux(1)))  # another namespace: not listed
    commit_state(store, state)

    state = State(store)
    state.set_stake(make_pk(3), None)  # pending delete
    state.set_stake(make_pk(4), stake_of(7, reward=1))  # pending update
    state.set_stake(make_pk(42), stake_of(42))  # pending insert
    listed = list(state.iter_stakes())
    expected = {make_pk(i): stake_of(1000 + i) for i in range(10) if i != 3}
    expected[make_pk(4)] = stake_of(7, reward=1)
    expected[make_pk(42)] = stake_of(42)
    assert [pk for pk, _ in listed] == sorted(expected)
    assert dict(listed) == expected
    assert all(isinstance(pk, BlsPublicKey) for pk, _ in listed)


def test_contract_commitment_round_trip(store: StoreAPI) -> None:
    state = State(store)
    cid = make_contract_id(1)
    assert state.get_contract_commitment(cid) is None
    commitment = sha3_256(b"memory pages")
    state.set_contract_commitment(cid, commitment)
    assert state.get_contract_commitment(cid) == commitment
    commit_state(store, state)
    assert State(store).get_contract_commitment(cid) == commitment
    assert store.get(compute_contract_commitment_key(cid)) == commitment
    state = State(store)
    state.set_contract_commitment(cid, None)
    commit_state(store, state)
    assert State(store).get_contract_commitment(cid) is None


def test_pending_writes_is_a_read_only_copy(store: StoreAPI) -> None:
    state = State(store)
    state.set_account(make_pk(1), Account(Nonce(1), Lux(1)))
    writes = state.pending_writes()
    state.set_account(make_pk(2), Account(Nonce(1), Lux(1)))
    assert len(writes) == 1
    with pytest.raises(TypeError):
        writes[b"x"] = b"y"  # type: ignore[index]


def test_state_never_writes_to_its_base(store: StoreAPI) -> None:
    state = State(store)
    state.set_account(make_pk(1), Account(Nonce(1), Lux(1)))
    state.compute_state_root()
    assert store.get(compute_account_key(make_pk(1))) is None
    assert store.head() is None


# -- snapshots -----------------------------------------------------------------------------


def test_rollback_undoes_everything_since_the_snapshot(store: StoreAPI) -> None:
    state = State(store)
    state.set_account(make_pk(1), Account(Nonce(1), Lux(100)))
    before_writes = dict(state.pending_writes())
    before_root = state.compute_state_root()
    snapshot = state.snapshot()
    state.set_account(make_pk(1), Account(Nonce(2), Lux(50)))
    state.set_account(make_pk(2), Account(Nonce(0), Lux(50)))
    state.set_stake(make_pk(3), stake_of(1))
    state.set_contract_commitment(make_contract_id(1), sha3_256(b"x"))
    state.rollback(snapshot)
    assert dict(state.pending_writes()) == before_writes
    assert state.get_account(make_pk(1)) == Account(Nonce(1), Lux(100))
    assert state.get_account(make_pk(2)) == EMPTY_ACCOUNT
    assert state.get_stake(make_pk(3)) is None
    assert state.compute_state_root() == before_root


def test_rollback_restores_a_pending_delete(store: StoreAPI) -> None:
    state = State(store)
    state.set_account(make_pk(1), Account(Nonce(1), Lux(1)))
    commit_state(store, state)
    state = State(store)
    state.set_account(make_pk(1), EMPTY_ACCOUNT)  # pending delete
    snapshot = state.snapshot()
    state.set_account(make_pk(1), Account(Nonce(9), Lux(9)))
    state.rollback(snapshot)
    assert state.pending_writes() == {compute_account_key(make_pk(1)): None}
    assert state.get_account(make_pk(1)) == EMPTY_ACCOUNT


def test_nested_snapshots(store: StoreAPI) -> None:
    state = State(store)
    outer = state.snapshot()
    state.set_account(make_pk(1), Account(Nonce(1), Lux(1)))
    inner = state.snapshot()
    state.set_account(make_pk(2), Account(Nonce(2), Lux(2)))
    state.release(inner)  # keep the inner writes ...
    assert state.get_account(make_pk(2)) == Account(Nonce(2), Lux(2))
    state.rollback(outer)  # ... until the outer level rolls back
    assert state.pending_writes() == {}

    outer = state.snapshot()
    state.set_account(make_pk(1), Account(Nonce(1), Lux(1)))
    inner = state.snapshot()
    state.set_account(make_pk(1), Account(Nonce(5), Lux(5)))
    state.rollback(inner)  # a failed inner call
    assert state.get_account(make_pk(1)) == Account(Nonce(1), Lux(1))
    state.release(outer)
    assert state.get_account(make_pk(1)) == Account(Nonce(1), Lux(1))
    # After the outermost release nothing can undo the writes any more.
    with pytest.raises(SnapshotError):
        state.rollback(outer)


def test_three_levels_roll_back_in_order(store: StoreAPI) -> None:
    state = State(store)
    ids = []
    for level in range(3):
        ids.append(state.snapshot())
        state.set_account(make_pk(0), Account(Nonce(level + 1), Lux(0)))
    for level in reversed(range(3)):
        state.rollback(ids[level])
        expected = EMPTY_ACCOUNT if level == 0 else Account(Nonce(level), Lux(0))
        assert state.get_account(make_pk(0)) == expected


def test_invalid_snapshot_unknown_id(store: StoreAPI) -> None:
    state = State(store)
    with pytest.raises(SnapshotError) as caught:
        state.rollback(12345)
    assert caught.value.reason == "unknown_snapshot"
    with pytest.raises(SnapshotError):
        state.release(12345)


def test_invalid_snapshot_not_innermost_changes_nothing(store: StoreAPI) -> None:
    state = State(store)
    outer = state.snapshot()
    state.set_account(make_pk(1), Account(Nonce(1), Lux(1)))
    inner = state.snapshot()
    state.set_account(make_pk(2), Account(Nonce(1), Lux(1)))
    for operation in (state.rollback, state.release):
        with pytest.raises(SnapshotError) as caught:
            operation(outer)
        assert caught.value.reason == "not_innermost"
    assert len(state.pending_writes()) == 2
    state.rollback(inner)
    state.rollback(outer)
    assert state.pending_writes() == {}


def test_invalid_snapshot_id_reused_after_close(store: StoreAPI) -> None:
    state = State(store)
    first = state.snapshot()
    state.release(first)
    second = state.snapshot()
    assert second != first
    with pytest.raises(SnapshotError):
        state.rollback(first)


# -- bad input ------------------------------------------------------------------------------


def test_invalid_accessor_arguments(store: StoreAPI) -> None:
    state = State(store)
    with pytest.raises(InvalidStateValue):
        state.get_account(b"\x01" * 48)  # type: ignore[arg-type]  # raw bytes, not a BlsPublicKey
    with pytest.raises(InvalidStateValue):
        state.set_account(make_pk(1), (Nonce(1), Lux(1)))  # type: ignore[arg-type]
    with pytest.raises(InvalidStateValue):
        state.set_stake(make_pk(1), "stake")  # type: ignore[arg-type]
    with pytest.raises(InvalidStateValue):
        state.get_contract_commitment(Hash32(bytes(32)))  # type: ignore[arg-type]  # not a ContractId
    with pytest.raises(InvalidStateValue):
        state.set_contract_commitment(make_contract_id(1), b"\x00" * 32)  # type: ignore[arg-type]
    with pytest.raises(InvalidStateValue):
        State({})  # type: ignore[arg-type]
    assert state.pending_writes() == {}


def test_state_root_follows_writes_and_rollbacks(store: StoreAPI) -> None:
    state = State(store)
    empty_root = state.compute_state_root()
    snapshot = state.snapshot()
    state.set_account(make_pk(1), Account(Nonce(1), Lux(1)))
    written_root = state.compute_state_root()
    assert written_root != empty_root
    state.rollback(snapshot)
    assert state.compute_state_root() == empty_root
    state.set_account(make_pk(1), Account(Nonce(1), Lux(1)))
    assert state.compute_state_root() == written_root
