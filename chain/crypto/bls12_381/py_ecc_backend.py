"""The readable reference backend: py_ecc (pure Python), about 0.25 s per pairing.

The IETF functions delegate to py_ecc's own ``G2ProofOfPossession`` ciphersuite
(``py_ecc/bls/ciphersuites.py``), so this backend is an independent implementation of
everything the arkworks backend computes, and the tests run the same assertions over both.
The glue here only converts between the facade's types and py_ecc's (secret keys are 32-byte
strings here and ``int`` there), raises the facade's typed errors, and adds what py_ecc does
not offer as one call: the ``bytes_to_*`` decoders (py_ecc decompression, re-encoding
check, ``subgroup_check``) and ``batch_verify`` (written with py_ecc's optimized curve and
pairing functions, the same equation as the arkworks backend).

Measured on the CI-class machine (one core): a Miller loop ≈ 0.08 s, a final exponentiation
≈ 0.15 s, hash_to_G2 ≈ 0.27 s, a G2 subgroup check ≈ 0.1 s; one ``Verify`` ≈ 0.5–0.7 s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from hashlib import sha256
from typing import ClassVar, Final

from eth_typing import BLSPubkey, BLSSignature
from eth_utils import ValidationError
from py_ecc.bls import G2ProofOfPossession
from py_ecc.bls.g2_primitives import (
    G1_to_pubkey,
    G2_to_signature,
    pubkey_to_G1,
    signature_to_G2,
    subgroup_check,
)
from py_ecc.bls.hash_to_curve import hash_to_G2 as _py_ecc_hash_to_G2
from py_ecc.bls.typing import G1Uncompressed, G2Uncompressed
from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
from py_ecc.optimized_bls12_381 import (
    G1,
    Z1,
    Z2,
    add,
    curve_order,
    final_exponentiate,
    is_inf,
    multiply,
    neg,
    normalize,
    pairing,
)

from chain.crypto.bls12_381.abc import BatchTriple, BlsBackendAPI, G2Affine
from chain.crypto.bls12_381.ciphersuite import (
    CIPHERSUITE_ID,
    CURVE_ORDER,
    PUBLIC_KEY_LENGTH,
    SIGNATURE_LENGTH,
    compute_batch_scalars,
    compute_secret_key,
    compute_secret_scalar,
    is_bytes,
    validate_dst,
    validate_entropy,
    validate_ikm,
)
from chain.crypto.exceptions import CryptoError, InvalidInput, InvalidKey, InvalidSignature
from chain.types.primitives import BlsPublicKey, BlsSecretKey, BlsSignature

# Checked at import: py_ecc's group order is the ciphersuite's r, and its DST is ours.
if curve_order != CURVE_ORDER or G2ProofOfPossession.DST != CIPHERSUITE_ID:
    raise CryptoError("py_ecc's BLS12-381 parameters differ from the ciphersuite", reason="library_mismatch")

_Suite: Final = G2ProofOfPossession
_DECODE_ERRORS: Final = (ValidationError, ValueError, AssertionError, TypeError, IndexError)
"""What py_ecc raises on bad points (it uses ``assert`` in places; we never do)."""


def _quietly(check: Callable[[], bool]) -> bool:
    """Run a py_ecc verification; anything it raises on malformed input means False."""
    try:
        return bool(check())
    except _DECODE_ERRORS:
        return False


def _decode_g1(data: object) -> G1Uncompressed:
    """A canonical compressed G1 point in the subgroup (the identity allowed), or InvalidKey."""
    if not is_bytes(data):
        raise InvalidKey("a public key must be bytes", reason="not_bytes")
    if len(data) != PUBLIC_KEY_LENGTH:
        raise InvalidKey(f"a public key is {PUBLIC_KEY_LENGTH} bytes, got {len(data)}", reason="wrong_length")
    try:
        point = pubkey_to_G1(BLSPubkey(data))
    except _DECODE_ERRORS as exc:
        raise InvalidKey(f"not a compressed G1 point: {exc}", reason="invalid_encoding") from exc
    if G1_to_pubkey(point) != data:
        raise InvalidKey("not the canonical encoding of a G1 point", reason="invalid_encoding")
    if not subgroup_check(point):
        raise InvalidKey("the point is not in the subgroup G1", reason="not_in_subgroup")
    return point


def _decode_g2(data: object) -> G2Uncompressed:
    """A canonical compressed G2 point in the subgroup (the identity allowed), or InvalidSignature."""
    if not is_bytes(data):
        raise InvalidSignature("a signature must be bytes", reason="not_bytes")
    if len(data) != SIGNATURE_LENGTH:
        raise InvalidSignature(
            f"a signature is {SIGNATURE_LENGTH} bytes, got {len(data)}", reason="wrong_length"
        )
    try:
        point = signature_to_G2(BLSSignature(data))
    except _DECODE_ERRORS as exc:
        raise InvalidSignature(f"not a compressed G2 point: {exc}", reason="invalid_encoding") from exc
    if G2_to_signature(point) != data:
        raise InvalidSignature("not the canonical encoding of a G2 point", reason="invalid_encoding")
    if not subgroup_check(point):
        raise InvalidSignature("the point is not in the subgroup G2", reason="not_in_subgroup")
    return point


def _decode_validated_key(pk: object) -> G1Uncompressed:
    """KeyValidate (draft-05 §2.5) as a decoder: a non-identity point of G1, or InvalidKey."""
    point = _decode_g1(pk)
    if is_inf(point):
        raise InvalidKey("the identity is not a public key", reason="infinity")
    return point


def _hash(message: bytes, dst: bytes) -> G2Uncompressed:
    """py_ecc's hash_to_G2 (RFC 9380 suite BLS12381G2_XMD:SHA-256_SSWU_RO_)."""
    return _py_ecc_hash_to_G2(message, dst, sha256)  # type: ignore[arg-type]  # py_ecc hints _hashlib.HASH


class PyEccBackend(BlsBackendAPI):
    """The ciphersuite on py_ecc (see :mod:`chain.crypto.bls12_381`)."""

    name: ClassVar[str] = "py_ecc"

    def KeyGen(self, ikm: bytes, key_info: bytes = b"") -> BlsSecretKey:
        validate_ikm(ikm, key_info)
        return compute_secret_key(_Suite.KeyGen(ikm, key_info))

    def SkToPk(self, sk: BlsSecretKey) -> BlsPublicKey:
        return BlsPublicKey(_Suite.SkToPk(compute_secret_scalar(sk)))

    def KeyValidate(self, pk: BlsPublicKey) -> bool:
        if not (is_bytes(pk) and len(pk) == PUBLIC_KEY_LENGTH):
            return False
        return _quietly(lambda: _Suite.KeyValidate(BLSPubkey(pk)))

    def Sign(self, sk: BlsSecretKey, message: bytes) -> BlsSignature:
        scalar = compute_secret_scalar(sk)
        if not is_bytes(message):
            raise InvalidInput("a message must be bytes", reason="not_bytes")
        return BlsSignature(_Suite.Sign(scalar, message))

    def Verify(self, pk: BlsPublicKey, message: bytes, signature: BlsSignature) -> bool:
        if not (is_bytes(pk) and is_bytes(message) and is_bytes(signature)):
            return False
        return _quietly(lambda: _Suite.Verify(BLSPubkey(pk), message, BLSSignature(signature)))

    def Aggregate(self, signatures: Sequence[BlsSignature]) -> BlsSignature:
        if len(signatures) == 0:
            raise InvalidInput("Aggregate needs at least one signature", reason="empty")
        for signature in signatures:
            _decode_g2(signature)  # py_ecc's Aggregate does not check the subgroup
        return BlsSignature(_Suite.Aggregate([BLSSignature(signature) for signature in signatures]))

    def AggregatePKs(self, pks: Sequence[BlsPublicKey]) -> BlsPublicKey:
        if len(pks) == 0:
            raise InvalidInput("AggregatePKs needs at least one public key", reason="empty")
        total = Z1
        for pk in pks:
            total = add(total, _decode_validated_key(pk))
        return BlsPublicKey(G1_to_pubkey(total))

    def FastAggregateVerify(
        self, pks: Sequence[BlsPublicKey], message: bytes, signature: BlsSignature
    ) -> bool:
        if not (all(is_bytes(pk) for pk in pks) and is_bytes(message) and is_bytes(signature)):
            return False
        return _quietly(
            lambda: _Suite.FastAggregateVerify(
                [BLSPubkey(pk) for pk in pks], message, BLSSignature(signature)
            )
        )

    def AggregateVerify(
        self, pks: Sequence[BlsPublicKey], messages: Sequence[bytes], signature: BlsSignature
    ) -> bool:
        if not (
            all(is_bytes(pk) for pk in pks)
            and all(is_bytes(message) for message in messages)
            and is_bytes(signature)
        ):
            return False
        return _quietly(
            lambda: _Suite.AggregateVerify(
                [BLSPubkey(pk) for pk in pks], list(messages), BLSSignature(signature)
            )
        )

    def PopProve(self, sk: BlsSecretKey) -> BlsSignature:
        return BlsSignature(_Suite.PopProve(compute_secret_scalar(sk)))

    def PopVerify(self, pk: BlsPublicKey, proof: BlsSignature) -> bool:
        if not (is_bytes(pk) and is_bytes(proof)):
            return False
        return _quietly(lambda: _Suite.PopVerify(BLSPubkey(pk), BLSSignature(proof)))

    def batch_verify(self, triples: Sequence[BatchTriple], *, entropy: bytes) -> bool:
        validate_entropy(entropy)
        if len(triples) == 0:
            return False
        pk_points: list[G1Uncompressed] = []
        signature_points: list[G2Uncompressed] = []
        for pk, message, signature in triples:
            if not is_bytes(message):
                return False
            try:
                pk_points.append(_decode_validated_key(pk))
                signature_points.append(_decode_g2(signature))
            except CryptoError:
                return False
        scalars = compute_batch_scalars(triples, entropy)
        groups: dict[bytes, list[int]] = {}
        for index, (_, message, _) in enumerate(triples):
            groups.setdefault(message, []).append(index)
        # Π_m e(Σ_{i: m_i = m} r_i·pk_i, H(m)) · e(−G1, Σ r_i·sig_i), one final exponentiation.
        product = FQ12.one()
        for message, indices in groups.items():
            key_sum = Z1
            for i in indices:
                key_sum = add(key_sum, multiply(pk_points[i], scalars[i]))
            product *= pairing(_hash(message, CIPHERSUITE_ID), key_sum, final_exponentiate=False)
        signature_sum = Z2
        for point, scalar in zip(signature_points, scalars, strict=True):
            signature_sum = add(signature_sum, multiply(point, scalar))
        product *= pairing(signature_sum, neg(G1), final_exponentiate=False)
        return bool(final_exponentiate(product) == FQ12.one())

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
        x, y = normalize(_hash(message, dst))
        return G2Affine(x=(int(x.coeffs[0]), int(x.coeffs[1])), y=(int(y.coeffs[0]), int(y.coeffs[1])))
