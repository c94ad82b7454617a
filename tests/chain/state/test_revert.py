"""``revert_head`` and ``prune_undo`` over both stores: a revert restores exactly what the
store held after committing the parent (rows, leaves, tree, root, blocks, indexes, receipts,
events), a fork switch on top matches a store that never saw the reverted blocks, and a
refused revert writes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.crypto.hashes import sha3_256
from chain.state import (
    Head,
    InvalidStateValue,
    RevertRefused,
    StoreAPI,
    StoreClosed,
    compute_bucket,
    compute_state_root_reference,
    compute_state_update,
    get_state_root,
)
from chain.state.commitment import TREE_DEPTH
from chain.types.primitives import Hash32, Height
from tests.chain.state.conftest import StoreFactory
from tests.chain.state.helpers import all_rows, make_block_hash
from tests.chain.state.test_stores import build_chain, snapshot_of

KEYS = [b"key-%d" % i for i in range(16)]
KEY_BUCKETS = sorted({compute_bucket(key) for key in KEYS})
#: Every tree node a block over ``KEYS`` can change (the buckets' paths) and their siblings;
#: all other nodes stay empty subtrees.
TREE_NODES = sorted(
    {
        (level, (bucket >> level) ^ flip)
        for bucket in KEY_BUCKETS
        for level in range(TREE_DEPTH)
        for flip in (0, 1)
    }
    | {(TREE_DEPTH, 0)}
)


@dataclass(frozen=True)
class BlockSpec:
    """One block to commit: its writes, receipt count and events; ``salt`` tells forks apart."""

    writes: dict[bytes, bytes | None]
    receipts: int
    events: tuple[bytes, ...]
    salt: bytes = b""


block_specs = st.builds(
    BlockSpec,
    writes=st.dictionaries(
        st.sampled_from(KEYS), st.none() | st.binary(min_size=0, max_size=12), max_size=10
    ),
    receipts=st.integers(0, 3),
    events=st.lists(st.binary(min_size=1, max_size=6), max_size=4).map(tuple),
)


def tx_id_of(block_hash: Hash32, index: int) -> Hash32:
    return sha3_256(b"tx" + block_hash + index.to_bytes(4, "big"))


def commit_spec(store: StoreAPI, height: int, spec: BlockSpec) -> Head:
    block_hash = make_block_hash(height, spec.salt)
    with store.read_view() as view:
        root = compute_state_update(view, spec.writes).root
    store.commit_block(
        height=Height(height),
        block_hash=block_hash,
        block_bytes=b"block %d " % height + spec.salt,
        state_writes=spec.writes,
        receipts=[(tx_id_of(block_hash, i), b"receipt %d" % i + spec.salt) for i in range(spec.receipts)],
        events=spec.events,
        state_root=root,
    )
    return Head(Height(height), block_hash)


def full_snapshot(store: StoreAPI, block_hashes: Sequence[Hash32]) -> dict[str, Any]:
    """Everything a revert must restore: rows and their cached leaves, the tree nodes a block
    can touch, the stored root, heads, blocks by height and hash, receipts,
    events."""
    head = store.head()
    top = -1 if head is None else int(head.height)
    with store.read_view() as view:
        rows = dict(view.iter_prefix(b""))
        tree = {node: view.get_tree_node(*node) for node in TREE_NODES}
        leaves = {b: list(view.iter_bucket_leaves(b)) for b in KEY_BUCKETS}
        root = get_state_root(view)
    receipts = {
        tx_id_of(block_hash, i): store.get_receipt(tx_id_of(block_hash, i))
        for block_hash in block_hashes
        for i in range(3)
    }
    return {
        "head": head,
        "rows": rows,
        "leaves": leaves,
        "tree": tree,
        "root": root,
        "blocks": [store.get_block_bytes(Height(h)) for h in range(top + 3)],
        "hashes": [store.get_block_hash(Height(h)) for h in range(top + 3)],
        "by_hash": {h: (store.get_block_bytes_by_hash(h), store.get_height_by_hash(h)) for h in block_hashes},
        "receipts": receipts,
        "events": store.iter_events(0, 10_000),
        "event_head": store.event_sequence_head(),
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    chain=st.lists(block_specs, min_size=6, max_size=6), fork=st.lists(block_specs, min_size=2, max_size=2)
)
def test_revert_restores_each_height_then_fork_switch(
    make_store: StoreFactory, chain: list[BlockSpec], fork: list[BlockSpec]
) -> None:
    fork = [BlockSpec(spec.writes, spec.receipts, spec.events, salt=b"fork") for spec in fork]
    hashes = [make_block_hash(h) for h in range(6)] + [make_block_hash(h, b"fork") for h in (3, 4)]
    with make_store() as store:
        snapshots = []
        for height, spec in enumerate(chain):  # genesis (0) then 1..5
            commit_spec(store, height, spec)
            snapshots.append(full_snapshot(store, hashes))
            assert snapshots[-1]["root"] == compute_state_root_reference(snapshots[-1]["rows"])

        for height in range(5, 2, -1):  # revert 5, 4, 3: back to 2
            new_head = store.revert_head(expected_hash=make_block_hash(height))
            assert new_head == Head(Height(height - 1), make_block_hash(height - 1))
            assert full_snapshot(store, hashes) == snapshots[height - 1]

        for offset, spec in enumerate(fork):  # 3', 4'
            commit_spec(store, 3 + offset, spec)
        switched = full_snapshot(store, hashes)
        assert switched["root"] == compute_state_root_reference(switched["rows"])
        with make_store() as fresh:  # never saw 3, 4, 5
            for height, spec in enumerate(chain[:3] + fork):
                commit_spec(fresh, height, spec)
            assert switched == full_snapshot(fresh, hashes)

        assert store.revert_head(expected_hash=make_block_hash(4, b"fork")).height == 3
        assert store.revert_head(expected_hash=make_block_hash(3, b"fork")).height == 2
        assert full_snapshot(store, hashes) == snapshots[2]


def test_revert_one_block(store: StoreAPI) -> None:
    build_chain(store, blocks=3)
    after_two = snapshot_of(store)
    commit_spec(
        store,
        3,
        BlockSpec({b"row-0": None, b"shared": b"at-3", b"new": b"n"}, receipts=2, events=(b"a", b"b")),
    )
    assert store.event_sequence_head() == 11
    head = store.revert_head(expected_hash=make_block_hash(3))
    assert head == Head(Height(2), make_block_hash(2))
    assert store.head() == head
    assert snapshot_of(store) == after_two
    assert store.get_block_bytes_by_hash(make_block_hash(3)) is None
    assert store.get_receipt(tx_id_of(make_block_hash(3), 0)) is None
    assert store.iter_events(9, 10) == []  # the feed ends at the new sequence head
    commit_spec(store, 3, BlockSpec({}, receipts=0, events=(b"c",)))
    assert [(e.sequence, e.event) for e in store.iter_events(9, 10)] == [(10, b"c")]  # reused


def test_revert_to_genesis(store: StoreAPI) -> None:
    commit_spec(store, 0, BlockSpec({b"g": b"1"}, receipts=1, events=(b"g",)))
    genesis = full_snapshot(store, [make_block_hash(0), make_block_hash(1)])
    commit_spec(store, 1, BlockSpec({b"g": None, b"h": b"2"}, receipts=1, events=(b"h",)))
    assert store.revert_head(expected_hash=make_block_hash(1)) == Head(Height(0), make_block_hash(0))
    assert full_snapshot(store, [make_block_hash(0), make_block_hash(1)]) == genesis


def test_revert_after_a_read_view_keeps_the_view_pinned(store: StoreAPI) -> None:
    commit_spec(store, 0, BlockSpec({b"a": b"0"}, 0, ()))
    commit_spec(store, 1, BlockSpec({b"a": b"1"}, 0, ()))
    with store.read_view() as view:
        root = get_state_root(view)
        store.revert_head(expected_hash=make_block_hash(1))
        assert view.get(b"a") == b"1"
        assert get_state_root(view) == root != get_state_root(store)
    assert store.get(b"a") == b"0"


# -- prune_undo ------------------------------------------------------------------------------


def test_prune_undo_drops_final_heights(store: StoreAPI) -> None:
    build_chain(store, blocks=5)  # 0..4
    assert store.undo_floor() == 0
    assert store.prune_undo(Height(3)) == 2  # records of 1 and 2 (genesis has none)
    assert store.undo_floor() == 3
    assert store.prune_undo(Height(2)) == 0  # the floor only rises
    assert store.undo_floor() == 3
    assert store.revert_head(expected_hash=make_block_hash(4)).height == 3
    assert store.revert_head(expected_hash=make_block_hash(3)).height == 2
    before = snapshot_of(store)
    with pytest.raises(RevertRefused) as caught:
        store.revert_head(expected_hash=make_block_hash(2))
    assert caught.value.reason == "no_undo_record"
    assert snapshot_of(store) == before
    assert store.undo_floor() == 3


def test_prune_undo_up_to_the_head(store: StoreAPI) -> None:
    build_chain(store, blocks=3)
    assert store.prune_undo(Height(3)) == 2
    with pytest.raises(RevertRefused) as caught:
        store.revert_head(expected_hash=make_block_hash(2))
    assert caught.value.reason == "no_undo_record"
    commit_spec(store, 3, BlockSpec({b"later": b"x"}, 0, ()))  # blocks above the floor are revertable again
    assert store.revert_head(expected_hash=make_block_hash(3)).height == 2


@pytest.mark.parametrize("below", [4, 100])
def test_invalid_prune_above_the_head(store: StoreAPI, below: int) -> None:
    build_chain(store, blocks=3)  # head 2: at most 3
    with pytest.raises(InvalidStateValue):
        store.prune_undo(Height(below))
    with pytest.raises(InvalidStateValue):
        store.prune_undo(2)  # type: ignore[arg-type]
    assert store.undo_floor() == 0
    assert store.revert_head(expected_hash=make_block_hash(2)).height == 1


def test_invalid_prune_on_empty_store(store: StoreAPI) -> None:
    assert store.prune_undo(Height(0)) == 0
    with pytest.raises(InvalidStateValue):
        store.prune_undo(Height(1))


# -- refused reverts write nothing ---------------------------------------------------------------


def test_invalid_revert_wrong_expected_hash(store: StoreAPI) -> None:
    build_chain(store, blocks=3)
    before = snapshot_of(store)
    for wrong in (make_block_hash(1), make_block_hash(2, b"other"), sha3_256(b"nothing")):
        with pytest.raises(RevertRefused) as caught:
            store.revert_head(expected_hash=wrong)
        assert caught.value.reason == "wrong_head"
        assert snapshot_of(store) == before


def test_invalid_revert_genesis(store: StoreAPI) -> None:
    build_chain(store, blocks=1)
    before = snapshot_of(store)
    with pytest.raises(RevertRefused) as caught:
        store.revert_head(expected_hash=make_block_hash(0))
    assert caught.value.reason == "cannot_revert_genesis"
    assert snapshot_of(store) == before


def test_invalid_revert_past_genesis_after_reverts(store: StoreAPI) -> None:
    build_chain(store, blocks=2)
    store.revert_head(expected_hash=make_block_hash(1))
    with pytest.raises(RevertRefused) as caught:
        store.revert_head(expected_hash=make_block_hash(0))
    assert caught.value.reason == "cannot_revert_genesis"


def test_invalid_revert_empty_store(store: StoreAPI) -> None:
    with pytest.raises(RevertRefused) as caught:
        store.revert_head(expected_hash=make_block_hash(0))
    assert caught.value.reason == "wrong_head"
    assert store.head() is None


def test_invalid_revert_pruned_undo(store: StoreAPI) -> None:
    build_chain(store, blocks=4)
    store.prune_undo(Height(4))
    before = snapshot_of(store)
    with pytest.raises(RevertRefused) as caught:
        store.revert_head(expected_hash=make_block_hash(3))
    assert caught.value.reason == "no_undo_record"
    assert snapshot_of(store) == before
    assert all_rows(store) == before["rows"]


def test_invalid_revert_argument(store: StoreAPI) -> None:
    build_chain(store, blocks=2)
    before = snapshot_of(store)
    with pytest.raises(InvalidStateValue):
        store.revert_head(expected_hash=bytes(make_block_hash(1)))  # type: ignore[arg-type]
    assert snapshot_of(store) == before


def test_closed_store_refuses_revert_and_prune(store: StoreAPI) -> None:
    build_chain(store, blocks=2)
    store.close()
    with pytest.raises(StoreClosed):
        store.revert_head(expected_hash=make_block_hash(1))
    with pytest.raises(StoreClosed):
        store.prune_undo(Height(1))
    with pytest.raises(StoreClosed):
        store.undo_floor()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(chain=st.lists(block_specs, min_size=3, max_size=3))
def test_head_previous_rows_overlay_gives_the_parent_state(
    make_store: StoreFactory, chain: list[BlockSpec]
) -> None:
    """The current rows overlaid with ``get_head_previous_rows`` are exactly the parent's rows."""
    with make_store() as store:
        assert store.get_head_previous_rows() is None  # empty store
        commit_spec(store, 0, BlockSpec({}, 0, ()))
        assert store.get_head_previous_rows() is None  # genesis has no undo record
        for height, spec in enumerate(chain, start=1):
            with store.read_view() as view:
                parent_rows = dict(view.iter_prefix(b""))
            commit_spec(store, height, spec)
            with store.read_view() as view:
                rows = dict(view.iter_prefix(b""))
            for key, value in (store.get_head_previous_rows() or {}).items():
                if value is None:
                    rows.pop(key, None)
                else:
                    rows[key] = value
            assert rows == parent_rows
            assert set(store.get_head_previous_rows() or {}) == set(spec.writes)
        store.prune_undo(Height(4))
        assert store.get_head_previous_rows() is None
