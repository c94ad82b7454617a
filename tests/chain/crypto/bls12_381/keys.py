"""Fixed keys, messages and signatures for the BLS tests, and points outside the subgroups.

Everything here is derived from constant inputs with the arkworks backend (fast); the tests
then check the backend under test against it. That the two backends produce the same bytes
is established separately (``test_vectors.py``, ``test_backends_agree.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from py_arkworks_bls12381 import G1Point, G2Point

from chain.crypto.bls12_381 import get_backend
from chain.types.primitives import BlsPublicKey, BlsSecretKey, BlsSignature

ARKWORKS = get_backend("arkworks")

INFINITY_PK = BlsPublicKey(b"\xc0" + bytes(47))
INFINITY_SIGNATURE = BlsSignature(b"\xc0" + bytes(95))


@dataclass(frozen=True)
class Signer:
    sk: BlsSecretKey
    pk: BlsPublicKey
    message: bytes
    signature: BlsSignature


@cache
def signers(count: int = 4) -> tuple[Signer, ...]:
    """``count`` distinct keys, each with its own message and signature."""
    result = []
    for index in range(count):
        sk = ARKWORKS.KeyGen(bytes([index + 1]) * 32, b"gloam-tests")
        message = f"settlement instruction {index}".encode()
        result.append(Signer(sk, ARKWORKS.SkToPk(sk), message, ARKWORKS.Sign(sk, message)))
    return tuple(result)


def negate(point: bytes) -> bytes:
    """−P from a compressed non-identity P: flip the y-sign flag (bit 5 of the first byte)."""
    return bytes([point[0] ^ 0x20]) + point[1:]


@cache
def g1_point_outside_subgroup() -> BlsPublicKey:
    """The canonical encoding of a point on E(Fp) but not in G1 (smallest such x ≥ 1)."""
    for x in range(1, 10_000):
        data = bytes([0x80]) + x.to_bytes(47, "big")
        try:
            point = G1Point.from_compressed_bytes_unchecked(data)
        except ValueError:
            continue
        if not point.is_in_subgroup() and point.to_compressed_bytes() == data:
            return BlsPublicKey(data)
    raise LookupError("no G1 point outside the subgroup with a small x")


@cache
def g2_point_outside_subgroup() -> BlsSignature:
    """The canonical encoding of a point on E'(Fp2) but not in G2 (x = c0, c0 ≥ 1 small)."""
    for c0 in range(1, 10_000):
        data = bytes([0x80]) + bytes(47) + c0.to_bytes(48, "big")  # x.c1 (with flags) ‖ x.c0
        try:
            point = G2Point.from_compressed_bytes_unchecked(data)
        except ValueError:
            continue
        if not point.is_in_subgroup() and point.to_compressed_bytes() == data:
            return BlsSignature(data)
    raise LookupError("no G2 point outside the subgroup with a small x")
