"""PNI, rolling finality labels and fork choice (reference/dusk-protocol.md §1.7).

The label sequences are worked by hand from the rules as rusk applies them
(node/src/chain/acceptor.rs ``rolling_finality``): a new block is Attested (PNI = 0, needs 1
stable successor) or Accepted (needs 2·PNI); only an Attested tip starts a scan, from the tip's
parent down to the last Final block, that confirms each block with enough stable (Attested
or Confirmed) blocks above it and stops at the first that has not; then Confirmed blocks whose
parent is Final become Final, in order.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain.consensus.exceptions import InvalidParameter
from chain.consensus.finality import (
    BlockLabel,
    Label,
    apply_block_label,
    compute_confirmed_after,
    compute_labels,
    compute_pni,
    is_better_candidate,
    is_revert_allowed,
)

A, T, C, F = Label.ACCEPTED, Label.ATTESTED, Label.CONFIRMED, Label.FINAL


def test_pni() -> None:
    assert compute_pni(0, 0) == 0
    assert compute_pni(3, 3) == 0
    assert compute_pni(3, 1) == 2
    assert compute_pni(60, 8) == 42  # min(iteration, 50) − count
    assert compute_confirmed_after(0) == 1
    assert compute_confirmed_after(3) == 6


def test_invalid_pni() -> None:
    with pytest.raises(InvalidParameter):
        compute_pni(2, 3)
    with pytest.raises(InvalidParameter):
        compute_pni(-1, 0)


def labels_after_each(pnis: list[int]) -> list[list[Label]]:
    """The labels of blocks 1..k after block k is added, for each k (block 0 is Final)."""
    out = []
    chain: tuple[BlockLabel, ...] = ()
    for height, pni in enumerate(pnis, start=1):
        chain = apply_block_label(chain, height, pni)
        out.append([entry.label for entry in chain])
    return out


def test_all_attested_blocks_finalise_one_block_behind() -> None:
    assert labels_after_each([0, 0, 0]) == [[T], [F, T], [F, F, T]]


def test_accepted_block_needs_two_pni_stable_successors() -> None:
    # Block 1 at PNI 1 needs 2 stable blocks above it.
    assert labels_after_each([1, 0, 0]) == [[A], [A, T], [F, F, T]]


def test_accepted_tip_starts_no_scan() -> None:
    assert labels_after_each([0, 1, 1, 0, 0]) == [
        [T],
        [T, A],  # block 1 is not confirmed by an Accepted successor
        [T, A, A],
        [T, A, A, T],  # block 3 (needs 2) has 1 stable block above it: the scan stops there
        [F, F, F, F, T],
    ]


def test_worked_example_with_pni_2() -> None:
    assert labels_after_each([0, 2, 0, 0, 0, 0]) == [
        [T],
        [T, A],
        [T, A, T],  # block 2 needs 4 stable blocks above it
        [T, A, C, T],
        [T, A, C, C, T],
        [F, F, F, F, F, T],  # 4 stable blocks above block 2: all confirmed, all final
    ]


def test_confirmed_becomes_final_only_after_a_final_parent() -> None:
    # Block 1 (PNI 3, needs 6) holds back the finality of the confirmed blocks above it.
    history = labels_after_each([3, 0, 0, 0])
    assert history[-1] == [A, C, C, T]
    assert Label.FINAL not in history[-1]


def test_compute_labels_folds_the_chain() -> None:
    assert compute_labels([(10, 0), (11, 2), (12, 0), (13, 0)]) == ((10, T), (11, A), (12, C), (13, T))


def test_apply_block_label_keeps_confirmed_after() -> None:
    chain = apply_block_label((), 1, 2)
    assert chain == (BlockLabel(1, A, 4),)


def test_invalid_non_consecutive_heights() -> None:
    with pytest.raises(InvalidParameter):
        compute_labels([(10, 0), (12, 0)])
    with pytest.raises(InvalidParameter):
        apply_block_label((BlockLabel(1, T, 1),), 3, 0)


@given(st.lists(st.integers(min_value=0, max_value=5), min_size=1, max_size=40))
def test_label_invariants(pnis: list[int]) -> None:
    labels = [label for _, label in compute_labels(list(enumerate(pnis, start=1)))]
    # The tip is never Confirmed or Final; Final blocks form a prefix; a Final block's
    # successors up to the tip exist; the tip's label follows its own PNI.
    assert labels[-1] == (T if pnis[-1] == 0 else A)
    finals = [i for i, label in enumerate(labels) if label is F]
    assert finals == list(range(len(finals)))
    # An Accepted tip changes nothing below it.
    if pnis[-1] and len(pnis) > 1:
        before = [label for _, label in compute_labels(list(enumerate(pnis[:-1], start=1)))]
        assert labels[:-1] == before


# -- fork choice (§1.7) ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Header:
    prev_block_hash: bytes
    height: int
    iteration: int


def test_lowest_iteration_wins_with_the_same_parent() -> None:
    assert is_better_candidate(Header(b"p", 5, 0), Header(b"p", 5, 2))
    assert not is_better_candidate(Header(b"p", 5, 2), Header(b"p", 5, 0))
    assert not is_better_candidate(Header(b"p", 5, 1), Header(b"p", 5, 1))


def test_different_parents_are_not_compared() -> None:
    assert not is_better_candidate(Header(b"p", 5, 0), Header(b"q", 5, 2))


def test_revert_never_passes_final() -> None:
    assert is_revert_allowed(ancestor_height=10, last_final_height=10)
    assert is_revert_allowed(ancestor_height=11, last_final_height=10)
    assert not is_revert_allowed(ancestor_height=9, last_final_height=10)
