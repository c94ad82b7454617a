"""The state root: incremental (``compute_state_update``, stores) against the from-scratch
reference, pinned values, and the properties a commitment must have."""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.state import (
    BUCKET_COUNT,
    TREE_DEPTH,
    ZERO_HASHES,
    Account,
    State,
    StateReadAPI,
    StoreAPI,
    compute_bucket,
    compute_bucket_hash,
    compute_state_root_reference,
    compute_state_update,
    get_state_root,
)
from chain.state.commitment import EMPTY_BUCKET_HASH
from chain.types.primitives import Lux, Nonce
from tests.chain.state.conftest import StoreFactory
from tests.chain.state.helpers import all_rows, commit_writes, make_pk


def sha3(data: bytes) -> bytes:
    return hashlib.sha3_256(data).digest()


def _keys_in_bucket(bucket: int, count: int) -> list[bytes]:
    found: list[bytes] = []
    i = 0
    while len(found) < count:
        key = b"k" + i.to_bytes(4, "big")
        if compute_bucket(key) == bucket:
            found.append(key)
        i += 1
    return found


# Keys that collide in one bucket and in its sibling, so updates, deletes and re-sorting
# inside a bucket and at a shared parent are exercised; plus keys spread anywhere.
COLLIDING = _keys_in_bucket(0, 5) + _keys_in_bucket(1, 4) + _keys_in_bucket(4095, 3)
SPREAD = [b"acct" + bytes([i]) * 48 for i in range(12)] + [b"x", b"y" * 200]
KEYS = COLLIDING + SPREAD

values = st.binary(max_size=40)
write = st.tuples(st.sampled_from(KEYS), st.none() | values)
block = st.lists(write, max_size=12)
blocks = st.lists(block, min_size=1, max_size=6)

STORE_SETTINGS: Any = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@functools.lru_cache(maxsize=4096)
def _reference_root(items: frozenset[tuple[bytes, bytes]]) -> bytes:
    return compute_state_root_reference(dict(items))


def reference_root(entries: dict[bytes, bytes]) -> bytes:
    """``compute_state_root_reference``, memoised (it takes ~20 ms: 8,191 hashes)."""
    return _reference_root(frozenset(entries.items()))


def reference_tree(entries: dict[bytes, bytes]) -> list[list[bytes]]:
    """Every level of the reference tree, level 0 (bucket hashes) to 12 (the root)."""
    buckets: list[dict[bytes, bytes]] = [{} for _ in range(BUCKET_COUNT)]
    for key, value in entries.items():
        buckets[compute_bucket(key)][key] = value
    levels: list[list[bytes]] = [[compute_bucket_hash(rows.items()) for rows in buckets]]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([sha3(below[i] + below[i + 1]) for i in range(0, len(below), 2)])
    return levels


# -- fixed values ------------------------------------------------------------------------------


def test_bucket_is_the_first_12_bits_of_sha3() -> None:
    for key in (b"", b"a", b"acct" + bytes(48), bytes(range(200))):
        digest = sha3(key)
        assert compute_bucket(key) == int.from_bytes(digest, "big") >> (256 - 12)


def test_empty_state_root() -> None:
    node = bytes(32)
    for _ in range(12):
        node = sha3(node + node)
    assert ZERO_HASHES[0] == EMPTY_BUCKET_HASH == bytes(32)
    assert ZERO_HASHES[12] == node
    assert compute_state_root_reference({}) == node


def test_empty_store_root(store: StoreAPI) -> None:
    assert get_state_root(store) == ZERO_HASHES[TREE_DEPTH]


def test_single_entry_root_by_hand() -> None:
    key, value = b"acct" + bytes(48), b"\x01" * 16
    bucket = int.from_bytes(sha3(key)[:2], "big") >> 4
    node = sha3(sha3(key) + sha3(value))
    empty = bytes(32)
    for level in range(12):
        node = sha3(empty + node) if (bucket >> level) & 1 else sha3(node + empty)
        empty = sha3(empty + empty)
    assert compute_state_root_reference({key: value}) == node


def test_bucket_hash_sorts_by_key() -> None:
    rows = [(b"b", b"2"), (b"a", b"1"), (b"ab", b"3")]
    expected = sha3(sha3(b"a") + sha3(b"1") + sha3(b"ab") + sha3(b"3") + sha3(b"b") + sha3(b"2"))
    assert compute_bucket_hash(rows) == expected
    assert compute_bucket_hash([]) == bytes(32)


def test_pinned_root_vector() -> None:
    # Pins the format: any change to bucketing, leaf encoding or tree shape changes it.
    entries = {b"acct" + bytes([i]) * 48: bytes([i]) * 16 for i in range(8)}
    entries[b"cmem" + bytes(32)] = bytes(32)
    assert compute_state_root_reference(entries).hex() == PINNED_ROOT


PINNED_ROOT = "43fe804a1cd4088bd6d5d56890b3348952fbee6653b7bd9efc547d2e4b0597bb"


# -- incremental == reference -----------------------------------------------------------------


@STORE_SETTINGS
@given(blocks=blocks)
def test_incremental_root_equals_reference(
    make_store: StoreFactory, blocks: list[list[tuple[bytes, bytes | None]]]
) -> None:
    model: dict[bytes, bytes] = {}
    with make_store() as store:
        for block_writes in blocks:
            writes = dict(block_writes)  # the last write of a key in a block wins
            for key, value in writes.items():
                if value is None:
                    model.pop(key, None)
                else:
                    model[key] = value
            with store.read_view() as view:
                update = compute_state_update(view, writes)
            assert update.root == reference_root(model)
            commit_writes(store, writes)
            assert get_state_root(store) == update.root
            assert all_rows(store) == model
        # Every persisted tree node equals the reference tree's.
        levels = reference_tree(model)
        for level in range(TREE_DEPTH + 1):
            for index in range(0, 1 << (TREE_DEPTH - level), 1 if level > 6 else 61):
                assert store.get_tree_node(level, index) == levels[level][index]
            for key in COLLIDING:
                index = compute_bucket(key) >> level
                assert store.get_tree_node(level, index) == levels[level][index]


operation = st.one_of(
    st.tuples(st.just("account"), st.integers(0, 15), st.integers(0, 3), st.integers(0, 3)),
    st.tuples(st.just("snapshot")),
    st.tuples(st.just("rollback")),
    st.tuples(st.just("release")),
    st.tuples(st.just("commit")),
)


@STORE_SETTINGS
@given(operations=st.lists(operation, max_size=30))
def test_state_root_with_snapshots_equals_reference(
    make_store: StoreFactory, operations: list[tuple[Any, ...]]
) -> None:
    """Model-based: random account writes, nested snapshots, rollbacks and commits."""
    with make_store() as store:
        committed: dict[bytes, bytes] = {}
        view = store.read_view()
        state = State(view)
        levels: list[tuple[int, dict[bytes, bytes | None]]] = []  # (snapshot id, pending before)
        pending: dict[bytes, bytes | None] = {}
        for op in operations:
            if op[0] == "account":
                _, i, nonce, balance = op
                account = Account(Nonce(nonce), Lux(balance))
                state.set_account(make_pk(i), account)
                key = b"acct" + make_pk(i)
                pending[key] = (
                    None
                    if nonce == balance == 0
                    else nonce.to_bytes(8, "little") + balance.to_bytes(8, "little")
                )
            elif op[0] == "snapshot":
                levels.append((state.snapshot(), dict(pending)))
            elif op[0] == "rollback" and levels:
                snapshot, pending = levels.pop()
                state.rollback(snapshot)
            elif op[0] == "release" and levels:
                state.release(levels.pop()[0])
            elif op[0] == "commit" and not levels:
                commit_writes(store, state.pending_writes())
                view.close()
                view = store.read_view()
                state = State(view)
                committed = {k: v for k, v in {**committed, **pending}.items() if v is not None}
                pending = {}
            assert dict(state.pending_writes()) == pending
            expected = {k: v for k, v in {**committed, **pending}.items() if v is not None}
            assert state.compute_state_root() == reference_root(expected)
        view.close()


# -- properties ---------------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(
    base=st.dictionaries(st.sampled_from(KEYS), values, max_size=10),
    key=st.sampled_from(KEYS),
    value=st.none() | values,
)
def test_root_changes_with_any_effective_write(
    base: dict[bytes, bytes], key: bytes, value: bytes | None
) -> None:
    after = dict(base)
    if value is None:
        after.pop(key, None)
    else:
        after[key] = value
    before_root = compute_state_root_reference(base)
    after_root = compute_state_root_reference(after)
    assert (before_root == after_root) == (after == base)


@STORE_SETTINGS
@given(
    writes=st.lists(
        st.tuples(st.sampled_from(KEYS), values), min_size=1, max_size=15, unique_by=lambda w: w[0]
    ),
    data=st.data(),
)
def test_root_is_independent_of_write_order_and_block_split(
    make_store: StoreFactory, writes: list[tuple[bytes, bytes]], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(writes))
    cut = data.draw(st.integers(0, len(shuffled)))
    expected = compute_state_root_reference(dict(writes))
    with make_store() as store:
        commit_writes(store, dict(shuffled[:cut]))
        commit_writes(store, dict(shuffled[cut:]))
        assert get_state_root(store) == expected
    with make_store() as store:
        commit_writes(store, dict(reversed(writes)))
        assert get_state_root(store) == expected


def test_deleting_everything_returns_to_the_empty_root(store: StoreAPI) -> None:
    commit_writes(store, dict.fromkeys(KEYS, b"v"))
    assert get_state_root(store) != ZERO_HASHES[TREE_DEPTH]
    commit_writes(store, dict.fromkeys(KEYS))
    assert get_state_root(store) == ZERO_HASHES[TREE_DEPTH]
    assert all(store.get_tree_node(0, compute_bucket(key)) == bytes(32) for key in KEYS)


def test_compute_state_update_does_not_touch_the_base(store: StoreAPI) -> None:
    commit_writes(store, {b"a": b"1"})
    root = get_state_root(store)
    with store.read_view() as view:
        update = compute_state_update(view, {b"a": None, b"b": b"2"})
    assert update.root != root
    assert get_state_root(store) == root
    assert store.get(b"a") == b"1"
    assert store.get(b"b") is None
    assert update.nodes[(TREE_DEPTH, 0)] == update.root
    assert compute_state_update(store, {}).root == root


def test_stored_leaves_match_the_rows(store: StoreAPI) -> None:
    """The leaves a store keeps beside its rows equal the readable default (hash every row)."""
    commit_writes(store, {key: b"v-" + key for key in KEYS})
    commit_writes(store, {COLLIDING[0]: None, COLLIDING[1]: b"changed", SPREAD[0]: b""})
    for bucket in {compute_bucket(key) for key in KEYS}:
        stored = list(store.iter_bucket_leaves(bucket))
        assert stored == list(StateReadAPI.iter_bucket_leaves(store, bucket))
        assert [leaf for _, leaf in stored] == [sha3(k) + sha3(v) for k, v in store.iter_bucket(bucket)]
