"""The note tree (chain/state/note_tree.py) against an independent reference: the tree
recomputed from its leaves by the definition of reference/dusk-protocol.md §2.3 and
dusk-merkle (a node with no filled position below it is 0 and is not hashed; otherwise
Merkle4 Poseidon of its 4 children), written here without the module's code."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.crypto.poseidon import MODULUS, merkle4_hash
from chain.state import LmdbStore, MemoryStore
from chain.state.exceptions import InvalidNoteLeaf, InvalidStateValue, NotePositionNotFound, NoteTreeFull
from chain.state.note_tree import (
    NOTE_TREE_DEPTH,
    ROOT_HISTORY_BLOCKS,
    NoteOpening,
    NoteTree,
    compute_digits,
    decode_opening,
    encode_opening,
    verify_opening,
)
from chain.state.state import State
from tests.chain.state.helpers import commit_state

R = MODULUS


def reference_root(leaves: list[int], depth: int) -> int:
    """Root of the tree of ``leaves`` (positions 0..n-1) by recursion from the top."""

    def node(level: int, index: int) -> int:
        if index * 4**level >= len(leaves):
            return 0
        if level == 0:
            return leaves[index]
        return merkle4_hash([node(level - 1, 4 * index + j) for j in range(4)])

    return node(depth, 0)


def full_levels(leaves: list[int], depth: int) -> list[list[int]]:
    """Every node of a small tree, bottom up: level 0 is ``4^depth`` leaves (absent = None)."""
    levels: list[list[int | None]] = [[*leaves] + [None] * (4**depth - len(leaves))]
    for _ in range(depth):
        below = levels[-1]
        above: list[int | None] = []
        for i in range(len(below) // 4):
            children = below[4 * i : 4 * i + 4]
            if all(c is None for c in children):
                above.append(None)
            else:
                above.append(merkle4_hash([0 if c is None else c for c in children]))
        levels.append(above)
    return [[0 if v is None else v for v in level] for level in levels]


def b(value: int) -> bytes:
    return value.to_bytes(32, "little")


def fresh_state() -> State:
    return State(MemoryStore())


def test_empty_tree_root_is_zero_and_size_zero():
    tree = NoteTree(fresh_state())
    assert tree.size() == 0
    assert tree.root() == bytes(32)
    assert tree.depth == NOTE_TREE_DEPTH == 17


@pytest.mark.parametrize("depth", [1, 2, 3])
def test_every_prefix_matches_the_full_recomputation(depth):
    leaves = [(7919 * i * i + 13) % R for i in range(min(4**depth, 40))]
    tree = NoteTree(fresh_state(), depth=depth)
    for n, leaf in enumerate(leaves, start=1):
        assert tree.append(b(leaf), height=1) == n - 1
        levels = full_levels(leaves[:n], depth)
        assert tree.root() == b(levels[depth][0]) == b(reference_root(leaves[:n], depth))
        assert tree.size() == n


def test_depth_17_a_few_leaves_match_the_reference():
    leaves = [0, 1, R - 1, 123456789, 2**200 + 5, 42]
    tree = NoteTree(fresh_state())
    for n, leaf in enumerate(leaves, start=1):
        tree.append(b(leaf), height=3)
        assert tree.root() == b(reference_root(leaves[:n], NOTE_TREE_DEPTH))
    # one leaf: 17 hashes up a path whose siblings are all empty
    single = NoteTree(fresh_state())
    single.append(b(5), height=0)
    node = 5
    for _ in range(17):
        node = merkle4_hash([node, 0, 0, 0])
    assert single.root() == b(node)


def test_a_zero_leaf_is_present_not_empty():
    tree = NoteTree(fresh_state(), depth=2)
    tree.append(b(0), height=0)
    assert tree.root() == b(merkle4_hash([merkle4_hash([0, 0, 0, 0]), 0, 0, 0]))
    assert tree.root() != bytes(32)


def test_a_zero_leaf_opens_at_an_empty_neighbour_position():
    """Dusk's rule (empty subtree = 0, reference §2.3) makes a 0 leaf and an empty position
    the same child value, so a 0 leaf at position 0 also "opens" at position 1 (an empty
    slot). Documented in docs/zk.md; harmless for note hashes, which are never 0 in practice."""
    tree = NoteTree(fresh_state(), depth=2)
    tree.append(b(0), height=0)
    opening = tree.opening(0)
    moved = NoteOpening(0, opening.siblings, compute_digits(1, 2))
    assert verify_opening(tree.root(), b(0), 1, moved, depth=2)


def test_openings_of_a_depth_17_tree_verify_and_have_the_reference_siblings():
    leaves = [11, 22, 33, 44, 55, 66, 77]
    tree = NoteTree(fresh_state())
    for leaf in leaves:
        tree.append(b(leaf), height=0)
    root = tree.root()
    for position, leaf in enumerate(leaves):
        opening = tree.opening(position)
        assert opening.leaf == leaf
        assert opening.digits == compute_digits(position)
        assert len(opening.siblings) == 17
        assert verify_opening(root, b(leaf), position, opening)
    # position 5 = digits (1, 1, 0, …): level-0 siblings are leaves 4, 6, 7; level 1: node 0, then empty
    opening = tree.opening(5)
    assert opening.siblings[0] == (55, 77, 0)
    assert opening.siblings[1] == (merkle4_hash([11, 22, 33, 44]), 0, 0)
    assert all(level == (0, 0, 0) for level in opening.siblings[2:])


#: Non-zero leaves: a leaf of value 0 cannot be told from an empty position by an opening
#: (test_a_zero_leaf_opens_at_an_empty_neighbour_position); Dusk's leaves are note hashes.
#: Unique: a leaf repeated at another position truly opens there too.
leaf_values = st.integers(min_value=1, max_value=R - 1)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(leaves=st.lists(leaf_values, min_size=1, max_size=20, unique=True), data=st.data())
def test_property_openings_verify_and_tampering_fails(leaves, data):
    depth = 3
    tree = NoteTree(fresh_state(), depth=depth)
    for leaf in leaves:
        tree.append(b(leaf), height=0)
    root = tree.root()
    assert root == b(reference_root(leaves, depth))
    for position, leaf in enumerate(leaves):
        opening = tree.opening(position)
        assert verify_opening(root, b(leaf), position, opening, depth=depth)
        assert decode_opening(encode_opening(opening), depth=depth) == opening
    position = data.draw(st.integers(0, len(leaves) - 1))
    opening = tree.opening(position)
    other = data.draw(leaf_values.filter(lambda v: v != leaves[position]))
    # a wrong leaf
    assert not verify_opening(root, b(other), position, opening, depth=depth)
    assert not verify_opening(
        root, b(other), position, NoteOpening(other, opening.siblings, opening.digits), depth=depth
    )
    # a wrong position (same opening, or the opening with the other position's digits)
    wrong = data.draw(st.integers(0, 4**depth - 1).filter(lambda p: p != position))
    assert not verify_opening(root, b(leaves[position]), wrong, opening, depth=depth)
    moved = NoteOpening(opening.leaf, opening.siblings, compute_digits(wrong, depth))
    assert not verify_opening(root, b(leaves[position]), wrong, moved, depth=depth)
    # a wrong sibling
    level = data.draw(st.integers(0, depth - 1))
    k = data.draw(st.integers(0, 2))
    siblings = [list(s) for s in opening.siblings]
    siblings[level][k] = (siblings[level][k] + data.draw(st.integers(1, R - 1))) % R
    bent = NoteOpening(opening.leaf, tuple(tuple(s) for s in siblings), opening.digits)  # type: ignore[misc]
    assert not verify_opening(root, b(leaves[position]), position, bent, depth=depth)
    # a wrong root
    assert not verify_opening(
        b((int.from_bytes(root, "little") + 1) % R), b(leaves[position]), position, opening, depth=depth
    )


def test_invalid_verify_inputs_are_false_not_errors():
    tree = NoteTree(fresh_state(), depth=2)
    tree.append(b(9), height=0)
    opening = tree.opening(0)
    root = tree.root()
    assert verify_opening(root, b(9), 0, opening, depth=2)
    assert not verify_opening(root[:31], b(9), 0, opening, depth=2)
    assert not verify_opening(root, b(R), 0, opening, depth=2)
    assert not verify_opening(b(R + 1), b(9), 0, opening, depth=2)
    assert not verify_opening(root, b(9), -1, opening, depth=2)
    assert not verify_opening(root, b(9), 16, opening, depth=2)
    assert not verify_opening(root, b(9), 0, opening, depth=3)
    assert not verify_opening(root, b(9), 0, NoteOpening(9, opening.siblings[:1], opening.digits), depth=2)
    bad = NoteOpening(9, ((R, 0, 0), opening.siblings[1]), opening.digits)
    assert not verify_opening(root, b(9), 0, bad, depth=2)
    assert not verify_opening(root, b(9), 0, "opening", depth=2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("leaf", "reason"),
    [
        (b(R), "out_of_range"),
        (b"\xff" * 32, "out_of_range"),
        (bytes(31), "wrong_length"),
        (bytes(33), "wrong_length"),
        (5, "not_bytes"),
        (bytearray(32), "not_bytes"),
    ],
)
def test_invalid_leaves_are_refused_and_nothing_is_written(leaf, reason):
    state = fresh_state()
    tree = NoteTree(state)
    tree.append(b(1), height=0)
    before = dict(state.pending_writes())
    with pytest.raises(InvalidNoteLeaf) as error:
        tree.append(leaf, height=0)
    assert error.value.reason == reason
    assert dict(state.pending_writes()) == before
    assert tree.size() == 1


def test_invalid_full_tree_and_height_regression_write_nothing():
    state = fresh_state()
    tree = NoteTree(state, depth=1)
    for i in range(4):
        tree.append(b(i), height=2)
    before = dict(state.pending_writes())
    with pytest.raises(NoteTreeFull):
        tree.append(b(4), height=2)
    assert dict(state.pending_writes()) == before
    other = NoteTree(fresh_state(), depth=2)
    other.append(b(1), height=5)
    with pytest.raises(InvalidStateValue):
        other.append(b(2), height=4)
    assert other.size() == 1


@pytest.mark.parametrize("position", [-1, 3, 4**17, "0", 1.0, True])
def test_invalid_positions_have_no_opening(position):
    tree = NoteTree(fresh_state())
    for i in range(3):
        tree.append(b(i), height=0)
    with pytest.raises(NotePositionNotFound):
        tree.opening(position)


def test_an_append_writes_the_leaf_its_path_and_the_size_row_only():
    state = fresh_state()
    tree = NoteTree(state)
    tree.append(b(1), height=0)
    keys = set(state.pending_writes())
    assert len(keys) == 1 + 17 + 1
    tree.append(b(2), height=0)
    second = set(state.pending_writes()) - keys
    assert len(second) == 1  # the new leaf; the path nodes and the size row are rewritten
    assert len(set(state.pending_writes())) == 2 + 17 + 1
    # the first append of a later block also records the root that ended the block before it
    tree.append(b(3), height=1)
    third = set(state.pending_writes()) - keys - second
    assert len(third) == 1 + 2  # the leaf, a ring slot and a known-root row
    assert {key[:5] for key in third} == {b"noten", b"noteh", b"notek"}


def test_a_rolled_back_snapshot_takes_appends_back():
    state = fresh_state()
    tree = NoteTree(state)
    tree.append(b(1), height=1)
    root, writes = tree.root(), dict(state.pending_writes())
    snapshot = state.snapshot()
    tree.append(b(2), height=2)
    assert tree.root() != root
    state.rollback(snapshot)
    assert tree.root() == root
    assert tree.size() == 1
    assert dict(state.pending_writes()) == writes


def test_rows_enter_the_state_root():
    state = fresh_state()
    empty = state.compute_state_root()
    tree = NoteTree(state)
    tree.append(b(1), height=0)
    one = state.compute_state_root()
    tree.append(b(2), height=0)
    assert len({empty, one, state.compute_state_root()}) == 3


def test_restart_keeps_the_tree_and_appends_continue(tmp_path: Path):
    path = tmp_path / "store"
    leaves = [3, 1, 4, 1, 5, 9, 2, 6]
    store = LmdbStore(path, map_size=64 << 20)
    try:
        with store.read_view() as view:
            state = State(view)
            for leaf in leaves[:5]:
                NoteTree(state).append(b(leaf), height=0)
            commit_state(store, state)
        with store.read_view() as view:
            root = NoteTree(State(view)).root()
    finally:
        store.close()
    assert root == b(reference_root(leaves[:5], 17))

    reopened = LmdbStore(path, map_size=64 << 20)
    try:
        with reopened.read_view() as view:
            state = State(view)
            tree = NoteTree(state)
            assert tree.root() == root
            assert tree.size() == 5
            for leaf in leaves[5:]:
                tree.append(b(leaf), height=1)
            assert tree.root() == b(reference_root(leaves, 17))
            assert verify_opening(tree.root(), b(leaves[2]), 2, tree.opening(2))
            commit_state(reopened, state)
        with reopened.read_view() as view:
            assert NoteTree(State(view)).size() == len(leaves)
    finally:
        reopened.close()


def test_known_roots_are_the_end_of_block_roots_of_the_last_4320_blocks():
    tree = NoteTree(fresh_state())
    assert tree.is_known_root(bytes(32), height=1)  # the empty tree's root, at the end of genesis
    tree.append(b(1), height=10)
    r10 = tree.root()
    assert not tree.is_known_root(r10, height=10)  # block 10 has not ended
    assert tree.is_known_root(r10, height=11)
    tree.append(b(2), height=11)
    mid = tree.root()
    tree.append(b(3), height=11)
    r11 = tree.root()
    assert tree.is_known_root(r10, height=11)  # the end of block 10, recorded by block 11's first append
    assert not tree.is_known_root(mid, height=12)  # a root inside block 11 was never an end-of-block root
    assert tree.is_known_root(r11, height=12)
    assert tree.is_known_root(bytes(32), height=11)  # the end of block 9 (empty): still in the window
    # r10 was the root at the end of block 10 only: known until block 10 + 4320
    assert tree.is_known_root(r10, height=10 + ROOT_HISTORY_BLOCKS)
    assert not tree.is_known_root(r10, height=11 + ROOT_HISTORY_BLOCKS)
    # r11 stayed the root through block 5000 (no appends), so it ended block 5000
    tree.append(b(4), height=5001)
    assert tree.is_known_root(r11, height=5002)
    assert tree.is_known_root(r11, height=5000 + ROOT_HISTORY_BLOCKS)
    assert not tree.is_known_root(r11, height=5001 + ROOT_HISTORY_BLOCKS)
    assert not tree.is_known_root(b(12345), height=5002)
    with pytest.raises(InvalidStateValue):
        tree.is_known_root(r11, height=5000)  # before the last append's block


def test_the_root_history_stays_bounded():
    state = fresh_state()
    tree = NoteTree(state, depth=8)
    recorded = []
    step = ROOT_HISTORY_BLOCKS // 3
    for i in range(12):
        tree.append(b(i + 1), height=i * step)
        recorded.append(tree.root())
    rows = state.pending_writes()
    known = [key for key, value in rows.items() if key.startswith(b"notek") and value is not None]
    slots = [key for key, value in rows.items() if key.startswith(b"noteh") and value is not None]
    # 11 end-of-block roots recorded (blocks step·k − 1) in 3 slots, each overwritten in turn
    # and its known-root row deleted with it
    assert len(slots) == 3
    assert len(known) == 3
    assert tree.is_known_root(recorded[-2], height=11 * step + 1)
    assert tree.is_known_root(recorded[-4], height=11 * step + 1)
    assert not tree.is_known_root(recorded[-5], height=11 * step + 1)
    assert not tree.is_known_root(recorded[0], height=11 * step + 1)


def test_reverting_the_head_block_restores_the_tree():
    store = MemoryStore()
    with store.read_view() as view:
        state = State(view)
        NoteTree(state).append(b(1), height=0)
        commit_state(store, state)
    with store.read_view() as view:
        before = NoteTree(State(view)).root()
        state = State(view)
        NoteTree(state).append(b(2), height=1)
        NoteTree(state).append(b(3), height=1)
        commit_state(store, state)
    head = store.head()
    assert head is not None
    with store.read_view() as view:
        assert NoteTree(State(view)).size() == 3
    store.revert_head(expected_hash=head.block_hash)
    with store.read_view() as view:
        tree = NoteTree(State(view))
        assert tree.size() == 1
        assert tree.root() == before
        assert tree.last_height() == 0
        assert tree.is_known_root(before, height=2)
    assert [key for key, _ in store.iter_prefix(b"noteh")] == []  # block 1's history row went with it
