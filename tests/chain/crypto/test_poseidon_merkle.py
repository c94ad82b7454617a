"""Openings of the 4-ary Poseidon Merkle tree (chain/crypto/poseidon_merkle.py): the byte form
and its refusals, and verification of a path built here by hand from merkle4_hash."""

from __future__ import annotations

import pytest

from chain.crypto.exceptions import InvalidFieldElement, InvalidInput
from chain.crypto.poseidon import MODULUS, merkle4_hash
from chain.crypto.poseidon_merkle import (
    PHOENIX_TREE_DEPTH,
    NoteOpening,
    compute_digits,
    decode_opening,
    encode_opening,
    verify_opening,
)


def by_hand(leaf: int, position: int, depth: int) -> tuple[int, NoteOpening]:
    """A path whose siblings at level k are (k+1, k+2, k+3), folded with merkle4_hash."""
    node, siblings, digits = leaf, [], []
    for k in range(depth):
        digit = (position >> (2 * k)) & 3
        level = (k + 1, k + 2, k + 3)
        children = [*level]
        children.insert(digit, node)
        node = merkle4_hash(children)
        siblings.append(level)
        digits.append(digit)
    return node, NoteOpening(leaf, tuple(siblings), tuple(digits))


def b(value: int) -> bytes:
    return value.to_bytes(32, "little")


def test_a_hand_built_depth_17_path_verifies_and_round_trips():
    position = 0b10_01_11_00_01  # digits 1, 0, 3, 1, 2, then 0s
    root, opening = by_hand(77, position, PHOENIX_TREE_DEPTH)
    assert opening.digits[:5] == (1, 0, 3, 1, 2)
    assert compute_digits(position) == opening.digits
    assert verify_opening(b(root), b(77), position, opening)
    encoded = encode_opening(opening)
    assert len(encoded) == 32 + 97 * 17 == 1681
    assert decode_opening(encoded) == opening
    assert not verify_opening(b(root), b(78), position, opening)
    assert not verify_opening(b(root), b(77), position + 1, opening)


def test_invalid_encodings_are_refused_with_reasons():
    _, opening = by_hand(5, 3, 2)
    encoded = encode_opening(opening)
    with pytest.raises(InvalidInput) as error:
        decode_opening(encoded[:-1], depth=2)
    assert error.value.reason == "wrong_length"
    with pytest.raises(InvalidInput) as error:
        decode_opening(encoded[:-1] + b"\x04", depth=2)
    assert error.value.reason == "invalid_digit"
    with pytest.raises(InvalidFieldElement) as field_error:
        decode_opening(b(MODULUS) + encoded[32:], depth=2)
    assert field_error.value.reason == "out_of_range"
    with pytest.raises(InvalidInput):
        encode_opening(NoteOpening(5, opening.siblings, (4, 0)))
    with pytest.raises(InvalidFieldElement):
        encode_opening(NoteOpening(MODULUS, opening.siblings, opening.digits))


@pytest.mark.parametrize("position", [-1, 4**17, True, "1"])
def test_invalid_positions_have_no_digits(position):
    with pytest.raises(InvalidInput) as error:
        compute_digits(position)
    assert error.value.reason == "position_out_of_range"
