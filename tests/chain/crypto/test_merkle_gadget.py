"""The circom Merkle opening gadget (circuits/src/merkle_opening.circom) against
chain.crypto.poseidon.merkle4_hash iterated here (depth 17, arity 4: the Phoenix notes tree's
shape).

``note_tree_opening`` outputs the root for (leaf, position, siblings); it must equal the root
computed in Python by inserting the path's node among its 3 siblings at base-4 digit l of the
position at level l and hashing, 17 times. A position of 4^17 or more must be refused.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Final

import pytest

from chain.crypto.poseidon import EMPTY_SUBTREE, MODULUS, merkle4_hash
from tests.chain.crypto.circuit_witness import WitnessFailed, needs_snarkjs, r1cs_header, witness

DEPTH: Final = 17


def reference_root(leaf: int, position: int, siblings: list[list[int]]) -> int:
    """The root over ``leaf`` at ``position`` with the given siblings, by merkle4_hash."""
    current = leaf
    for level, level_siblings in enumerate(siblings):
        digit = (position >> (2 * level)) & 3
        current = merkle4_hash([*level_siblings[:digit], current, *level_siblings[digit:]])
    return current


def _root(tmp_path: Path, leaf: int, position: int, siblings: list[list[int]]) -> int:
    inputs = {"leaf": leaf, "position": position, "siblings": siblings}
    return witness(tmp_path, "note_tree_opening", inputs)[1]


def test_constraint_count() -> None:
    """34 bit checks + 1, and per level 7 (selection) + 305 (a Merkle4 node, 298 non-linear):
    5,339 with circom's linear ones."""
    assert r1cs_header("note_tree_opening")[1:] == (1, 0, 1 + 1 + 3 * DEPTH, 5339)


@needs_snarkjs
def test_random_openings_match_the_reference(tmp_path: Path) -> None:
    rng = random.Random(417)  # noqa: S311 - seeded test data, not keys
    positions = [rng.randrange(4**DEPTH) for _ in range(3)] + [0, 4**DEPTH - 1, 0b1001_1100_0110]
    for position in positions:
        leaf = rng.randrange(MODULUS)
        siblings = [[rng.randrange(MODULUS) for _ in range(3)] for _ in range(DEPTH)]
        assert _root(tmp_path, leaf, position, siblings) == reference_root(leaf, position, siblings)


@needs_snarkjs
def test_sparse_tree_with_empty_subtrees(tmp_path: Path) -> None:
    """Siblings that are empty subtrees (0), as in a tree holding a few notes."""
    rng = random.Random(418)  # noqa: S311 - seeded test data, not keys
    siblings = [[EMPTY_SUBTREE] * 3 for _ in range(DEPTH)]
    siblings[0][1] = rng.randrange(MODULUS)
    for position in (2, 5):
        leaf = rng.randrange(MODULUS)
        assert _root(tmp_path, leaf, position, siblings) == reference_root(leaf, position, siblings)


@needs_snarkjs
def test_each_digit_value_at_each_level_moves_the_leaf(tmp_path: Path) -> None:
    """Positions differing in one digit give different roots, each the reference's."""
    rng = random.Random(419)  # noqa: S311 - seeded test data, not keys
    leaf = rng.randrange(MODULUS)
    siblings = [[rng.randrange(MODULUS) for _ in range(3)] for _ in range(DEPTH)]
    roots = set()
    for digit in range(4):
        position = digit << (2 * 16) | 0b11 << 2
        root = _root(tmp_path, leaf, position, siblings)
        assert root == reference_root(leaf, position, siblings)
        roots.add(root)
    assert len(roots) == 4


@needs_snarkjs
@pytest.mark.parametrize("position", [4**DEPTH, 4**DEPTH + 5, MODULUS - 1])
def test_position_outside_the_tree_is_refused(tmp_path: Path, position: int) -> None:
    siblings = [[0, 0, 0] for _ in range(DEPTH)]
    with pytest.raises(WitnessFailed):
        witness(tmp_path, "note_tree_opening", {"leaf": 1, "position": position, "siblings": siblings})
