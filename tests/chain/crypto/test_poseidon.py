"""Poseidon Hades252 and the SAFE sponge against Dusk's and the Poseidon authors' vectors.

The vectors are read in place from ``../shared/vectors/poseidon/`` beside the repository root
(never copied into the repo; provenance in ``shared/vectors/README.md``):

- ``dusk-poseidon252/``: ``arc.bin``, ``mds.bin`` and ``hades_sponge_vectors.json``, from
  github.com/dusk-network/Poseidon252 at ``36993ece8884608bb0667074b4a5d6282be20aed``;
- ``hadeshash-reference/``: the generic permutation's parameters for widths 3 and 5 and
  ``test_vectors.txt`` (the Poseidon authors' repository, commit ``659de89c``).

Without ``../shared`` the tests that need it skip with a message; the rest still run.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.crypto import poseidon
from chain.crypto.bls12_381.ciphersuite import CURVE_ORDER
from chain.crypto.exceptions import CryptoError, InvalidFieldElement, InvalidInput
from chain.crypto.poseidon import (
    HADES252,
    MODULUS,
    Absorb,
    Domain,
    HadesParams,
    Sponge,
    Squeeze,
    merkle4_hash,
    permute,
    permute_with,
    scalar_from_bytes,
    scalar_to_bytes,
)

REPO_ROOT: Final = Path(__file__).resolve().parents[3]
POSEIDON_VECTORS: Final = REPO_ROOT.parent / "shared" / "vectors" / "poseidon"
DUSK: Final = POSEIDON_VECTORS / "dusk-poseidon252"
HADESHASH: Final = POSEIDON_VECTORS / "hadeshash-reference"

needs_vectors = pytest.mark.skipif(
    not POSEIDON_VECTORS.is_dir(),
    reason=f"Poseidon vectors not found at {POSEIDON_VECTORS} (clone shared/ beside the repository)",
)


def _dusk_sponge_vectors() -> dict[str, Any]:
    return json.loads((DUSK / "hades_sponge_vectors.json").read_text(encoding="utf-8"))


def _sponge_cases() -> list[Any]:
    if not DUSK.is_dir():
        return [pytest.param(0, "", id="absent", marks=pytest.mark.skip(reason="no ../shared vectors"))]
    return [
        pytest.param(case["n_inputs"], case["expected"], id=f"n{case['n_inputs']}")
        for case in _dusk_sponge_vectors()["cases"]
    ]


# -- the field -----------------------------------------------------------------------------------


def test_modulus_is_the_bls12_381_scalar_field() -> None:
    assert MODULUS == CURVE_ORDER
    assert MODULUS == 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001


# -- constants: derived as assets/HOWTO.md says, equal to the published assets byte for byte ---


@needs_vectors
def test_round_constants_derivation_equals_arc_bin() -> None:
    assert poseidon.encode_montgomery_le(poseidon.derive_round_constants()) == (DUSK / "arc.bin").read_bytes()


@needs_vectors
def test_mds_derivation_equals_mds_bin() -> None:
    flat = [x for row in poseidon.derive_mds() for x in row]
    assert poseidon.encode_montgomery_le(flat) == (DUSK / "mds.bin").read_bytes()


@needs_vectors
def test_runtime_constants_are_the_asset_values() -> None:
    """What the permutation uses is each 32-byte chunk read as a little-endian integer
    (upstream loads them with ``BlsScalar::from_raw``)."""
    arc = (DUSK / "arc.bin").read_bytes()
    mds = (DUSK / "mds.bin").read_bytes()
    chunks = [int.from_bytes(arc[i : i + 32], "little") for i in range(0, len(arc), 32)]
    assert [c for rnd in HADES252.round_constants for c in rnd] == chunks
    cells = [int.from_bytes(mds[i : i + 32], "little") for i in range(0, len(mds), 32)]
    assert [c for row in HADES252.mds for c in row] == cells


def test_hades252_shape() -> None:
    assert HADES252.width == 5
    assert HADES252.full_rounds == 8
    assert HADES252.partial_rounds == 60  # the vectors' 60, not the issue text's 59
    assert HADES252.partial_sbox_index == 4
    assert len(HADES252.round_constants) == 68


# -- Dusk's sponge vectors (src/hades.rs, test `poseidon_hash`) ---------------------------------


@needs_vectors
@pytest.mark.parametrize(("n_inputs", "expected"), _sponge_cases())
def test_dusk_sponge_vectors(n_inputs: int, expected: str) -> None:
    """Tag fixed to 0, io-pattern Absorb(n), Absorb(1), Squeeze(1), padding one 1."""
    data = _dusk_sponge_vectors()
    inputs = [scalar_from_bytes(bytes.fromhex(h)) for h in data["inputs"][:n_inputs]]
    sponge = Sponge([Absorb(n_inputs), Absorb(1), Squeeze(1)], 0, tag=0)
    sponge.absorb(inputs)
    sponge.absorb([1])
    sponge.squeeze(1)
    assert sponge.finish() == [int(expected, 16)]


@needs_vectors
def test_every_dusk_case_is_covered() -> None:
    assert [c["n_inputs"] for c in _dusk_sponge_vectors()["cases"]] == [3, 4, 5, 6, 8, 10]


# -- the generic permutation against the hadeshash reference ------------------------------------


def _hadeshash_params(width: int) -> HadesParams:
    raw = json.loads((HADESHASH / f"poseidonperm_x5_255_{width}.params.json").read_text(encoding="utf-8"))
    assert int(raw["field_modulus"], 16) == MODULUS
    assert raw["alpha"] == 5
    flat = [int(c, 16) for c in raw["round_constants"]]
    rounds = tuple(tuple(flat[r * width : (r + 1) * width]) for r in range(len(flat) // width))
    return HadesParams(
        width=width,
        full_rounds=raw["R_F"],
        partial_rounds=raw["R_P"],
        round_constants=rounds,
        mds=tuple(tuple(int(c, 16) for c in row) for row in raw["mds_matrix"]),
        partial_sbox_index=0,  # the reference applies the partial S-box to state[0]
    )


def _hadeshash_vector(name: str) -> tuple[list[int], list[int]]:
    text = (HADESHASH / "test_vectors.txt").read_text(encoding="utf-8")
    block = text.split(f"# {name}\n", 1)[1].split("\n\n", 1)[0]
    match = re.search(r"Input:\n(\[.*?\])\nOutput:\n(\[.*?\])", block, re.S)
    assert match is not None
    return (
        [int(x, 16) for x in ast.literal_eval(match.group(1))],
        [int(x, 16) for x in ast.literal_eval(match.group(2))],
    )


@needs_vectors
@pytest.mark.parametrize("width", [3, 5])
def test_hadeshash_reference_permutation(width: int) -> None:
    state_in, expected = _hadeshash_vector(f"poseidonperm_x5_255_{width}")
    assert state_in == list(range(width))
    assert list(permute_with(_hadeshash_params(width), state_in)) == expected


@needs_vectors
def test_hadeshash_reference_differs_from_dusk() -> None:
    """Same shape at width 5, other constants and S-box position: other outputs (README)."""
    state_in, expected = _hadeshash_vector("poseidonperm_x5_255_5")
    assert list(permute(state_in)) != expected


# -- Dusk's Hash::digest: tag = hash_to_scalar(io-pattern ‖ domain) -----------------------------


def test_domain_values_are_dusks() -> None:
    assert Domain.MERKLE4 == 0xF
    assert Domain.MERKLE2 == 0x3
    assert Domain.ENCRYPTION == 1 << 32
    assert Domain.OTHER == 0


def test_tag_input_encoding() -> None:
    """dusk-safe ``tag_input``: u32 words big-endian, absorbs and squeezes merged, the first
    absorb added to the initial 0x8000_0000 word, then the domain as a big-endian u64."""
    encoded = poseidon.tag_input([Absorb(4), Squeeze(1)], Domain.MERKLE4)
    assert encoded == bytes.fromhex("80000004 00000001 000000000000000f")
    merged = poseidon.tag_input([Absorb(2), Absorb(3), Squeeze(1), Squeeze(2)], 7)
    assert merged == bytes.fromhex("80000005 00000003 0000000000000007")


def test_hash_is_the_sponge_with_the_blake2b_tag() -> None:
    """``hash`` equals the sponge run by hand with Dusk's tag: BLAKE2b-512 of the tag input,
    a 512-bit little-endian integer reduced mod p (``BlsScalar::hash_to_scalar``)."""
    inputs = [1, 2, 3]
    encoded = poseidon.tag_input([Absorb(3), Squeeze(1)], Domain.OTHER)
    tag = int.from_bytes(hashlib.blake2b(encoded, digest_size=64).digest(), "little") % MODULUS
    state = permute([tag, 1, 2, 3, 0])
    assert poseidon.hash(inputs, Domain.OTHER) == state[1]


def test_hash_depends_on_domain_and_inputs() -> None:
    four = [5, 6, 7, 8]
    assert poseidon.hash(four, Domain.MERKLE4) != poseidon.hash(four, Domain.OTHER)
    assert poseidon.hash(four, Domain.OTHER) != poseidon.hash([5, 6, 7, 9], Domain.OTHER)
    assert poseidon.hash([0], Domain.OTHER) != poseidon.hash([0, 0], Domain.OTHER)


def test_hash_n_squeezes_more_than_the_rate() -> None:
    out = poseidon.hash_n([1, 2], Domain.OTHER, 6)
    assert len(out) == 6
    assert out[0] == poseidon.hash_n([1, 2], Domain.OTHER, 6)[0]
    assert len(set(out)) == 6


def test_hash_truncated_clears_the_top_six_bits() -> None:
    full = poseidon.hash([42], Domain.OTHER)
    assert poseidon.hash_truncated([42], Domain.OTHER) == full & ((1 << 250) - 1)


def test_merkle4_hash_is_the_merkle4_domain_hash() -> None:
    children = [11, 0, 0, 0]
    assert merkle4_hash(children) == poseidon.hash(children, Domain.MERKLE4)
    assert merkle4_hash([0, 0, 0, 0]) != poseidon.EMPTY_SUBTREE  # an empty subtree is 0, never hashed


# -- bad input: typed errors, nothing changed --------------------------------------------------


@pytest.mark.parametrize("bad", [MODULUS, MODULUS + 1, -1, 1 << 256])
def test_out_of_range_elements_are_refused(bad: int) -> None:
    with pytest.raises(InvalidFieldElement) as info:
        poseidon.hash([1, bad], Domain.OTHER)
    assert info.value.reason == "out_of_range"
    with pytest.raises(InvalidFieldElement):
        permute([0, 0, 0, 0, bad])


@pytest.mark.parametrize("bad", [True, 1.0, "1", b"\x01", None])
def test_non_integers_are_refused(bad: object) -> None:
    with pytest.raises(InvalidFieldElement) as info:
        poseidon.hash([bad], Domain.OTHER)  # type: ignore[list-item]
    assert info.value.reason == "not_int"


@pytest.mark.parametrize("data", [b"", b"\x00" * 31, b"\x00" * 33, b"\x00" * 64])
def test_wrong_length_bytes_are_refused(data: bytes) -> None:
    with pytest.raises(InvalidFieldElement) as info:
        scalar_from_bytes(data)
    assert info.value.reason == "wrong_length"


def test_non_canonical_bytes_are_refused() -> None:
    with pytest.raises(InvalidFieldElement) as info:
        scalar_from_bytes(MODULUS.to_bytes(32, "little"))
    assert info.value.reason == "out_of_range"
    with pytest.raises(InvalidFieldElement) as info:
        scalar_from_bytes("00" * 32)  # type: ignore[arg-type]
    assert info.value.reason == "not_bytes"


def test_bytes_round_trip() -> None:
    for value in (0, 1, MODULUS - 1, 0x1234 << 200):
        assert scalar_from_bytes(scalar_to_bytes(value)) == value
    assert scalar_to_bytes(1) == b"\x01" + b"\x00" * 31


def test_wrong_width_is_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        permute([0, 0, 0, 0])
    assert info.value.reason == "wrong_width"


@pytest.mark.parametrize(("domain", "count"), [(Domain.MERKLE4, 3), (Domain.MERKLE4, 5), (Domain.MERKLE2, 4)])
def test_merkle_domains_need_their_arity(domain: Domain, count: int) -> None:
    with pytest.raises(InvalidInput) as info:
        poseidon.hash(list(range(count)), domain)
    assert info.value.reason == "io_pattern_violation"
    with pytest.raises(InvalidInput):
        merkle4_hash([0, 0, 0])


def test_empty_input_and_bad_output_length_are_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        poseidon.hash([], Domain.OTHER)
    assert info.value.reason == "invalid_io_pattern"
    with pytest.raises(InvalidInput):
        poseidon.hash_n([1], Domain.OTHER, 0)
    with pytest.raises(InvalidInput) as info:
        poseidon.hash_n([1, 2, 3, 4], Domain.MERKLE4, 2)
    assert info.value.reason == "io_pattern_violation"


def test_sponge_refuses_calls_off_its_pattern() -> None:
    sponge = Sponge([Absorb(2), Squeeze(1)], 0)
    with pytest.raises(InvalidInput) as info:
        sponge.absorb([1, 2, 3])
    assert info.value.reason == "io_pattern_violation"
    with pytest.raises(InvalidInput):
        sponge.squeeze(1)  # the sponge is spent after a violation
    unfinished = Sponge([Absorb(1), Squeeze(1)], 0)
    unfinished.absorb([1])
    with pytest.raises(InvalidInput):
        unfinished.finish()
    with pytest.raises(InvalidInput):
        Sponge([Squeeze(1)], 0)


def test_bad_element_leaves_the_sponge_unchanged() -> None:
    """A refused absorb changes nothing: a retry with good data gives the normal result."""
    sponge = Sponge([Absorb(2), Squeeze(1)], 0)
    with pytest.raises(InvalidFieldElement):
        sponge.absorb([1, MODULUS])
    sponge.absorb([1, 2])
    sponge.squeeze(1)
    assert sponge.finish() == [poseidon.hash([1, 2], Domain.OTHER)]


def test_errors_are_in_the_crypto_tree() -> None:
    assert issubclass(InvalidFieldElement, CryptoError)
    assert issubclass(InvalidFieldElement, ValueError)


# -- properties ----------------------------------------------------------------------------------

elements = st.integers(min_value=0, max_value=MODULUS - 1)
states = st.lists(elements, min_size=5, max_size=5)


@settings(max_examples=25, deadline=None)
@given(st.lists(states, min_size=2, max_size=6, unique_by=tuple))
def test_distinct_states_give_distinct_outputs(sample: list[list[int]]) -> None:
    outputs = {permute(s) for s in sample}
    assert len(outputs) == len(sample)
    assert all(0 <= x < MODULUS for out in outputs for x in out)


@settings(max_examples=25, deadline=None)
@given(states)
def test_permutation_is_deterministic_and_pure(state: list[int]) -> None:
    before = list(state)
    assert permute(state) == permute(tuple(state))
    assert state == before


def test_module_hash_does_not_shadow_builtin_hash_of_its_types() -> None:
    """The module defines ``hash`` (Dusk's name); its dataclasses stay hashable."""
    assert len({Absorb(1), Absorb(1), Squeeze(1)}) == 2
    assert len({HADES252, HADES252}) == 1
