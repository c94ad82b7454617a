"""The backend-independent parts of the ciphersuite ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_``.

Constants, secret-key parsing, ``KeyGen`` (hashing only, no curve arithmetic) and the
derivation of the random scalars of a batch verification. Both backends use the scalars from
here, so a batch gives the same answer on either; the arkworks backend uses this ``KeyGen``,
the py_ecc backend uses py_ecc's own, and the tests check that the two agree.

Sources: draft-irtf-cfrg-bls-signature-05 (§2.3 KeyGen, §4.2.3 the POP ciphersuite),
RFC 5869 (HKDF), RFC 9380 (hash-to-curve).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Final, TypeGuard

from chain.crypto.exceptions import InvalidInput, InvalidKey
from chain.types.primitives import BlsSecretKey

CIPHERSUITE_ID: Final = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
"""Domain separation tag of ``Sign``/``Verify`` (draft-05 §4.2.3)."""

POP_DST: Final = b"BLS_POP_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_"
"""Domain separation tag of ``PopProve``/``PopVerify`` (draft-05 §4.2.3)."""

CURVE_ORDER: Final = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
"""r, the prime order of G1, G2 and GT (draft-05 §4.2.1; RFC 9380 §8.8)."""

PUBLIC_KEY_LENGTH: Final = 48
"""Bytes of a compressed G1 point (draft-05 §2.1, ``minimal-pubkey-size``)."""

SIGNATURE_LENGTH: Final = 96
"""Bytes of a compressed G2 point."""

SECRET_KEY_LENGTH: Final = 32
"""Bytes of a secret scalar, big-endian (I2OSP(SK, 32))."""

MIN_IKM_LENGTH: Final = 32
"""KeyGen rejects shorter input keying material (draft-05 §2.3)."""

KEYGEN_SALT: Final = b"BLS-SIG-KEYGEN-SALT-"
"""Initial HKDF salt of KeyGen (draft-05 §2.3, since draft-04)."""

KEYGEN_OKM_LENGTH: Final = 48
"""L = ceil((3 * ceil(log2(r))) / 16) = 48 bytes of HKDF output (draft-05 §2.3)."""

MAX_DST_LENGTH: Final = 255
"""Longest DST that ``expand_message_xmd`` accepts as is (RFC 9380 §5.3.1)."""

BATCH_DOMAIN: Final = b"GLOAM-BLS12381G2-BATCH-VERIFY-V1"
"""Domain separation of the batch-verification transcript and scalar stream."""

BATCH_SCALAR_BITS: Final = 64
"""Width of the random batch scalars: a forged batch passes with probability ≤ 2^-64."""

MIN_BATCH_ENTROPY_LENGTH: Final = 16
"""``batch_verify`` rejects less entropy than this many bytes (128 bits)."""


def is_bytes(value: object) -> TypeGuard[bytes]:
    """Whether ``value`` is an immutable byte string (``bytes`` or one of its newtypes)."""
    return isinstance(value, bytes)


def compute_secret_scalar(sk: BlsSecretKey) -> int:
    """Parse a secret key into its scalar.

    Parameters
    ----------
    sk
        32 bytes, big-endian (OS2IP, draft-05 §2.3).

    Returns
    -------
    int
        SK in ``[1, r)``.

    Raises
    ------
    InvalidKey
        ``not_bytes``, ``wrong_length``, or ``secret_key_out_of_range`` for 0 and values ≥ r.
    """
    if not is_bytes(sk):
        raise InvalidKey("a secret key must be bytes", reason="not_bytes")
    if len(sk) != SECRET_KEY_LENGTH:
        raise InvalidKey(f"a secret key is {SECRET_KEY_LENGTH} bytes, got {len(sk)}", reason="wrong_length")
    scalar = int.from_bytes(sk, "big")
    if not 0 < scalar < CURVE_ORDER:
        raise InvalidKey("a secret key must lie in [1, r)", reason="secret_key_out_of_range")
    return scalar


def compute_secret_key(scalar: int) -> BlsSecretKey:
    """I2OSP(SK, 32): the 32-byte big-endian encoding of a scalar in ``[1, r)``."""
    if not 0 < scalar < CURVE_ORDER:
        raise InvalidKey("a secret key must lie in [1, r)", reason="secret_key_out_of_range")
    return BlsSecretKey(scalar.to_bytes(SECRET_KEY_LENGTH, "big"))


def validate_ikm(ikm: bytes, key_info: bytes) -> None:
    """Check the arguments of KeyGen (draft-05 §2.3).

    Raises
    ------
    InvalidKey
        ``not_bytes`` if either is not bytes; ``ikm_too_short`` if ``ikm`` has fewer than
        32 bytes.
    """
    if not (is_bytes(ikm) and is_bytes(key_info)):
        raise InvalidKey("IKM and key_info must be bytes", reason="not_bytes")
    if len(ikm) < MIN_IKM_LENGTH:
        raise InvalidKey(
            f"IKM must be at least {MIN_IKM_LENGTH} bytes, got {len(ikm)}", reason="ikm_too_short"
        )


def _hkdf_extract(salt: bytes, ikm: bytes) -> bytes:
    """HKDF-Extract with SHA-256 (RFC 5869 §2.2)."""
    return hmac.digest(salt, ikm, "sha256")


def _hkdf_expand(prk: bytes, info: bytes, length: int) -> bytes:
    """HKDF-Expand with SHA-256 (RFC 5869 §2.3)."""
    okm = b""
    block = b""
    counter = 1
    while len(okm) < length:
        block = hmac.digest(prk, block + info + bytes([counter]), "sha256")
        okm += block
        counter += 1
    return okm[:length]


def compute_keygen(ikm: bytes, key_info: bytes = b"") -> BlsSecretKey:
    """KeyGen: derive a secret key from input keying material (draft-05 §2.3).

    Parameters
    ----------
    ikm
        At least 32 bytes of secret, uniformly random keying material.
    key_info
        Optional context bytes (may be empty).

    Returns
    -------
    BlsSecretKey
        32 bytes, big-endian, a scalar in ``[1, r)``.

    Raises
    ------
    InvalidKey
        ``not_bytes`` or ``ikm_too_short``.
    """
    validate_ikm(ikm, key_info)
    salt = KEYGEN_SALT
    scalar = 0
    while scalar == 0:
        salt = hashlib.sha256(salt).digest()
        prk = _hkdf_extract(salt, ikm + b"\x00")
        okm = _hkdf_expand(prk, key_info + KEYGEN_OKM_LENGTH.to_bytes(2, "big"), KEYGEN_OKM_LENGTH)
        scalar = int.from_bytes(okm, "big") % CURVE_ORDER
    return compute_secret_key(scalar)


def validate_dst(dst: bytes) -> None:
    """Check a domain separation tag for ``expand_message_xmd`` (RFC 9380 §5.3.1, §3.1).

    Raises
    ------
    InvalidInput
        ``not_bytes``, or ``dst_too_long`` beyond 255 bytes.
    """
    if not is_bytes(dst):
        raise InvalidInput("a DST must be bytes", reason="not_bytes")
    if len(dst) > MAX_DST_LENGTH:
        raise InvalidInput(f"a DST is at most {MAX_DST_LENGTH} bytes", reason="dst_too_long")


def validate_entropy(entropy: bytes) -> None:
    """Check the caller's entropy for ``batch_verify``.

    Raises
    ------
    InvalidInput
        ``not_bytes``, or ``entropy_too_short`` below 16 bytes.
    """
    if not is_bytes(entropy):
        raise InvalidInput("entropy must be bytes", reason="not_bytes")
    if len(entropy) < MIN_BATCH_ENTROPY_LENGTH:
        raise InvalidInput(
            f"batch verification needs at least {MIN_BATCH_ENTROPY_LENGTH} bytes of entropy, "
            f"got {len(entropy)}",
            reason="entropy_too_short",
        )


def compute_batch_scalars(triples: Sequence[tuple[bytes, bytes, bytes]], entropy: bytes) -> list[int]:
    """The random scalars r_1..r_n of a batch verification, derived from the caller's entropy.

    ``transcript = SHA3-256(BATCH_DOMAIN ‖ n:u64 ‖ for each i: pk_i ‖ sig_i ‖ len(m_i):u64 ‖ m_i)``
    binds the scalars to the whole batch, then
    ``SHAKE-256(BATCH_DOMAIN ‖ len(entropy):u64 ‖ entropy ‖ transcript)`` is read as n
    little-endian 64-bit words w_i, and ``r_i = (w_i mod (2^64 − 1)) + 1`` so that no scalar
    is zero. The same entropy and batch always give the same scalars (nothing ambient).

    Security: invalid signatures pass only if Σ r_i·e_i = 0 for the errors e_i they carry,
    which for errors fixed before the r_i are known happens with probability ≤ 2^-64. The
    errors are fixed first because the signatures themselves are hashed into the scalars:
    even a forger who learned the entropy would have to grind about 2^64 batches. Fresh
    secret entropy per call (``os.urandom``) is still required; 64-bit scalars are the
    Ethereum clients' choice too and cost about half as much as 128-bit ones here.

    Parameters
    ----------
    triples
        n ≥ 1 triples ``(pk: 48 bytes, message, sig: 96 bytes)``, already validated as bytes.
    entropy
        At least 16 bytes, fresh and secret per call (the caller passes ``os.urandom(32)``).

    Returns
    -------
    list[int]
        n scalars, each in ``[1, 2^64)``.
    """
    transcript = hashlib.sha3_256(BATCH_DOMAIN)
    transcript.update(len(triples).to_bytes(8, "little"))
    for pk, message, signature in triples:
        transcript.update(pk)
        transcript.update(signature)
        transcript.update(len(message).to_bytes(8, "little"))
        transcript.update(message)
    width = BATCH_SCALAR_BITS // 8
    stream = hashlib.shake_256(
        BATCH_DOMAIN + len(entropy).to_bytes(8, "little") + entropy + transcript.digest()
    ).digest(width * len(triples))
    modulus = (1 << BATCH_SCALAR_BITS) - 1
    return [
        int.from_bytes(stream[offset : offset + width], "little") % modulus + 1
        for offset in range(0, len(stream), width)
    ]
