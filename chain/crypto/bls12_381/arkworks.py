"""The production backend: py-arkworks-bls12381 (Rust arkworks), about 1.3 ms per pairing.

All field, curve, hash-to-curve and pairing arithmetic is the library's: ``G1Point``,
``G2Point``, ``Scalar``, ``GT``, ``G2Point.hash_to_curve`` (RFC 9380
BLS12381G2_XMD:SHA-256_SSWU_RO_ with the caller's DST), ``multiexp_unchecked`` and
``GT.pairing_check`` (one shared final exponentiation: each further pair costs about
0.45 ms). This module is glue: it parses bytes, enforces the draft's validity rules and
composes the library calls.

One gap in the library is closed here: arkworks' compressed decoding ignores every bit after
the infinity flag (it accepts ``0xc0 ‖ anything`` and ``0xe0…`` as the identity), which the
ZCash format and the Ethereum ``deserialization_*`` vectors reject. Every decoded point is
therefore re-encoded and compared with its input, which rejects all non-canonical encodings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Final

from py_arkworks_bls12381 import GT, G1Point, G2Point, Scalar

from chain.crypto.bls12_381.abc import BatchTriple, BlsBackendAPI, G2Affine
from chain.crypto.bls12_381.ciphersuite import (
    CIPHERSUITE_ID,
    CURVE_ORDER,
    POP_DST,
    PUBLIC_KEY_LENGTH,
    SIGNATURE_LENGTH,
    compute_batch_scalars,
    compute_keygen,
    compute_secret_scalar,
    is_bytes,
    validate_dst,
    validate_entropy,
)
from chain.crypto.exceptions import CryptoError, InvalidInput, InvalidKey, InvalidSignature
from chain.types.primitives import BlsPublicKey, BlsSecretKey, BlsSignature

# Checked at import: the library's scalar field is the ciphersuite's r.
if not (Scalar(CURVE_ORDER - 1) + Scalar(1)).is_zero():
    raise CryptoError("py-arkworks-bls12381 scalar field differs from r", reason="library_mismatch")

_G1_GENERATOR: Final = G1Point()
_NEG_G1_GENERATOR: Final = -G1Point()
_G1_IDENTITY: Final = G1Point.identity()
_FP_BYTES: Final = 48
_INFINITY_FLAG: Final = 0x40
"""Bit 6 of the first byte of a compressed point: the point at infinity (ZCash format)."""
_X_HIGH_BITS: Final = 0x1F
"""The bits of the first byte that belong to x, below the three flag bits."""


def _is_zero_without_infinity_flag(data: bytes) -> bool:
    """Whether ``data`` has an all-zero x field and no infinity flag (top byte ``0x80``/``0xa0``).

    On G1 this decodes to (0, ±2), a curve point outside the subgroup; py_ecc (the reference)
    and the ``deserialization_fails_infinity_with_false_b_flag`` vectors treat it as a
    malformed encoding of infinity instead. Rejecting it here keeps both backends' ``reason``
    identical.
    """
    return data[0] & _INFINITY_FLAG == 0 and data[0] & _X_HIGH_BITS == 0 and not any(data[1:])


def _decode_g1(data: object) -> G1Point:
    """A canonical compressed G1 point in the subgroup (the identity allowed), or InvalidKey."""
    if not is_bytes(data):
        raise InvalidKey("a public key must be bytes", reason="not_bytes")
    if len(data) != PUBLIC_KEY_LENGTH:
        raise InvalidKey(f"a public key is {PUBLIC_KEY_LENGTH} bytes, got {len(data)}", reason="wrong_length")
    if _is_zero_without_infinity_flag(data):
        raise InvalidKey("x = 0 without the infinity flag", reason="invalid_encoding")
    try:
        point = G1Point.from_compressed_bytes_unchecked(data)
    except ValueError as exc:
        raise InvalidKey(f"not a compressed G1 point: {exc}", reason="invalid_encoding") from exc
    if point.to_compressed_bytes() != data:
        raise InvalidKey("not the canonical encoding of a G1 point", reason="invalid_encoding")
    if not point.is_in_subgroup():
        raise InvalidKey("the point is not in the subgroup G1", reason="not_in_subgroup")
    return point


def _decode_g2(data: object) -> G2Point:
    """A canonical compressed G2 point in the subgroup (the identity allowed), or InvalidSignature."""
    if not is_bytes(data):
        raise InvalidSignature("a signature must be bytes", reason="not_bytes")
    if len(data) != SIGNATURE_LENGTH:
        raise InvalidSignature(
            f"a signature is {SIGNATURE_LENGTH} bytes, got {len(data)}", reason="wrong_length"
        )
    if _is_zero_without_infinity_flag(data):
        raise InvalidSignature("x = 0 without the infinity flag", reason="invalid_encoding")
    try:
        point = G2Point.from_compressed_bytes_unchecked(data)
    except ValueError as exc:
        raise InvalidSignature(f"not a compressed G2 point: {exc}", reason="invalid_encoding") from exc
    if point.to_compressed_bytes() != data:
        raise InvalidSignature("not the canonical encoding of a G2 point", reason="invalid_encoding")
    if not point.is_in_subgroup():
        raise InvalidSignature("the point is not in the subgroup G2", reason="not_in_subgroup")
    return point


#: Public keys already validated (decoded, canonical, in G1, not the identity). Accounts and
#: provisioners sign again and again, so their keys are checked once; bounded in size.
_VALIDATED_KEYS: dict[bytes, G1Point] = {}
_VALIDATED_KEYS_MAX = 100_000


def _decode_validated_key(pk: object) -> G1Point:
    """KeyValidate (draft-05 §2.5) as a decoder: a non-identity point of G1, or InvalidKey."""
    if is_bytes(pk):
        cached = _VALIDATED_KEYS.get(bytes(pk))
        if cached is not None:
            return cached
    point = _decode_g1(pk)
    if point == _G1_IDENTITY:
        raise InvalidKey("the identity is not a public key", reason="infinity")
    if len(_VALIDATED_KEYS) >= _VALIDATED_KEYS_MAX:
        _VALIDATED_KEYS.clear()
    if is_bytes(pk):
        _VALIDATED_KEYS[bytes(pk)] = point
    return point


def _hash(message: bytes, dst: bytes) -> G2Point:
    """hash_to_curve (RFC 9380 §3, suite BLS12381G2_XMD:SHA-256_SSWU_RO_)."""
    return G2Point.hash_to_curve(message, dst)


def _core_sign(scalar: int, message: bytes, dst: bytes) -> BlsSignature:
    """CoreSign (draft-05 §2.6): SK·H(message)."""
    return BlsSignature((_hash(message, dst) * Scalar(scalar)).to_compressed_bytes())


def _core_verify(pk: object, message: object, signature: object, dst: bytes) -> bool:
    """CoreVerify (draft-05 §2.7): e(PK, H(m)) · e(−G1, sig) == 1, False on invalid input."""
    if not is_bytes(message):
        return False
    try:
        pk_point = _decode_validated_key(pk)
        signature_point = _decode_g2(signature)
    except CryptoError:
        return False
    return GT.pairing_check([pk_point, _NEG_G1_GENERATOR], [_hash(message, dst), signature_point])


def _decode_keys(pks: Sequence[BlsPublicKey]) -> list[G1Point] | None:
    """Every key through KeyValidate, or None if any fails or there are none."""
    if len(pks) == 0:
        return None
    try:
        return [_decode_validated_key(pk) for pk in pks]
    except CryptoError:
        return None


class ArkworksBackend(BlsBackendAPI):
    """The ciphersuite on py-arkworks-bls12381 (see :mod:`chain.crypto.bls12_381`)."""

    name: ClassVar[str] = "arkworks"

    def KeyGen(self, ikm: bytes, key_info: bytes = b"") -> BlsSecretKey:
        return compute_keygen(ikm, key_info)

    def SkToPk(self, sk: BlsSecretKey) -> BlsPublicKey:
        return BlsPublicKey((_G1_GENERATOR * Scalar(compute_secret_scalar(sk))).to_compressed_bytes())

    def KeyValidate(self, pk: BlsPublicKey) -> bool:
        try:
            _decode_validated_key(pk)
        except CryptoError:
            return False
        return True

    def Sign(self, sk: BlsSecretKey, message: bytes) -> BlsSignature:
        scalar = compute_secret_scalar(sk)
        if not is_bytes(message):
            raise InvalidInput("a message must be bytes", reason="not_bytes")
        return _core_sign(scalar, message, CIPHERSUITE_ID)

    def Verify(self, pk: BlsPublicKey, message: bytes, signature: BlsSignature) -> bool:
        return _core_verify(pk, message, signature, CIPHERSUITE_ID)

    def Aggregate(self, signatures: Sequence[BlsSignature]) -> BlsSignature:
        if len(signatures) == 0:
            raise InvalidInput("Aggregate needs at least one signature", reason="empty")
        points = [_decode_g2(signature) for signature in signatures]
        total = points[0]
        for point in points[1:]:
            total = total + point
        return BlsSignature(total.to_compressed_bytes())

    def AggregatePKs(self, pks: Sequence[BlsPublicKey]) -> BlsPublicKey:
        if len(pks) == 0:
            raise InvalidInput("AggregatePKs needs at least one public key", reason="empty")
        points = [_decode_validated_key(pk) for pk in pks]
        total = points[0]
        for point in points[1:]:
            total = total + point
        return BlsPublicKey(total.to_compressed_bytes())

    def FastAggregateVerify(
        self, pks: Sequence[BlsPublicKey], message: bytes, signature: BlsSignature
    ) -> bool:
        points = _decode_keys(pks)
        if points is None or not is_bytes(message):
            return False
        total = points[0]
        for point in points[1:]:
            total = total + point
        # CoreVerify on the aggregate key runs KeyValidate on it: an identity sum is invalid.
        if total == _G1_IDENTITY:
            return False
        try:
            signature_point = _decode_g2(signature)
        except CryptoError:
            return False
        return GT.pairing_check([total, _NEG_G1_GENERATOR], [_hash(message, CIPHERSUITE_ID), signature_point])

    def AggregateVerify(
        self, pks: Sequence[BlsPublicKey], messages: Sequence[bytes], signature: BlsSignature
    ) -> bool:
        if len(pks) != len(messages) or not all(is_bytes(message) for message in messages):
            return False
        points = _decode_keys(pks)
        if points is None:
            return False
        try:
            signature_point = _decode_g2(signature)
        except CryptoError:
            return False
        hashes = [_hash(message, CIPHERSUITE_ID) for message in messages]
        return GT.pairing_check([*points, _NEG_G1_GENERATOR], [*hashes, signature_point])

    def PopProve(self, sk: BlsSecretKey) -> BlsSignature:
        pk = self.SkToPk(sk)
        return _core_sign(compute_secret_scalar(sk), pk, POP_DST)

    def PopVerify(self, pk: BlsPublicKey, proof: BlsSignature) -> bool:
        return _core_verify(pk, pk, proof, POP_DST)

    def batch_verify(self, triples: Sequence[BatchTriple], *, entropy: bytes) -> bool:
        validate_entropy(entropy)
        if len(triples) == 0:
            return False
        pk_points: list[G1Point] = []
        signature_points: list[G2Point] = []
        for pk, message, signature in triples:
            if not is_bytes(message):
                return False
            try:
                pk_points.append(_decode_validated_key(pk))
                signature_points.append(_decode_g2(signature))
            except CryptoError:
                return False
        scalars = [Scalar(r) for r in compute_batch_scalars(triples, entropy)]
        # Group by message: Σ_{i: m_i = m} r_i·pk_i needs one pairing with H(m) per distinct m.
        groups: dict[bytes, list[int]] = {}
        for index, (_, message, _) in enumerate(triples):
            groups.setdefault(message, []).append(index)
        g1_points: list[G1Point] = []
        g2_points: list[G2Point] = []
        for message, indices in groups.items():
            if len(indices) == 1:
                g1_points.append(pk_points[indices[0]] * scalars[indices[0]])
            else:
                g1_points.append(
                    G1Point.multiexp_unchecked([pk_points[i] for i in indices], [scalars[i] for i in indices])
                )
            g2_points.append(_hash(message, CIPHERSUITE_ID))
        # e(−G1, Σ r_i·sig_i) · Π_m e(Σ r_i·pk_i, H(m)) == 1
        g1_points.append(_NEG_G1_GENERATOR)
        g2_points.append(G2Point.multiexp_unchecked(signature_points, scalars))
        return GT.pairing_check(g1_points, g2_points)

    def bytes_to_public_key(self, data: bytes) -> BlsPublicKey:
        _decode_g1(data)
        return BlsPublicKey(data)

    def bytes_to_signature(self, data: bytes) -> BlsSignature:
        _decode_g2(data)
        return BlsSignature(data)

    def hash_to_G2(self, message: bytes, dst: bytes) -> G2Affine:
        validate_dst(dst)
        if not is_bytes(message):
            raise InvalidInput("a message must be bytes", reason="not_bytes")
        xy = _hash(message, dst).to_xy_bytes_be()  # x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1, 48 bytes each
        x0, x1, y0, y1 = (
            int.from_bytes(xy[offset : offset + _FP_BYTES], "big")
            for offset in range(0, 4 * _FP_BYTES, _FP_BYTES)
        )
        return G2Affine(x=(x0, x1), y=(y0, y1))
