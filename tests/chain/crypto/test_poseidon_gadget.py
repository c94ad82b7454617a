"""The circom Hades252 gadget (circuits/src/hades252.circom) against chain.crypto.poseidon.

The compiled circuits circuits/build/poseidon_permutation.wasm and merkle4_node.wasm compute
witnesses with ``snarkjs wtns calculate``; their public outputs (the witness wires after the
constant 1) must equal :func:`chain.crypto.poseidon.permute` and
:func:`chain.crypto.poseidon.merkle4_hash` of the same inputs. The witness tests need
the circuit tools (``make circuits``) and skip without them; the include file and constraint
count checks need only the committed files.
"""

from __future__ import annotations

import random
from pathlib import Path

from chain.crypto.poseidon import (
    MODULUS,
    Absorb,
    Domain,
    Sponge,
    Squeeze,
    hash,
    hash_truncated,
    merkle4_hash,
    permute,
)
from chain.tools import poseidon_circom
from tests.chain.crypto.circuit_witness import CIRCUITS, needs_snarkjs, r1cs_header, witness


def _circuit_permute(tmp_path: Path, state: list[int]) -> list[int]:
    """poseidon_permutation's 5 outputs for the 5 inputs ``state``."""
    values = witness(tmp_path, "poseidon_permutation", {"in": state})
    assert values[6:11] == state  # the inputs follow the outputs
    return values[1:6]


def _circuit_merkle4(tmp_path: Path, children: list[int]) -> int:
    """merkle4_node's output for the 4 ``children``."""
    values = witness(tmp_path, "merkle4_node", {"children": children})
    assert values[2:6] == children
    return values[1]


def test_committed_constants_are_the_reference() -> None:
    committed = (CIRCUITS / "src" / "hades252_constants.circom").read_text()
    assert committed == poseidon_circom.render()


def test_constraint_counts() -> None:
    """poseidon_permutation: 300 non-linear constraints (100 S-boxes x 3) + 5 linear;
    merkle4_node: the same permutation, where circom folds the constant tag's first S-box
    (298 non-linear + 7 linear). Both compiled with --prime bls12381."""
    assert r1cs_header("poseidon_permutation") == (MODULUS, 5, 0, 5, 305)
    assert r1cs_header("merkle4_node") == (MODULUS, 1, 0, 4, 305)


@needs_snarkjs
def test_witness_matches_reference(tmp_path: Path) -> None:
    rng = random.Random(17)  # noqa: S311 - seeded test data, not keys
    states = [[rng.randrange(MODULUS) for _ in range(5)] for _ in range(4)]
    states += [[0] * 5, [MODULUS - 1] * 5, [0, 1, 2, 3, 4]]
    for state in states:
        assert _circuit_permute(tmp_path, state) == list(permute(state))


@needs_snarkjs
def test_merkle4_witness_matches_reference(tmp_path: Path) -> None:
    rng = random.Random(4)  # noqa: S311 - seeded test data, not keys
    cases = [[rng.randrange(MODULUS) for _ in range(4)] for _ in range(3)]
    cases += [[0, 0, 0, 0], [1, 2, 3, 4], [MODULUS - 1, 0, 0, 0]]
    for children in cases:
        assert _circuit_merkle4(tmp_path, children) == merkle4_hash(children)


@needs_snarkjs
def test_sponge_hashes_match_the_reference(tmp_path: Path) -> None:
    """poseidon_hash: Hash::digest(Other, in[..n]) for n = 1, 4, 5, 8 and digest_truncated for
    n = 5 (circuits/src/poseidon.circom) against chain.crypto.poseidon.hash / hash_truncated."""
    rng = random.Random(250)  # noqa: S311 - seeded test data, not keys
    cases = [[rng.randrange(MODULUS) for _ in range(8)] for _ in range(4)]
    cases += [[0] * 8, [MODULUS - 1] * 8, list(range(8))]
    for inputs in cases:
        values = witness(tmp_path, "poseidon_hash", {"in": inputs})
        expected = [hash(inputs[:n], Domain.OTHER) for n in (1, 4, 5, 8)]
        expected.append(hash_truncated(inputs[:5], Domain.OTHER))
        assert values[1:6] == expected


def test_other_tags_are_the_reference() -> None:
    """The generated tags are the sponge's: Sponge([Absorb(n), Squeeze(1)], Other)'s state[0]."""
    for n in (1, 5, poseidon_circom.MAX_OTHER_INPUTS):
        sponge = Sponge([Absorb(n), Squeeze(1)], Domain.OTHER)
        assert poseidon_circom.other_tag(n) == sponge._state[0]  # noqa: SLF001 - the tag itself
