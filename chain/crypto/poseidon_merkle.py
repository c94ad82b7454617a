"""Openings of Dusk's 4-ary Poseidon Merkle tree, verified without any state (the reference the
note tree's circuit gadget will be checked against; docs/zk.md "Note tree").

Source: reference/dusk-protocol.md §2.3 "Notes tree" (Poseidon, arity 4, depth 17, domain
Merkle4, empty subtree = 0); dusk-network/merkle ``poseidon-merkle`` (``Item`` aggregation:
``Hash::digest(Domain::Merkle4, [4 child hashes])``, an absent child 0) and ``dusk-merkle``
(``Opening::verify``).

An opening (:class:`NoteOpening`) lists, from the leaf's level up, the 3 siblings of the path
node at each level and the path node's index among its 4 siblings: the position's base-4
digits, least significant first. Dusk's ``Opening`` holds the same data from the root down,
with all 4 items per level (the path node included) and the root; reversing the lists gives its
order. The tree itself, stored in chain state, is :mod:`chain.state.note_tree`.

This module is also what :mod:`chain.node.client` uses, so applications can check an opening
served by a node without loading the state package.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from chain.crypto.exceptions import InvalidFieldElement, InvalidInput
from chain.crypto.poseidon import EMPTY_SUBTREE, MODULUS, SCALAR_BYTES, merkle4_hash, scalar_from_bytes

ARITY: Final = 4
PHOENIX_TREE_DEPTH: Final = 17
"""Levels of branching of Dusk's Phoenix notes tree (reference §2.3; ``TxCircuit<17, I>``)."""
EMPTY_NODE: Final = EMPTY_SUBTREE
"""An empty subtree at every level: 0, not hashed (poseidon-merkle ``Item::EMPTY_SUBTREE``)."""


@dataclass(frozen=True, slots=True)
class NoteOpening:
    """The Merkle path of one leaf.

    ``leaf`` is the leaf's value (a scalar ``int``); ``siblings[k]`` the 3 siblings of the
    path node at level ``k`` (``k = 0`` the leaf's own level) in index order with the path node
    left out; ``digits[k]`` the path node's index among its 4 siblings, the position's base-4
    digit ``k`` (least significant first). Both have ``depth`` entries.
    """

    leaf: int
    siblings: tuple[tuple[int, int, int], ...]
    digits: tuple[int, ...]


def compute_digits(position: int, depth: int = PHOENIX_TREE_DEPTH) -> tuple[int, ...]:
    """The ``depth`` base-4 digits of ``position``, least significant first.

    Raises
    ------
    InvalidInput
        ``position_out_of_range``: ``position`` is not an int in ``[0, 4^depth)``.
    """
    if type(position) is not int or not 0 <= position < 1 << (2 * depth):
        raise InvalidInput(f"position {position!r} is outside the tree", reason="position_out_of_range")
    return tuple((position >> (2 * k)) & 3 for k in range(depth))


def compute_parent(node: int, digit: int, siblings: Sequence[int]) -> int:
    """``merkle4_hash`` of the 4 children made of ``node`` at index ``digit`` and the 3
    ``siblings`` in order around it. The path node is present, so its parent is always hashed
    (the 0 shortcut is for subtrees without any leaf). Errors as :func:`merkle4_hash`."""
    children = list(siblings)
    children.insert(digit, node)
    return merkle4_hash(children)


def verify_opening(
    root: bytes, leaf: bytes, position: int, opening: NoteOpening, *, depth: int = PHOENIX_TREE_DEPTH
) -> bool:
    """Whether ``opening`` proves that ``leaf`` is at ``position`` in the tree with ``root``.

    ``root`` and ``leaf`` are 32-byte little-endian scalars. True only if both are canonical,
    ``position`` is in ``[0, 4^depth)``, ``opening.leaf`` is ``leaf``, ``opening.digits`` are
    ``position``'s base-4 digits, every sibling is a field element, and folding the leaf up
    with :func:`compute_parent` gives ``root`` (dusk-merkle ``Opening::verify``). Never raises;
    anything malformed is False.

    Caveat of Dusk's rule (empty subtree = 0): a leaf of value 0 is the same child value as an
    empty position, so it also "opens" at an empty neighbour position. Note hashes are never 0
    in practice; a caller that cares refuses a 0 leaf.
    """
    try:
        root_value = scalar_from_bytes(root)
        leaf_value = scalar_from_bytes(leaf)
        digits = compute_digits(position, depth)
    except (InvalidFieldElement, InvalidInput):
        return False
    if not isinstance(opening, NoteOpening) or opening.leaf != leaf_value or tuple(opening.digits) != digits:
        return False
    if not isinstance(opening.siblings, tuple) or len(opening.siblings) != depth:
        return False
    node = leaf_value
    for level_siblings, digit in zip(opening.siblings, digits, strict=True):
        if (
            not isinstance(level_siblings, tuple)
            or len(level_siblings) != ARITY - 1
            or not all(type(s) is int and 0 <= s < MODULUS for s in level_siblings)
        ):
            return False
        node = compute_parent(node, digit, level_siblings)
    return node == root_value


def encode_opening(opening: NoteOpening) -> bytes:
    """``leaf[32] ‖ depth × (3 × sibling[32]) ‖ depth × digit:u8``, scalars little-endian.

    Raises
    ------
    InvalidFieldElement
        A value that is not a field element.
    InvalidInput
        ``invalid_digit``: a digit outside 0..3, or not one per level.
    """
    if len(opening.digits) != len(opening.siblings) or any(
        type(d) is not int or not 0 <= d < ARITY for d in opening.digits
    ):
        raise InvalidInput("one digit 0 to 3 per level", reason="invalid_digit")
    values = [opening.leaf, *(s for level in opening.siblings for s in level)]
    if any(type(v) is not int or not 0 <= v < MODULUS for v in values):
        raise InvalidFieldElement("a field element must be an int in [0, p)", reason="out_of_range")
    return b"".join(v.to_bytes(SCALAR_BYTES, "little") for v in values) + bytes(opening.digits)


def decode_opening(data: bytes, *, depth: int = PHOENIX_TREE_DEPTH) -> NoteOpening:
    """Inverse of :func:`encode_opening`: exactly ``32 + 97·depth`` bytes (1,681 at depth 17).

    Raises
    ------
    InvalidInput
        ``wrong_length``, or ``invalid_digit`` (a digit > 3).
    InvalidFieldElement
        ``out_of_range``: a scalar >= r (refused, never reduced).
    """
    expected = SCALAR_BYTES * (1 + 3 * depth) + depth
    if not isinstance(data, bytes) or len(data) != expected:
        raise InvalidInput(f"an opening is {expected} bytes", reason="wrong_length")
    values = [scalar_from_bytes(data[i : i + SCALAR_BYTES]) for i in range(0, expected - depth, SCALAR_BYTES)]
    digits = tuple(data[expected - depth :])
    if any(d >= ARITY for d in digits):
        raise InvalidInput("an opening digit is 0 to 3", reason="invalid_digit")
    siblings = tuple((values[1 + 3 * k], values[2 + 3 * k], values[3 + 3 * k]) for k in range(depth))
    return NoteOpening(values[0], siblings, digits)
