"""Groth16 verification over BLS12-381, on py-arkworks-bls12381 (issue 17, item 5).

Gloam's proofs are Groth16 (Groth, "On the Size of Pairing-based Non-interactive Arguments",
EUROCRYPT 2016), made by snarkjs 0.7.6 from circom 2 circuits compiled with
``--prime bls12381``: a recorded deviation from Dusk's PlonK (docs/zk.md, "Proofs"). This
module is the verifying half of the one proof-system interface, ``verify(vk, public_inputs,
proof)``; proving happens outside the chain (snarkjs), and a PlonK backend could replace both
behind the same call. The chain never needs Node.js.

The check (snarkjs's ``groth16 verify``, same equation)::

    e(A, B) = e(α, β) · e(Σ xᵢ·ICᵢ, γ) · e(C, δ)     with x₀ = 1

evaluated as ``e(A, B) · e(−L, γ) · e(−C, δ) == e(α, β)`` with ``L = Σ xᵢ·ICᵢ`` (one
multi-scalar multiplication): three Miller loops and one final exponentiation
(``GT.multi_pairing``) compared with ``e(α, β)``, which the key computes once when it is decoded
(a fourth Miller loop per proof saved: about 1 ms of 6, bench/bench_groth16.py).

Byte encodings (the chain's; defined here; points are ZCash-style compressed, big-endian,
flags in the top three bits of the first byte, as the BLS signatures of this package):

* **proof**, 192 bytes: ``A`` (G1, 48) ‖ ``B`` (G2, 96) ‖ ``C`` (G1, 48).
* **public inputs**, ``32·n`` bytes: each input a scalar of the BLS12-381 scalar field,
  32 bytes little-endian (the chain's integer order, Dusk's ``BlsScalar``), each < r. Order
  is snarkjs's ``public.json``: the circuit's outputs, then its public inputs.
* **verification key**, ``340 + 48·(n+1)`` bytes: ``α`` (G1, 48) ‖ ``β`` (G2, 96) ‖
  ``γ`` (G2, 96) ‖ ``δ`` (G2, 96) ‖ ``n`` (u32 little-endian, the number of public inputs) ‖
  ``IC₀ … ICₙ`` (G1, 48 each).

Every point is decoded canonically (a non-canonical encoding is refused, not normalised) and
checked on the curve and in the prime-order subgroup; α, β, γ and δ may not be the identity.
The converters from snarkjs's JSON (decimal affine coordinates) produce these bytes.

Errors: every refusal is a :class:`~chain.crypto.exceptions.ProofRefused` with a ``reason``
(listed there); no other exception leaves this module for any input, which a test checks on
10,000 random byte strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, TypeVar

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from chain.crypto.bls12_381.ciphersuite import CURVE_ORDER
from chain.crypto.exceptions import (
    InvalidProofPoint,
    InvalidPublicInputs,
    MalformedProofData,
    ProofCheckFailed,
)
from chain.crypto.hashes import blake2b_256
from chain.types.primitives import Hash32

__all__ = [
    "FIELD_MODULUS",
    "G1_LENGTH",
    "G2_LENGTH",
    "PROOF_LENGTH",
    "PUBLIC_INPUT_LENGTH",
    "VK_ID_DOMAIN",
    "VerifyingKey",
    "compute_vk_id",
    "decode_proof",
    "decode_public_inputs",
    "decode_verifying_key",
    "encode_public_inputs",
    "proof_from_snarkjs",
    "public_inputs_from_snarkjs",
    "verify",
    "verifying_key_from_snarkjs",
    "verifying_key_length",
]

FIELD_MODULUS: Final = int(
    "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab",
    16,
)
"""p, the base field of BLS12-381 (RFC 9380 §8.8.1): every coordinate is < p."""

G1_LENGTH: Final = 48
"""Bytes of a compressed G1 point."""

G2_LENGTH: Final = 96
"""Bytes of a compressed G2 point (x.c1 ‖ x.c0, flags on x.c1)."""

PROOF_LENGTH: Final = G1_LENGTH + G2_LENGTH + G1_LENGTH
"""192: A ‖ B ‖ C."""

PUBLIC_INPUT_LENGTH: Final = 32
"""Bytes of one public input (a scalar, little-endian)."""

MAX_PUBLIC_INPUTS: Final = 1024
"""The most public inputs a verification key may declare; Gloam's circuits have a handful."""

VK_ID_DOMAIN: Final = b"GLOAM-GROTH16-VK-V1"
"""Domain tag of a verification key's registry id (:func:`compute_vk_id`)."""

_VK_FIXED_LENGTH: Final = G1_LENGTH + 3 * G2_LENGTH + 4
"""340: α ‖ β ‖ γ ‖ δ ‖ n, before the IC points."""

_COMPRESSED_FLAG: Final = 0x80
_INFINITY_FLAG: Final = 0x40
_SIGN_FLAG: Final = 0x20
_FLAG_MASK: Final = 0xE0
_P = TypeVar("_P", G1Point, G2Point)
_DECIMAL: Final = re.compile(r"[0-9]{1,120}")
"""A snarkjs decimal coordinate or scalar: digits only, no sign, spaces or underscores."""


@dataclass(frozen=True, slots=True)
class VerifyingKey:
    """A decoded, validated Groth16 verification key.

    ``ic`` has ``n_public + 1`` points; ``encoded`` is the canonical byte form it was
    decoded from (:func:`decode_verifying_key`); ``alpha_beta`` is ``e(α, β)``, computed once
    at decoding.
    """

    alpha: G1Point
    beta: G2Point
    gamma: G2Point
    delta: G2Point
    ic: tuple[G1Point, ...]
    encoded: bytes
    alpha_beta: GT

    @property
    def n_public(self) -> int:
        """How many public inputs a proof for this key has."""
        return len(self.ic) - 1


def _require_bytes(data: object, what: str) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedProofData(f"{what} must be bytes, got {type(data).__name__}", reason="not_bytes")
    return bytes(data)


def _check_compressed_header(data: bytes, what: str) -> bool:
    """Validate the flag bits of a compressed point; return whether it encodes the identity."""
    first = data[0]
    if not first & _COMPRESSED_FLAG:
        raise MalformedProofData(f"{what}: the compression flag is not set", reason="invalid_encoding")
    if first & _INFINITY_FLAG:
        if first & _SIGN_FLAG or first & ~_FLAG_MASK or any(data[1:]):
            raise MalformedProofData(
                f"{what}: the identity must be 0xc0 followed by zeros", reason="invalid_encoding"
            )
        return True
    return False


def _check_coordinate(value: int, what: str) -> None:
    if value >= FIELD_MODULUS:
        raise MalformedProofData(f"{what}: a coordinate is ≥ p", reason="coordinate_out_of_range")


def _decode_g1(data: bytes, what: str) -> G1Point:
    """A compressed G1 point (identity allowed), canonical, on the curve, in the subgroup."""
    if len(data) != G1_LENGTH:
        raise MalformedProofData(f"{what}: a G1 point is {G1_LENGTH} bytes", reason="wrong_length")
    if _check_compressed_header(data, what):
        return G1Point.identity()
    _check_coordinate(int.from_bytes(data, "big") & ~(_FLAG_MASK << 376), what)
    try:
        point = G1Point.from_compressed_bytes_unchecked(data)
    except ValueError as exc:
        raise InvalidProofPoint(
            f"{what}: x is not the abscissa of a G1 point", reason="not_on_curve"
        ) from exc
    return _check_decoded(point, data, what)


def _decode_g2(data: bytes, what: str) -> G2Point:
    """A compressed G2 point (identity allowed), canonical, on the curve, in the subgroup."""
    if len(data) != G2_LENGTH:
        raise MalformedProofData(f"{what}: a G2 point is {G2_LENGTH} bytes", reason="wrong_length")
    if _check_compressed_header(data, what):
        return G2Point.identity()
    _check_coordinate(int.from_bytes(data[:48], "big") & ~(_FLAG_MASK << 376), what)
    _check_coordinate(int.from_bytes(data[48:], "big"), what)
    try:
        point = G2Point.from_compressed_bytes_unchecked(data)
    except ValueError as exc:
        raise InvalidProofPoint(
            f"{what}: x is not the abscissa of a G2 point", reason="not_on_curve"
        ) from exc
    return _check_decoded(point, data, what)


def _check_decoded(point: _P, data: bytes, what: str) -> _P:
    # Flags and coordinates were checked above, so the library's encoding is ours; the
    # comparison keeps a library change from making two encodings of one point acceptable.
    if point.to_compressed_bytes() != data:
        raise MalformedProofData(f"{what}: not the canonical encoding", reason="invalid_encoding")
    if not point.is_in_subgroup():
        raise InvalidProofPoint(
            f"{what}: the point is not in the prime-order subgroup", reason="not_in_subgroup"
        )
    return point


def compute_vk_id(vk: bytes) -> Hash32:
    """``BLAKE2b-256(VK_ID_DOMAIN ‖ vk)``: the 32-byte registry id of the key bytes ``vk``
    (not decoded; docs/zk.md, "Verification in the chain"). BLAKE2b-256 as every id of the
    chain (DESIGN.md, "Hashes"); the tag keeps it apart from ids over the same bytes."""
    return blake2b_256(VK_ID_DOMAIN + bytes(vk))


def verifying_key_length(n_public: int) -> int:
    """Bytes of a verification key for ``n_public`` public inputs: ``340 + 48·(n_public + 1)``."""
    return _VK_FIXED_LENGTH + G1_LENGTH * (n_public + 1)


def decode_verifying_key(data: object) -> VerifyingKey:
    """Decode and validate a verification key (layout in the module docstring).

    Raises
    ------
    MalformedProofData
        ``not_bytes``, ``wrong_length`` (including a count that disagrees with the length or
        exceeds :data:`MAX_PUBLIC_INPUTS`), ``invalid_encoding``, ``coordinate_out_of_range``.
    InvalidProofPoint
        ``not_on_curve``, ``not_in_subgroup``, ``infinity`` (α, β, γ or δ the identity).
    """
    raw = _require_bytes(data, "a verification key")
    if len(raw) < _VK_FIXED_LENGTH + G1_LENGTH:
        raise MalformedProofData(
            f"a verification key is at least {_VK_FIXED_LENGTH + G1_LENGTH} bytes, got {len(raw)}",
            reason="wrong_length",
        )
    n_public = int.from_bytes(raw[_VK_FIXED_LENGTH - 4 : _VK_FIXED_LENGTH], "little")
    if n_public > MAX_PUBLIC_INPUTS:
        raise MalformedProofData(
            f"a verification key declares {n_public} public inputs, at most {MAX_PUBLIC_INPUTS}",
            reason="wrong_length",
        )
    expected = verifying_key_length(n_public)
    if len(raw) != expected:
        raise MalformedProofData(
            f"a verification key with {n_public} public inputs is {expected} bytes, got {len(raw)}",
            reason="wrong_length",
        )
    alpha = _decode_g1(raw[0:48], "vk.alpha")
    beta = _decode_g2(raw[48:144], "vk.beta")
    gamma = _decode_g2(raw[144:240], "vk.gamma")
    delta = _decode_g2(raw[240:336], "vk.delta")
    for name, is_identity in (
        ("alpha", alpha == G1Point.identity()),
        ("beta", beta == G2Point.identity()),
        ("gamma", gamma == G2Point.identity()),
        ("delta", delta == G2Point.identity()),
    ):
        if is_identity:
            raise InvalidProofPoint(f"vk.{name} is the identity", reason="infinity")
    ic = tuple(
        _decode_g1(raw[offset : offset + G1_LENGTH], f"vk.ic[{index}]")
        for index, offset in enumerate(range(_VK_FIXED_LENGTH, len(raw), G1_LENGTH))
    )
    return VerifyingKey(
        alpha=alpha,
        beta=beta,
        gamma=gamma,
        delta=delta,
        ic=ic,
        encoded=raw,
        alpha_beta=GT.pairing(alpha, beta),
    )


def decode_proof(data: object) -> tuple[G1Point, G2Point, G1Point]:
    """Decode and validate a 192-byte proof into ``(A, B, C)``.

    Raises :class:`MalformedProofData` (``not_bytes``, ``wrong_length``, ``invalid_encoding``,
    ``coordinate_out_of_range``) or :class:`InvalidProofPoint` (``not_on_curve``,
    ``not_in_subgroup``).
    """
    raw = _require_bytes(data, "a proof")
    if len(raw) != PROOF_LENGTH:
        raise MalformedProofData(f"a proof is {PROOF_LENGTH} bytes, got {len(raw)}", reason="wrong_length")
    return (
        _decode_g1(raw[0:48], "proof.A"),
        _decode_g2(raw[48:144], "proof.B"),
        _decode_g1(raw[144:192], "proof.C"),
    )


def decode_public_inputs(data: object) -> tuple[int, ...]:
    """Decode ``32·n`` bytes into ``n`` scalars (little-endian, each < r).

    Raises :class:`MalformedProofData` (``not_bytes``, ``wrong_length``: not a multiple of
    32) or :class:`InvalidPublicInputs` (``public_input_out_of_range``).
    """
    raw = _require_bytes(data, "public inputs")
    if len(raw) % PUBLIC_INPUT_LENGTH:
        raise MalformedProofData(
            f"public inputs are a multiple of {PUBLIC_INPUT_LENGTH} bytes, got {len(raw)}",
            reason="wrong_length",
        )
    values = tuple(
        int.from_bytes(raw[offset : offset + PUBLIC_INPUT_LENGTH], "little")
        for offset in range(0, len(raw), PUBLIC_INPUT_LENGTH)
    )
    for index, value in enumerate(values):
        if value >= CURVE_ORDER:
            raise InvalidPublicInputs(f"public input {index} is ≥ r", reason="public_input_out_of_range")
    return values


def encode_public_inputs(values: tuple[int, ...] | list[int]) -> bytes:
    """The byte form of scalars in ``[0, r)``; :class:`InvalidPublicInputs` otherwise."""
    for index, value in enumerate(values):
        if not isinstance(value, int) or not 0 <= value < CURVE_ORDER:
            raise InvalidPublicInputs(
                f"public input {index} is not an integer in [0, r)", reason="public_input_out_of_range"
            )
    return b"".join(value.to_bytes(PUBLIC_INPUT_LENGTH, "little") for value in values)


def verify(vk: VerifyingKey | bytes, public_inputs: bytes, proof: bytes) -> None:
    """Verify a Groth16 proof; return ``None`` if it holds, raise a refusal otherwise.

    Parameters
    ----------
    vk
        A :class:`VerifyingKey` (decode once, verify many) or its bytes.
    public_inputs
        ``32·n`` bytes, ``n = vk.n_public`` (module docstring).
    proof
        192 bytes, A ‖ B ‖ C.

    Raises
    ------
    MalformedProofData, InvalidProofPoint
        From decoding the key or the proof.
    InvalidPublicInputs
        ``wrong_public_input_count`` or ``public_input_out_of_range``.
    ProofCheckFailed
        ``pairing_check_failed``: the equation does not hold.
    """
    key = vk if isinstance(vk, VerifyingKey) else decode_verifying_key(vk)
    inputs = decode_public_inputs(public_inputs)
    if len(inputs) != key.n_public:
        raise InvalidPublicInputs(
            f"the key takes {key.n_public} public inputs, got {len(inputs)}",
            reason="wrong_public_input_count",
        )
    a, b, c = decode_proof(proof)
    accumulated = key.ic[0]
    if inputs:
        accumulated = accumulated + G1Point.multiexp_unchecked(
            list(key.ic[1:]), [Scalar(value) for value in inputs]
        )
    if GT.multi_pairing([a, -accumulated, -c], [b, key.gamma, key.delta]) != key.alpha_beta:
        raise ProofCheckFailed("the Groth16 pairing equation does not hold", reason="pairing_check_failed")


# snarkjs JSON (decimal affine coordinates, projective z = 1, or [0, 1, 0] for the identity)


def _decimal(value: object, what: str) -> int:
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise MalformedProofData(f"{what}: expected a decimal string", reason="invalid_json")
    return int(value)


def _g1_from_json(value: object, what: str) -> bytes:
    if not isinstance(value, list) or len(value) != 3:
        raise MalformedProofData(f"{what}: expected [x, y, z]", reason="invalid_json")
    x, y, z = (_decimal(item, what) for item in value)
    if z == 0:
        return _canonical_g1(G1Point.identity(), what)
    if z != 1:
        raise MalformedProofData(f"{what}: expected affine coordinates (z = 1)", reason="invalid_json")
    _check_coordinate(x, what)
    _check_coordinate(y, what)
    try:
        point = G1Point.from_xy_bytes_unchecked_be(x.to_bytes(48, "big") + y.to_bytes(48, "big"))
    except ValueError as exc:
        raise InvalidProofPoint(f"{what}: (x, y) is not on the curve", reason="not_on_curve") from exc
    return _canonical_g1(point, what)


def _canonical_g1(point: G1Point, what: str) -> bytes:
    encoded = bytes(point.to_compressed_bytes())
    _decode_g1(encoded, what)
    return encoded


def _g2_from_json(value: object, what: str) -> bytes:
    if (
        not isinstance(value, list)
        or len(value) != 3
        or not all(isinstance(pair, list) and len(pair) == 2 for pair in value)
    ):
        raise MalformedProofData(f"{what}: expected [[x0, x1], [y0, y1], [z0, z1]]", reason="invalid_json")
    (x0, x1), (y0, y1), (z0, z1) = ((_decimal(a, what), _decimal(b, what)) for a, b in value)
    if (z0, z1) == (0, 0):
        encoded = bytes(G2Point.identity().to_compressed_bytes())
    elif (z0, z1) != (1, 0):
        raise MalformedProofData(f"{what}: expected affine coordinates (z = 1)", reason="invalid_json")
    else:
        for coordinate in (x0, x1, y0, y1):
            _check_coordinate(coordinate, what)
        xy = b"".join(coordinate.to_bytes(48, "big") for coordinate in (x0, x1, y0, y1))
        try:
            point = G2Point.from_xy_bytes_unchecked_be(xy)
        except ValueError as exc:
            raise InvalidProofPoint(f"{what}: (x, y) is not on the curve", reason="not_on_curve") from exc
        encoded = bytes(point.to_compressed_bytes())
    _decode_g2(encoded, what)
    return encoded


def _json_object(value: object, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise MalformedProofData(f"{what}: expected a JSON object", reason="invalid_json")
    if value.get("protocol") != "groth16" or value.get("curve") != "bls12381":
        raise MalformedProofData(
            f"{what}: expected protocol groth16 on curve bls12381", reason="invalid_json"
        )
    return value


def verifying_key_from_snarkjs(value: object) -> bytes:
    """The bytes of a snarkjs ``verification_key.json`` (already parsed), validated.

    Raises :class:`MalformedProofData` (``invalid_json``, ``coordinate_out_of_range``,
    ``wrong_length``) or :class:`InvalidProofPoint`.
    """
    obj = _json_object(value, "verification key")
    ic = obj.get("IC")
    n_public = obj.get("nPublic")
    if not isinstance(ic, list) or not isinstance(n_public, int) or len(ic) != n_public + 1:
        raise MalformedProofData("verification key: IC must have nPublic + 1 points", reason="invalid_json")
    encoded = (
        _g1_from_json(obj.get("vk_alpha_1"), "vk_alpha_1")
        + _g2_from_json(obj.get("vk_beta_2"), "vk_beta_2")
        + _g2_from_json(obj.get("vk_gamma_2"), "vk_gamma_2")
        + _g2_from_json(obj.get("vk_delta_2"), "vk_delta_2")
        + n_public.to_bytes(4, "little")
        + b"".join(_g1_from_json(point, f"IC[{index}]") for index, point in enumerate(ic))
    )
    decode_verifying_key(encoded)
    return encoded


def proof_from_snarkjs(value: object) -> bytes:
    """The 192 bytes of a snarkjs ``proof.json`` (already parsed), validated."""
    obj = _json_object(value, "proof")
    return (
        _g1_from_json(obj.get("pi_a"), "pi_a")
        + _g2_from_json(obj.get("pi_b"), "pi_b")
        + _g1_from_json(obj.get("pi_c"), "pi_c")
    )


def public_inputs_from_snarkjs(value: object) -> bytes:
    """The bytes of a snarkjs ``public.json`` (a list of decimal strings), validated."""
    if not isinstance(value, list):
        raise MalformedProofData("public inputs: expected a JSON list", reason="invalid_json")
    scalars = [_decimal(item, f"public input {index}") for index, item in enumerate(value)]
    return encode_public_inputs(scalars)
