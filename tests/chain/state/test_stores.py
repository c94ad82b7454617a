"""``commit_block`` and the reads of both stores: indexes, receipts, the event feed,
atomicity of rejected commits, read-view isolation, closing."""

from __future__ import annotations

from typing import Any

import pytest

from chain.crypto.hashes import sha3_256
from chain.state import (
    Account,
    DuplicateEntry,
    HeightMismatch,
    InvalidStateKey,
    InvalidStateValue,
    State,
    StateRootMismatch,
    StoreAPI,
    StoreClosed,
    compute_state_update,
    get_state_root,
)
from chain.state.commitment import BUCKET_COUNT, TREE_DEPTH
from chain.types.primitives import Hash32, Height, Lux, Nonce
from tests.chain.state.helpers import all_rows, commit_writes, make_block_hash, make_pk, next_height


def tx_id(i: int) -> Hash32:
    return sha3_256(b"tx" + i.to_bytes(8, "big"))


def build_chain(store: StoreAPI, blocks: int = 3, events_per_block: int = 3) -> None:
    for height in range(blocks):
        commit_writes(
            store,
            {b"row-%d" % height: b"value-%d" % height, b"shared": b"at-%d" % height},
            receipts=[(tx_id(height * 10 + j), b"receipt-%d-%d" % (height, j)) for j in range(2)],
            events=[b"event-%d-%d" % (height, j) for j in range(events_per_block)],
        )


def snapshot_of(store: StoreAPI) -> dict[str, Any]:
    """Everything observable about a store, to prove that a rejected commit changed nothing."""
    head = store.head()
    top = -1 if head is None else int(head.height)
    return {
        "head": head,
        "blocks": [store.get_block_bytes(Height(h)) for h in range(top + 2)],
        "hashes": [store.get_block_hash(Height(h)) for h in range(top + 2)],
        "rows": all_rows(store),
        "root": get_state_root(store),
        "buckets": [store.get_tree_node(0, b) for b in range(0, BUCKET_COUNT, 97)],
        "events": store.iter_events(0, 10_000),
        "event_head": store.event_sequence_head(),
        "receipts": [store.get_receipt(tx_id(i)) for i in range(40)],
    }


# -- what a commit stores ----------------------------------------------------------------------


def test_empty_store(store: StoreAPI) -> None:
    assert store.head() is None
    assert store.get_block_bytes(Height(0)) is None
    assert store.get_block_hash(Height(0)) is None
    assert store.get_block_bytes_by_hash(make_block_hash(0)) is None
    assert store.get_height_by_hash(make_block_hash(0)) is None
    assert store.get_receipt(tx_id(0)) is None
    assert store.iter_events(0, 10) == []
    assert store.event_sequence_head() == 0


def test_commit_stores_block_indexes_and_head(store: StoreAPI) -> None:
    build_chain(store, blocks=3)
    head = store.head()
    assert head is not None
    assert head.height == 2
    assert head.block_hash == make_block_hash(2)
    for height in range(3):
        block_hash = make_block_hash(height)
        assert store.get_block_bytes(Height(height)) == b"block-" + height.to_bytes(8, "big")
        assert store.get_block_hash(Height(height)) == block_hash
        assert store.get_block_bytes_by_hash(block_hash) == b"block-" + height.to_bytes(8, "big")
        assert store.get_height_by_hash(block_hash) == height
    assert store.get_block_bytes(Height(3)) is None


def test_commit_stores_state_rows(store: StoreAPI) -> None:
    build_chain(store, blocks=3)
    assert store.get(b"shared") == b"at-2"
    assert all_rows(store) == {
        b"row-0": b"value-0",
        b"row-1": b"value-1",
        b"row-2": b"value-2",
        b"shared": b"at-2",
    }
    assert dict(store.iter_prefix(b"row-")) == {b"row-%d" % h: b"value-%d" % h for h in range(3)}
    assert [k for k, _ in store.iter_prefix(b"")] == sorted(all_rows(store))


def test_receipts_by_tx_id(store: StoreAPI) -> None:
    build_chain(store, blocks=3)
    stored = store.get_receipt(tx_id(21))
    assert stored is not None
    assert (stored.height, stored.index, stored.receipt) == (Height(2), 1, b"receipt-2-1")
    assert store.get_receipt(tx_id(99)) is None


def test_event_feed_is_a_cursor_without_gaps_or_repeats(store: StoreAPI) -> None:
    build_chain(store, blocks=5, events_per_block=3)
    assert store.event_sequence_head() == 15
    expected = [b"event-%d-%d" % (h, j) for h in range(5) for j in range(3)]
    for page_size in (1, 2, 4, 15, 100):
        received: list[bytes] = []
        cursor = 0
        while page := store.iter_events(cursor, page_size):
            assert len(page) <= page_size
            assert [e.sequence for e in page] == list(range(cursor + 1, cursor + 1 + len(page)))
            received.extend(e.event for e in page)
            cursor = page[-1].sequence
        assert received == expected
    assert store.iter_events(15, 10) == []
    assert store.iter_events(1000, 10) == []


def test_event_feed_continues_across_commits(store: StoreAPI) -> None:
    build_chain(store, blocks=1, events_per_block=2)
    first = store.iter_events(0, 100)
    commit_writes(store, {}, events=[b"late"])
    second = store.iter_events(first[-1].sequence, 100)
    assert [(e.sequence, e.event) for e in second] == [(3, b"late")]


def test_block_without_writes_or_events(store: StoreAPI) -> None:
    commit_writes(store, {})
    commit_writes(store, {})
    head = store.head()
    assert head is not None
    assert head.height == 1
    assert store.event_sequence_head() == 0


# -- rejected commits write nothing ------------------------------------------------------------


def attempt(store: StoreAPI, **overrides: Any) -> None:
    """Commit the next block with a correct root, but with ``overrides`` applied."""
    height = next_height(store)
    writes = {b"shared": b"new", b"fresh": b"row"}
    with store.read_view() as view:
        root = compute_state_update(view, writes).root
    arguments: dict[str, Any] = {
        "height": height,
        "block_hash": make_block_hash(height, b"attempt"),
        "block_bytes": b"attempt",
        "state_writes": writes,
        "receipts": [(tx_id(1000), b"r")],
        "events": [b"e1", b"e2"],
        "state_root": root,
    }
    arguments.update(overrides)
    store.commit_block(**arguments)


@pytest.mark.parametrize("empty", [True, False])
def test_invalid_commit_wrong_state_root(store: StoreAPI, empty: bool) -> None:
    if not empty:
        build_chain(store)
    before = snapshot_of(store)
    with pytest.raises(StateRootMismatch) as caught:
        attempt(store, state_root=sha3_256(b"wrong"))
    assert caught.value.reason == "state_root_mismatch"
    assert snapshot_of(store) == before
    attempt(store)  # the same block with its true root goes through
    assert snapshot_of(store) != before


def test_invalid_commit_root_of_other_writes(store: StoreAPI) -> None:
    build_chain(store)
    before = snapshot_of(store)
    with store.read_view() as view:
        other_root = compute_state_update(view, {b"shared": b"other"}).root
    with pytest.raises(StateRootMismatch):
        attempt(store, state_root=other_root)
    assert snapshot_of(store) == before


@pytest.mark.parametrize("height", [1, 2, 5, 2**64 - 1])
def test_invalid_commit_genesis_height(store: StoreAPI, height: int) -> None:
    before = snapshot_of(store)
    with pytest.raises(HeightMismatch) as caught:
        attempt(store, height=Height(height))
    assert caught.value.reason == "height_mismatch"
    assert snapshot_of(store) == before


@pytest.mark.parametrize("height", [0, 1, 2, 4, 10])
def test_invalid_commit_height_not_head_plus_one(store: StoreAPI, height: int) -> None:
    build_chain(store, blocks=3)  # head is 2
    before = snapshot_of(store)
    with pytest.raises(HeightMismatch):
        attempt(store, height=Height(height))
    assert snapshot_of(store) == before


def test_invalid_commit_duplicate_block_hash(store: StoreAPI) -> None:
    build_chain(store)
    before = snapshot_of(store)
    with pytest.raises(DuplicateEntry) as caught:
        attempt(store, block_hash=make_block_hash(1))
    assert caught.value.reason == "duplicate_block"
    assert snapshot_of(store) == before


def test_invalid_commit_duplicate_tx_id(store: StoreAPI) -> None:
    build_chain(store)
    before = snapshot_of(store)
    with pytest.raises(DuplicateEntry) as caught:
        attempt(store, receipts=[(tx_id(10), b"again")])  # already in block 1
    assert caught.value.reason == "duplicate_receipt"
    with pytest.raises(DuplicateEntry):
        attempt(store, receipts=[(tx_id(500), b"a"), (tx_id(500), b"b")])  # twice in one block
    assert snapshot_of(store) == before


@pytest.mark.parametrize(
    ("override", "error"),
    [
        ({"height": 3}, InvalidStateValue),
        ({"block_hash": b"\x00" * 32}, InvalidStateValue),
        ({"block_bytes": "text"}, InvalidStateValue),
        ({"state_root": b"\x00" * 32}, InvalidStateValue),
        ({"state_writes": {b"": b"x"}}, InvalidStateKey),
        ({"state_writes": {b"k" * 257: b"x"}}, InvalidStateKey),
        ({"state_writes": {"text": b"x"}}, InvalidStateKey),
        ({"state_writes": {b"k": 5}}, InvalidStateValue),
        ({"state_writes": [(b"k", b"v")]}, InvalidStateValue),
        ({"receipts": [(b"\x00" * 32, b"r")]}, InvalidStateValue),
        ({"receipts": [(Hash32(bytes(32)), "r")]}, InvalidStateValue),
        ({"receipts": [Hash32(bytes(32))]}, InvalidStateValue),
        ({"events": [b"ok", "text"]}, InvalidStateValue),
        ({"events": b"bytes"}, InvalidStateValue),
    ],
)
def test_invalid_commit_arguments(store: StoreAPI, override: dict[str, Any], error: type[Exception]) -> None:
    build_chain(store, blocks=1)
    before = snapshot_of(store)
    with pytest.raises(error):
        attempt(store, **override)
    assert snapshot_of(store) == before


def test_rejected_commit_leaves_open_views_and_state_usable(store: StoreAPI) -> None:
    build_chain(store, blocks=1)
    with store.read_view() as view:
        state = State(view)
        state.set_account(make_pk(1), Account(Nonce(1), Lux(1)))
        with pytest.raises(StateRootMismatch):
            store.commit_block(
                height=Height(1),
                block_hash=make_block_hash(1),
                block_bytes=b"b",
                state_writes=state.pending_writes(),
                receipts=(),
                events=(),
                state_root=sha3_256(b"wrong"),
            )
        root = state.compute_state_root()
        writes = state.pending_writes()
    store.commit_block(
        height=Height(1),
        block_hash=make_block_hash(1),
        block_bytes=b"b",
        state_writes=writes,
        receipts=(),
        events=(),
        state_root=root,
    )
    assert State(store).get_account(make_pk(1)) == Account(Nonce(1), Lux(1))


# -- views, reads, closing ---------------------------------------------------------------------


def test_read_view_is_isolated_from_later_commits(store: StoreAPI) -> None:
    commit_writes(store, {b"a": b"1"})
    view = store.read_view()
    root = get_state_root(view)
    commit_writes(store, {b"a": b"2", b"b": b"3"})
    assert view.get(b"a") == b"1"
    assert view.get(b"b") is None
    assert get_state_root(view) == root != get_state_root(store)
    view.close()
    with pytest.raises(StoreClosed):
        view.get(b"a")
    view.close()  # idempotent


def test_invalid_reads(store: StoreAPI) -> None:
    with pytest.raises(InvalidStateValue):
        list(store.iter_bucket(BUCKET_COUNT))
    with pytest.raises(InvalidStateValue):
        list(store.iter_bucket(-1))
    with pytest.raises(InvalidStateValue):
        store.get_tree_node(TREE_DEPTH + 1, 0)
    with pytest.raises(InvalidStateValue):
        store.get_tree_node(TREE_DEPTH, 1)
    with pytest.raises(InvalidStateValue):
        store.get_block_bytes(0)  # type: ignore[arg-type]
    with pytest.raises(InvalidStateValue):
        store.get_receipt(b"\x00" * 32)  # type: ignore[arg-type]
    with pytest.raises(InvalidStateValue):
        store.iter_events(-1, 10)
    with pytest.raises(InvalidStateValue):
        store.iter_events(0, 0)


def test_closed_store_raises(store: StoreAPI) -> None:
    build_chain(store, blocks=1)
    store.close()
    store.close()  # idempotent
    for call in (
        store.head,
        store.read_view,
        store.event_sequence_head,
        lambda: store.get(b"shared"),
        lambda: store.get_block_bytes(Height(0)),
        lambda: store.iter_events(0, 1),
        lambda: store.commit_block(
            height=Height(1),
            block_hash=make_block_hash(1),
            block_bytes=b"",
            state_writes={},
            receipts=(),
            events=(),
            state_root=sha3_256(b""),
        ),
    ):
        with pytest.raises(StoreClosed):
            call()
