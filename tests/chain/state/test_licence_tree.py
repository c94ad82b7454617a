"""The Citadel licence tree (chain/state/licence_tree.py) against a reference computed here from
the definition (reference/dusk-protocol.md §2.3 and §6: 4-ary Poseidon, depth 17, a node with no
filled position below it is 0 and not hashed, a revoked position is filled with 0), its
openings verified with ``chain.crypto.poseidon_merkle``, and the root-history rule with
revocations (docs/zk.md "Citadel on chain")."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.crypto.poseidon import MODULUS, merkle4_hash
from chain.crypto.poseidon_merkle import verify_opening
from chain.state import MemoryStore
from chain.state.exceptions import (
    InvalidLicenceLeaf,
    InvalidStateValue,
    LicenceAlreadyRevoked,
    LicencePositionNotFound,
    LicenceTreeFull,
)
from chain.state.licence_tree import LICENCE_TREE_DEPTH, ROOT_HISTORY_BLOCKS, LicenceTree
from chain.state.note_tree import NoteTree
from chain.state.state import State
from chain.types.primitives import ContractId


def reference_root(leaves: list[int], depth: int) -> int:
    """Root of the tree whose positions 0..n-1 hold ``leaves`` (a revoked one holds 0 and is
    still filled), by recursion from the top."""

    def node(level: int, index: int) -> int:
        if index * 4**level >= len(leaves):
            return 0
        if level == 0:
            return leaves[index]
        return merkle4_hash([node(level - 1, 4 * index + j) for j in range(4)])

    return node(depth, 0)


def b(value: int) -> bytes:
    return value.to_bytes(32, "little")


def fresh_state() -> State:
    return State(MemoryStore())


def rows(state: State, prefix: bytes) -> dict[bytes, bytes | None]:
    return {k: v for k, v in state.pending_writes().items() if k.startswith(prefix)}


def test_empty_licence_tree():
    tree = LicenceTree(fresh_state())
    assert (tree.size(), tree.root(), tree.depth) == (0, bytes(32), LICENCE_TREE_DEPTH)
    assert tree.last_revocation() is None
    assert LICENCE_TREE_DEPTH == 17


def test_depth_17_append_revoke_and_openings_match_the_reference():
    state = fresh_state()
    tree = LicenceTree(state)
    leaves = [11, 22, 33, 44, 55, 66]
    assert [tree.append(b(v), height=3) for v in leaves] == list(range(6))
    assert tree.root() == b(reference_root(leaves, 17))
    old_root = tree.root()
    old_opening = tree.opening(4)
    tree.revoke(4, height=4)
    leaves[4] = 0
    assert tree.root() == b(reference_root(leaves, 17))
    assert tree.is_revoked(4)
    assert not tree.is_revoked(5)
    assert tree.leaf(4) == bytes(32)
    # the revoked licence opens against the old root only
    assert verify_opening(old_root, b(55), 4, old_opening)
    assert not verify_opening(tree.root(), b(55), 4, old_opening)
    for position in (0, 3, 5):  # every other licence still opens against the new root
        assert verify_opening(tree.root(), b(leaves[position]), position, tree.opening(position))
    assert tree.size() == 6  # a revoked position stays filled
    assert tree.append(b(77), height=5) == 6
    assert tree.root() == b(reference_root([*leaves, 77], 17))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    depth=st.integers(1, 3),
    ops=st.lists(
        st.one_of(
            st.tuples(st.just("append"), st.integers(1, MODULUS - 1)),
            st.tuples(st.just("revoke"), st.integers(0, 63)),
        ),
        min_size=1,
        max_size=24,
    ),
)
def test_property_any_sequence_of_appends_and_revocations_matches_the_definition(depth, ops):
    tree = LicenceTree(fresh_state(), depth=depth)
    leaves: list[int] = []
    height = 1
    for kind, value in ops:
        height += 1
        if kind == "append":
            if len(leaves) == 4**depth:
                with pytest.raises(LicenceTreeFull):
                    tree.append(b(value), height=height)
                continue
            assert tree.append(b(value), height=height) == len(leaves)
            leaves.append(value)
        elif value >= len(leaves):
            with pytest.raises(LicencePositionNotFound):
                tree.revoke(value, height=height)
        elif leaves[value] == 0:
            with pytest.raises(LicenceAlreadyRevoked):
                tree.revoke(value, height=height)
        else:
            tree.revoke(value, height=height)
            leaves[value] = 0
        assert tree.root() == b(reference_root(leaves, depth))
    for position, leaf in enumerate(leaves):
        opening = tree.opening(position)
        assert verify_opening(tree.root(), b(leaf), position, opening, depth=depth)
        if leaf:
            assert not verify_opening(tree.root(), b(leaf + 1), position, opening, depth=depth)


@pytest.mark.parametrize(
    ("leaf", "reason"),
    [
        (bytes(32), "zero_leaf"),
        (b(MODULUS), "out_of_range"),
        (b"\x01" * 31, "wrong_length"),
        ("x", "not_bytes"),
    ],
)
def test_invalid_leaves_are_refused_and_nothing_is_written(leaf, reason):
    state = fresh_state()
    tree = LicenceTree(state)
    tree.append(b(5), height=1)
    before = rows(state, b"lict")
    with pytest.raises(InvalidLicenceLeaf) as error:
        tree.append(leaf, height=2)
    assert error.value.reason == reason
    assert rows(state, b"lict") == before


def test_invalid_revocations_write_nothing():
    state = fresh_state()
    tree = LicenceTree(state)
    tree.append(b(5), height=3)
    tree.append(b(6), height=3)
    tree.revoke(0, height=4)
    before = rows(state, b"lict")
    for position in (2, -1, 2**64, "0"):
        with pytest.raises(LicencePositionNotFound):
            tree.revoke(position, height=5)  # type: ignore[arg-type]
    with pytest.raises(LicenceAlreadyRevoked):
        tree.revoke(0, height=5)
    with pytest.raises(InvalidStateValue):
        tree.revoke(1, height=3)  # below the last change's block
    assert rows(state, b"lict") == before
    assert tree.last_revocation() == 4


def test_full_tree_is_refused():
    tree = LicenceTree(fresh_state(), depth=1)
    for value in range(1, 5):
        tree.append(b(value), height=1)
    with pytest.raises(LicenceTreeFull):
        tree.append(b(9), height=1)


def test_a_root_from_before_a_revocation_is_no_longer_known():
    """docs/zk.md "Citadel on chain": known = ended a block e in [h − 4,320, h − 1] and no
    revocation after block e."""
    tree = LicenceTree(fresh_state())
    tree.append(b(1), height=5)
    r5 = tree.root()
    tree.append(b(2), height=6)
    r6 = tree.root()
    assert tree.is_known_root(r5, height=7)
    assert tree.is_known_root(r6, height=7)
    tree.revoke(0, height=8)
    r8 = tree.root()
    # in the block of the revocation no root is known: they all ended before it
    assert not tree.is_known_root(r6, height=8)
    assert not tree.is_known_root(r5, height=8)
    assert not tree.is_known_root(r8, height=8)  # block 8 has not ended
    assert tree.is_known_root(r8, height=9)
    assert not tree.is_known_root(r6, height=9)  # within the window, but from before the revocation
    tree.append(b(3), height=10)
    r10 = tree.root()
    assert tree.is_known_root(r8, height=11)
    assert tree.is_known_root(r10, height=11)
    assert not tree.is_known_root(r6, height=11)
    # the window still applies
    assert tree.is_known_root(r8, height=9 + ROOT_HISTORY_BLOCKS)
    assert not tree.is_known_root(r8, height=10 + ROOT_HISTORY_BLOCKS)
    assert tree.is_known_root(r10, height=10 + ROOT_HISTORY_BLOCKS)


def test_without_revocations_the_rule_is_the_note_trees():
    licences, notes = LicenceTree(fresh_state()), NoteTree(fresh_state())
    history = []
    for height, value in ((2, 7), (2, 8), (5, 9), (9, 10)):
        licences.append(b(value), height=height)
        notes.append(b(value), height=height)
        history.append(licences.root())
        assert licences.root() == notes.root()
    for root in [*history, b(12345)]:
        for height in (9, 10, 11, 4_400):
            assert licences.is_known_root(root, height=height) == notes.is_known_root(root, height=height)


def test_a_rolled_back_snapshot_takes_a_revocation_back():
    state = fresh_state()
    tree = LicenceTree(state)
    tree.append(b(1), height=1)
    root, before = tree.root(), rows(state, b"lict")
    snapshot = state.snapshot()
    tree.revoke(0, height=2)
    assert tree.root() != root
    state.rollback(snapshot)
    assert tree.root() == root
    assert tree.last_revocation() is None
    assert rows(state, b"lict") == before


def test_the_trees_are_separate_namespaces_and_enter_the_state_root():
    state = fresh_state()
    empty = state.compute_state_root()
    LicenceTree(state).append(b(5), height=1)
    assert NoteTree(state).size() == 0
    assert rows(state, b"note") == {}
    assert state.compute_state_root() != empty
    assert all(k.startswith(b"lict") for k in state.pending_writes())


def test_the_licence_authority_is_set_once_and_is_not_the_note_authority():
    state = fresh_state()
    tree = LicenceTree(state)
    citadel, other = ContractId(b"\x01" * 32), ContractId(b"\x02" * 32)
    assert tree.allows(other)
    tree.set_authority(citadel)
    with pytest.raises(InvalidStateValue):
        tree.set_authority(other)
    assert tree.allows(citadel)
    assert not tree.allows(other)
    assert NoteTree(state).authority() is None
