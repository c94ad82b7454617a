"""The interface that every BLS12-381 backend implements (py-evm ``abc.py`` style).

Ciphersuite ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`` of
draft-irtf-cfrg-bls-signature-05 §4.2.3: public keys are compressed G1 points (48 bytes),
signatures compressed G2 points (96 bytes), rogue keys are excluded by proofs of possession.
Method names follow the draft. The full contract of each method (shapes, errors, sources) is
the docstring of the function of the same name in :mod:`chain.crypto.bls12_381`.

Rules every backend keeps:

* Verification methods (``KeyValidate``, ``Verify``, ``FastAggregateVerify``,
  ``AggregateVerify``, ``PopVerify``, ``batch_verify``) return ``False`` on anything invalid:
  wrong lengths, non-canonical encodings, points off the curve or outside the subgroup, the
  identity as a public key, empty lists. They never raise, except ``batch_verify`` when the
  *caller's* entropy is too short.
* Producing methods raise a :class:`~chain.crypto.exceptions.CryptoError` subclass with a
  stable ``reason``; the same bad input gives the same exception type and reason on every
  backend.
* Byte outputs are identical across backends (signing is deterministic).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeAlias

from chain.types.primitives import BlsPublicKey, BlsSecretKey, BlsSignature

Fp2: TypeAlias = tuple[int, int]
"""An element c0 + c1·u of Fp2 = Fp[u]/(u² + 1), as ``(c0, c1)``, each in ``[0, p)``."""

BatchTriple: TypeAlias = tuple[BlsPublicKey, bytes, BlsSignature]
"""One ``(public key, message, signature)`` entry of a batch verification."""


@dataclass(frozen=True, slots=True)
class G2Affine:
    """A point of G2 in affine coordinates, as RFC 9380 test vectors print it."""

    x: Fp2
    """The x coordinate ``(c0, c1)``."""

    y: Fp2
    """The y coordinate ``(c0, c1)``."""


class BlsBackendAPI(ABC):
    """One implementation of the ciphersuite. Stateless; one instance per backend."""

    name: ClassVar[str]
    """The backend's name for :func:`chain.crypto.bls12_381.get_backend`."""

    # -- keys (draft-05 §2.3–§2.5) -------------------------------------------------------

    @abstractmethod
    def KeyGen(self, ikm: bytes, key_info: bytes = b"") -> BlsSecretKey:
        """Derive a secret key from ≥ 32 bytes of keying material (§2.3)."""

    @abstractmethod
    def SkToPk(self, sk: BlsSecretKey) -> BlsPublicKey:
        """The public key SK·G1 of a secret key (§2.4)."""

    @abstractmethod
    def KeyValidate(self, pk: BlsPublicKey) -> bool:
        """Whether ``pk`` decodes to a non-identity point of G1 (§2.5)."""

    # -- single signatures (§2.6, §2.7, §3.3) --------------------------------------------

    @abstractmethod
    def Sign(self, sk: BlsSecretKey, message: bytes) -> BlsSignature:
        """SK·H(message) with the ciphersuite DST (§2.6, §3.3.1)."""

    @abstractmethod
    def Verify(self, pk: BlsPublicKey, message: bytes, signature: BlsSignature) -> bool:
        """Whether e(pk, H(message)) = e(G1, signature) for a valid pk (§2.7, §3.3.2)."""

    # -- aggregation (§2.8, §2.9, §3.3.4) ------------------------------------------------

    @abstractmethod
    def Aggregate(self, signatures: Sequence[BlsSignature]) -> BlsSignature:
        """The sum of n ≥ 1 signatures (§2.8)."""

    @abstractmethod
    def AggregatePKs(self, pks: Sequence[BlsPublicKey]) -> BlsPublicKey:
        """The sum of n ≥ 1 validated public keys (§3.3.4, first step)."""

    @abstractmethod
    def FastAggregateVerify(
        self, pks: Sequence[BlsPublicKey], message: bytes, signature: BlsSignature
    ) -> bool:
        """One message, n ≥ 1 keys, one aggregate signature (§3.3.4)."""

    @abstractmethod
    def AggregateVerify(
        self, pks: Sequence[BlsPublicKey], messages: Sequence[bytes], signature: BlsSignature
    ) -> bool:
        """n ≥ 1 (key, message) pairs, one aggregate signature (§2.9, §3.3)."""

    # -- proof of possession (§3.3.2, §3.3.3) --------------------------------------------

    @abstractmethod
    def PopProve(self, sk: BlsSecretKey) -> BlsSignature:
        """A signature over the public key's bytes with the POP tag (§3.3.2)."""

    @abstractmethod
    def PopVerify(self, pk: BlsPublicKey, proof: BlsSignature) -> bool:
        """Whether ``proof`` is a valid proof of possession for ``pk`` (§3.3.3)."""

    # -- batch verification (random linear combination) ----------------------------------

    @abstractmethod
    def batch_verify(self, triples: Sequence[BatchTriple], *, entropy: bytes) -> bool:
        """Whether every triple verifies, checked at once with random 64-bit scalars."""

    # -- decoding and hashing (ZCash serialization; RFC 9380) ----------------------------

    @abstractmethod
    def bytes_to_public_key(self, data: bytes) -> BlsPublicKey:
        """Decode 48 bytes into a point of G1 (the identity allowed), or raise."""

    @abstractmethod
    def bytes_to_signature(self, data: bytes) -> BlsSignature:
        """Decode 96 bytes into a point of G2 (the identity allowed), or raise."""

    @abstractmethod
    def hash_to_G2(self, message: bytes, dst: bytes) -> G2Affine:
        """``hash_to_curve`` of suite BLS12381G2_XMD:SHA-256_SSWU_RO_ (RFC 9380 §8.8.2)."""
