"""Jubjub (chain.crypto.jubjub) against public vectors, plus group-law properties.

Vectors are copied inline, a handful each, from:

- zkcrypto/jubjub ``src/lib.rs`` at commit ec9aa2fd6e57cbe9647c96a8304c65396da2fcd3
  (https://github.com/zkcrypto/jubjub/blob/ec9aa2fd6e57cbe9647c96a8304c65396da2fcd3/src/lib.rs):
  ``EDWARDS_D``, ``FR_MODULUS_BYTES``, ``FULL_GENERATOR``, ``EIGHT_TORSION``,
  ``test_serialization_consistency``, ``test_zip_216``, ``test_assoc``, ``test_mul_consistency``;
  ``src/fr.rs`` (same commit): ``MODULUS``.
- dusk-network/jubjub ``src/dusk.rs`` at commit 09fde8ba03f896376dfe9b6bb3382684e06b925c
  (https://github.com/dusk-network/jubjub/blob/09fde8ba03f896376dfe9b6bb3382684e06b925c/src/dusk.rs):
  ``GENERATOR``, ``GENERATOR_NUMS``, ``second_gen_nums``, ``test_dhke_small_subgroup_protection``,
  ``test_is_on_curve``.

The Rust sources spell field elements as little-endian u64 limbs (``Fq::from_raw([l0, l1, l2,
l3])``); :func:`limbs` reads them the same way so that the constants below can be compared with
the sources by eye.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chain.crypto.exceptions import CryptoError, InvalidPoint, InvalidScalar
from chain.crypto.jubjub import (
    COFACTOR,
    GENERATOR,
    GENERATOR_NUMS,
    R_J,
    D,
    Point,
    Q,
    check_scalar,
    scalar_from_bytes,
    scalar_to_bytes,
)


def limbs(*words: int) -> int:
    """The integer of little-endian u64 limbs, as in ``Fq::from_raw``."""
    return sum(word << (64 * i) for i, word in enumerate(words))


# --- zkcrypto/jubjub src/lib.rs, ec9aa2fd6e57cbe9647c96a8304c65396da2fcd3 ---------------------

EDWARDS_D = limbs(0x01065FD6D6343EB1, 0x292D7F6D37579D26, 0xF5FD9207E6BD7FD4, 0x2A9318E74BFA2B48)
FR_MODULUS_BYTES = bytes(
    [183, 44, 247, 214, 94, 14, 151, 208, 130, 16, 200, 204, 147, 32, 104, 166, 0, 59, 52, 1, 1, 59]
    + [103, 6, 169, 175, 51, 101, 234, 180, 125, 14]
)
# src/fr.rs MODULUS
FR_MODULUS = limbs(0xD0970E5ED6F72CB7, 0xA6682093CCC81082, 0x06673B0101343B00, 0x0E7DB4EA6533AFA9)

# A generator of the whole group (order 8·r_J): the first y = 0, 1, 2, ... that works.
FULL_GENERATOR = (
    limbs(0xE4B3D35DF1A7ADFE, 0xCAF55D1B29BF81AF, 0x8B0F03DDD60A8187, 0x62EDCBB8BF3787C8),
    limbs(0xB, 0, 0, 0),
)

_T1X = limbs(0xD92E6A7927200D43, 0x7AA41AC43DAE8582, 0xEAAAE086A16618D1, 0x71D4DF38BA9E7973)
_T1Y = limbs(0xFF0D2068EFF496DD, 0x9106EE90F384A4A1, 0x16A13035AD4D7266, 0x4958BDB21966982E)
_T3Y = limbs(0x00F2DF96100B6924, 0xC2B6B5720C79B75D, 0x1C98A7D25C54659E, 0x2A94E9A11036E51A)
_T5X = limbs(0x26D19585D8DFF2BE, 0xD919893EC24FD67C, 0x488EF781683BBF33, 0x0218C81A6EFF03D4)
# EIGHT_TORSION[i] = [i + 1]·([r_J]·FULL_GENERATOR)
EIGHT_TORSION = [
    (_T1X, _T1Y),
    (limbs(0xFFFEFFFF00000001, 0x67BAA40089FB5BFE, 0xA5E80B39939ED334, 0x73EDA753299D7D47), 0),
    (_T1X, _T3Y),
    (0, limbs(0xFFFFFFFF00000000, 0x53BDA402FFFE5BFE, 0x3339D80809A1D805, 0x73EDA753299D7D48)),
    (_T5X, _T3Y),
    (limbs(0x0001000000000000, 0xEC03000276030000, 0x8D51CCCE760304D0, 0), 0),
    (_T5X, _T1Y),
    (0, 1),
]

# test_serialization_consistency: encodings of [k]·([8]·FULL_GENERATOR); four of the sixteen.
SERIALIZED_MULTIPLES = {
    1: bytes(
        [203, 85, 12, 213, 56, 234, 12, 193, 19, 132, 128, 64, 142, 110, 170, 185, 179, 108, 97]
        + [63, 13, 211, 247, 120, 79, 219, 110, 234, 131, 123, 19, 215]
    ),
    2: bytes(
        [113, 154, 240, 230, 224, 198, 208, 170, 104, 15, 59, 126, 151, 222, 233, 195, 203, 195]
        + [167, 129, 89, 121, 240, 142, 51, 166, 64, 250, 184, 202, 154, 177]
    ),
    4: bytes(
        [182, 117, 250, 241, 81, 196, 199, 227, 151, 74, 243, 17, 221, 97, 200, 139, 192, 83]
        + [231, 35, 214, 14, 95, 69, 130, 201, 4, 116, 177, 19, 179, 0]
    ),
    16: bytes(
        [141, 238, 235, 202, 241, 32, 210, 10, 127, 230, 54, 31, 146, 80, 247, 9, 107, 124, 0]
        + [26, 203, 16, 237, 34, 214, 147, 133, 15, 29, 236, 37, 88]
    ),
}

# test_zip_216: (0, 1) and (0, -1) with the sign bit set.
ZIP_216_NON_CANONICAL = [
    bytes.fromhex("01" + "00" * 30 + "80"),
    bytes.fromhex("00000000ffffffff" + "fe5bfeff02a4bd53" + "05d8a10908d83933" + "487d9d2953a7edf3"),
]

# test_assoc / test_mul_consistency: a point, cleared of its cofactor before use.
ASSOC_POINT = (
    limbs(0x81C571E5D883CFB0, 0x049F7A686F147029, 0xF539C860BC3EA21F, 0x4284715B7CCC8162),
    limbs(0xBF096275684BB8CA, 0xC7BA245890AF256D, 0x59119F3E86380EB0, 0x3793DE182F9FB1D2),
)
# test_mul_consistency's scalars are written as ``Fr([...])``: raw Montgomery limbs (x·2^256 mod
# r_J), so the canonical value is the limbs times 2^-256 mod r_J. The vector is ``a·b = c``.
_R_INV = pow(1 << 256, -1, R_J)
MUL_A = limbs(0x21E61211D9934F2E, 0xA52C058A693C3E07, 0x9CCB77BFB12D6360, 0x07DF2470EC94398E) * _R_INV % R_J
MUL_B = limbs(0x03336D1CBE19DBE0, 0x0153618F6156A536, 0x2604C9E1FC3C6B15, 0x04AE581CEB028720) * _R_INV % R_J
MUL_C = limbs(0xD7ABF5BB24683F4C, 0x9D7712CC274B7C03, 0x973293DB9683789F, 0x0B677E29380A97A7) * _R_INV % R_J

# --- dusk-network/jubjub src/dusk.rs, 09fde8ba03f896376dfe9b6bb3382684e06b925c -----------------

DUSK_GENERATOR = (
    limbs(0x4DF7B7FFEC7BEACA, 0x2E3EBB21FD6C54ED, 0xF1FBF02D0FD6CCE6, 0x3FD2814C43AC65A6),
    limbs(0x12, 0, 0, 0),
)
DUSK_GENERATOR_NUMS = (
    limbs(0x921710179DF76377, 0x931E316A39FE4541, 0xBD9514C773FD4456, 0x5E67B8F316F414F7),
    limbs(0x6705B707162E3EF8, 0x9949BA0F82A5507A, 0x7B162DBEEB3B34FD, 0x43D80EB3B2F3EB1B),
)
GENERATOR_NUMS_COUNTER = 18


def full_generator() -> Point:
    return Point.from_affine(*FULL_GENERATOR)


def torsion(i: int) -> Point:
    return Point.from_affine(*EIGHT_TORSION[i])


# --- constants ---------------------------------------------------------------------------------


def test_constants_are_the_published_ones() -> None:
    assert D == EDWARDS_D
    assert D * 10241 % Q == Q - 10240
    assert R_J == FR_MODULUS == int.from_bytes(FR_MODULUS_BYTES, "little")
    assert COFACTOR == 8
    assert R_J.bit_length() == 252
    assert Q.bit_length() == 255
    # d is not a square, nor is -d: the addition law is complete (zkcrypto test_d_is_non_quadratic_residue)
    assert pow(D, (Q - 1) // 2, Q) == Q - 1
    assert pow(Q - D, (Q - 1) // 2, Q) == Q - 1


def test_dusk_generators_are_the_published_points_of_prime_order() -> None:
    assert GENERATOR.affine() == DUSK_GENERATOR
    assert GENERATOR_NUMS.affine() == DUSK_GENERATOR_NUMS
    for point in (GENERATOR, GENERATOR_NUMS):
        assert point.is_on_curve()
        assert point.is_prime_order()
        assert not point.is_small_order()
        assert not point.mul_by_cofactor().is_identity()
    assert GENERATOR.to_bytes() == bytes([0x12]) + bytes(31)


def test_generator_nums_is_hashed_from_generator_at_counter_18() -> None:
    """dusk.rs ``second_gen_nums``: BLAKE2b-512(G ‖ counter u64 LE)[..32], first decodable point of
    prime order."""
    found = None
    for counter in range(GENERATOR_NUMS_COUNTER + 1):
        digest = hashlib.blake2b(GENERATOR.to_bytes() + counter.to_bytes(8, "little")).digest()[:32]
        try:
            point = Point.from_bytes(digest)
        except InvalidPoint:
            continue
        if point.is_prime_order():
            found = counter, point
            break
    assert found == (GENERATOR_NUMS_COUNTER, GENERATOR_NUMS)


def test_full_generator_is_found_at_y_11_and_has_order_8_r() -> None:
    point = Point.from_bytes(bytes([11]) + bytes(31), subgroup=False)
    assert point == full_generator()
    # y = 0..10 decode to no point or to one of order dividing 4·r_J (find_curve_generator)
    for y in range(11):
        try:
            candidate = Point.from_bytes(bytes([y]) + bytes(31), subgroup=False)
        except InvalidPoint:
            continue
        assert (candidate * (R_J * 4)).is_identity()
    assert not point.is_torsion_free()
    assert not (point * (R_J * 4)).is_identity()
    assert (point * (R_J * 8)).is_identity()
    with pytest.raises(InvalidPoint) as caught:
        Point.from_bytes(point.to_bytes())
    assert caught.value.reason == "not_in_subgroup"


def test_eight_torsion_points() -> None:
    base = full_generator() * R_J
    current = base
    for i in range(8):
        assert current.affine() == EIGHT_TORSION[i]
        assert torsion(i).is_small_order()
        assert torsion(i).mul_by_cofactor().is_identity()
        current = current + base
    assert torsion(7) == Point.identity()


def test_serialization_vectors() -> None:
    base = full_generator().mul_by_cofactor()
    for k, encoded in SERIALIZED_MULTIPLES.items():
        point = base * k
        assert point.to_bytes() == encoded
        assert Point.from_bytes(encoded) == point
        assert Point.from_bytes(encoded).affine() == point.affine()


def test_zip_216_non_canonical_encodings_are_refused() -> None:
    for encoded in ZIP_216_NON_CANONICAL:
        for subgroup in (True, False):
            with pytest.raises(InvalidPoint) as caught:
                Point.from_bytes(encoded, subgroup=subgroup)
            assert caught.value.reason == "non_canonical"
        cleared = encoded[:31] + bytes([encoded[31] & 0x7F])
        point = Point.from_bytes(cleared, subgroup=False)
        assert point.affine()[0] == 0
        assert point.to_bytes() == cleared


def test_small_subgroup_point_is_refused_by_default() -> None:
    """dusk.rs ``test_dhke_small_subgroup_protection``: (0, -1) has order 2."""
    encoded = Point.from_affine(0, Q - 1).to_bytes()
    with pytest.raises(InvalidPoint) as caught:
        Point.from_bytes(encoded)
    assert caught.value.reason == "not_in_subgroup"
    assert Point.from_bytes(encoded, subgroup=False) == Point.from_affine(0, Q - 1)


def test_assoc_and_mul_consistency() -> None:
    p = Point.from_affine(*ASSOC_POINT).mul_by_cofactor()
    assert p.is_on_curve()
    assert (p * 1000) * 3938 == p * (1000 * 3938)
    assert MUL_A * MUL_B % R_J == MUL_C
    assert p * MUL_C == (p * MUL_A) * MUL_B


def test_off_curve_coordinates_are_refused() -> None:
    """dusk.rs ``test_is_on_curve``: (42, 42) is not on the curve."""
    with pytest.raises(InvalidPoint) as caught:
        Point.from_affine(42, 42)
    assert caught.value.reason == "not_on_curve"
    assert not Point(42, 42, 42, 21 * 2).is_on_curve()  # dusk's extended (42, 42, 42, T1·T2 = 21·2)
    assert not Point(0, 1, 0, 0).is_on_curve()


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("12" + "00" * 31, "not_bytes"),
        (None, "not_bytes"),
        (bytes(31), "wrong_length"),
        (bytes(33), "wrong_length"),
        (Q.to_bytes(32, "little"), "non_canonical"),
        (((1 << 255) - 1).to_bytes(32, "little"), "non_canonical"),
        ((Q | 1 << 255).to_bytes(32, "little"), "non_canonical"),
        (bytes([2]) + bytes(31), "not_on_curve"),
    ],
)
def test_bad_encodings_are_refused_with_a_reason(data: object, reason: str) -> None:
    with pytest.raises(InvalidPoint) as caught:
        Point.from_bytes(data)  # type: ignore[arg-type]
    assert caught.value.reason == reason
    assert isinstance(caught.value, CryptoError)


def test_bytes_like_input_decodes() -> None:
    encoded = GENERATOR_NUMS.to_bytes()
    assert Point.from_bytes(bytearray(encoded)) == GENERATOR_NUMS
    assert Point.from_bytes(memoryview(encoded)) == GENERATOR_NUMS


@pytest.mark.parametrize(("x", "y"), [(Q, 1), (0, Q + 1), (-1, 1), (0, True), (0.0, 1)])
def test_bad_affine_coordinates_are_refused(x: object, y: object) -> None:
    with pytest.raises(InvalidPoint) as caught:
        Point.from_affine(x, y)  # type: ignore[arg-type]
    assert caught.value.reason == "non_canonical"


@pytest.mark.parametrize("scalar", [1.5, True, "3", None])
def test_non_integer_scalars_are_refused(scalar: object) -> None:
    with pytest.raises(InvalidScalar) as caught:
        GENERATOR * scalar  # type: ignore[operator]
    assert caught.value.reason == "not_int"


def test_points_are_immutable() -> None:
    point = Point.identity()
    with pytest.raises(AttributeError):
        point._x = 5
    assert point.is_identity()


def test_scalar_codec() -> None:
    assert scalar_from_bytes((R_J - 1).to_bytes(32, "little")) == R_J - 1
    assert scalar_to_bytes(R_J - 1) == (R_J - 1).to_bytes(32, "little")
    assert check_scalar(0) == 0
    cases: list[tuple[object, str]] = [
        (R_J.to_bytes(32, "little"), "scalar_out_of_range"),
        (bytes(31), "wrong_length"),
        ("00" * 32, "not_bytes"),
    ]
    for data, reason in cases:
        with pytest.raises(InvalidScalar) as caught:
            scalar_from_bytes(data)  # type: ignore[arg-type]
        assert caught.value.reason == reason
    for scalar, reason in [(R_J, "scalar_out_of_range"), (-1, "scalar_out_of_range"), (True, "not_int")]:
        with pytest.raises(InvalidScalar) as caught:
            scalar_to_bytes(scalar)
        assert caught.value.reason == reason


# --- properties ----------------------------------------------------------------------------------

scalars = st.integers(min_value=0, max_value=R_J - 1)
subgroup_points = scalars.map(lambda k: GENERATOR * k)
# Any point of the curve: a subgroup point plus one of the eight torsion points.
curve_points = st.builds(lambda k, i: GENERATOR * k + torsion(i), scalars, st.integers(0, 7))


@given(curve_points, curve_points, curve_points)
def test_addition_is_associative_and_commutative(p: Point, q: Point, r: Point) -> None:
    assert (p + q) + r == p + (q + r)
    assert p + q == q + p
    assert (p + q).is_on_curve()


@given(curve_points)
def test_identity_inverse_and_doubling(p: Point) -> None:
    identity = Point.identity()
    assert p + identity == p
    assert identity + p == p
    assert (p + -p).is_identity()
    assert (p - p).is_identity()
    assert p.double() == p + p
    assert p * 0 == identity
    assert p * 1 == p
    assert p * -1 == -p
    assert p.mul_by_cofactor() == p * COFACTOR


@given(subgroup_points, scalars)
def test_subgroup_order(p: Point, k: int) -> None:
    assert (p * R_J).is_identity()
    assert p.is_torsion_free()
    assert p * (k + R_J) == p * k


@given(curve_points, scalars, scalars)
def test_scalar_multiplication_distributes(p: Point, a: int, b: int) -> None:
    assert p * (a + b) == p * a + p * b
    assert p * (a * b) == (p * a) * b
    assert a * p == p * a


@given(subgroup_points, subgroup_points, scalars)
def test_scalar_multiplication_distributes_over_points(p: Point, q: Point, k: int) -> None:
    assert (p + q) * k == p * k + q * k


@given(curve_points)
def test_encoding_round_trip(p: Point) -> None:
    encoded = p.to_bytes()
    assert len(encoded) == 32
    decoded = Point.from_bytes(encoded, subgroup=False)
    assert decoded == p
    assert decoded.affine() == p.affine()
    assert hash(decoded) == hash(p)
    if p.is_torsion_free():
        assert Point.from_bytes(encoded) == p
    else:
        with pytest.raises(InvalidPoint):
            Point.from_bytes(encoded)


@given(st.binary(min_size=32, max_size=32))
def test_arbitrary_bytes_decode_or_are_refused_with_a_reason(data: bytes) -> None:
    try:
        point = Point.from_bytes(data, subgroup=False)
    except InvalidPoint as error:
        assert error.reason in {"non_canonical", "not_on_curve"}
    else:
        assert point.is_on_curve()
        assert point.to_bytes() == data
