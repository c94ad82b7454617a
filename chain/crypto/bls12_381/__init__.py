"""BLS signatures over BLS12-381: the facade of ``chain.crypto`` (DESIGN.md, Chain decisions).

Ciphersuite ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`` of
draft-irtf-cfrg-bls-signature-05 §4.2.3 ("minimal-pubkey-size"): a public key is a compressed
G1 point (:class:`~chain.types.primitives.BlsPublicKey`, 48 bytes), a signature a compressed G2
point (:class:`~chain.types.primitives.BlsSignature`, 96 bytes), a secret key a 32-byte
big-endian scalar (:class:`~chain.types.primitives.BlsSecretKey`). Messages are hashed to G2
with RFC 9380 (suite BLS12381G2_XMD:SHA-256_SSWU_RO_). Rogue-key attacks are excluded by
proofs of possession, checked when a stake is registered (``PopVerify``), which is what makes
``FastAggregateVerify`` over a committee's keys sound.

The module functions run on the default backend, ``arkworks`` (py-arkworks-bls12381, the
engine). :func:`get_backend` returns any backend by name; ``py_ecc`` is the slow, readable
reference. Both implement :class:`~chain.crypto.bls12_381.abc.BlsBackendAPI` and give the
same bytes and the same answers on every input; the tests check it over the Ethereum vectors.

Errors: verification functions return ``False`` on any invalid input and never raise;
producing functions raise from :mod:`chain.crypto.exceptions`, each error with a ``reason``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal, TypeAlias, get_args

from chain.crypto.bls12_381.abc import BatchTriple, BlsBackendAPI, Fp2, G2Affine
from chain.crypto.bls12_381.arkworks import ArkworksBackend
from chain.crypto.bls12_381.ciphersuite import CIPHERSUITE_ID, POP_DST
from chain.crypto.exceptions import InvalidInput
from chain.types.primitives import BlsPublicKey, BlsSecretKey, BlsSignature

__all__ = [
    "BACKEND_NAMES",
    "CIPHERSUITE_ID",
    "DEFAULT_BACKEND",
    "POP_DST",
    "Aggregate",
    "AggregatePKs",
    "AggregateVerify",
    "BackendName",
    "BatchTriple",
    "BlsBackendAPI",
    "FastAggregateVerify",
    "Fp2",
    "G2Affine",
    "KeyGen",
    "KeyValidate",
    "PopProve",
    "PopVerify",
    "SkToPk",
    "Sign",
    "Verify",
    "batch_verify",
    "bytes_to_public_key",
    "bytes_to_signature",
    "get_backend",
    "hash_to_G2",
]

BackendName: TypeAlias = Literal["arkworks", "py_ecc"]
"""The names :func:`get_backend` accepts."""

BACKEND_NAMES: Final[tuple[BackendName, ...]] = get_args(BackendName)
"""Every backend, the default first."""

DEFAULT_BACKEND: Final[BackendName] = "arkworks"
"""The backend of the module functions, and of production."""

_backends: dict[str, BlsBackendAPI] = {"arkworks": ArkworksBackend()}


def get_backend(name: BackendName = DEFAULT_BACKEND) -> BlsBackendAPI:
    """The backend called ``name``; py_ecc is imported on first use only.

    Parameters
    ----------
    name
        ``"arkworks"`` (py-arkworks-bls12381, about 1 ms per pairing; production) or
        ``"py_ecc"`` (pure Python, about 0.25 s per pairing; the readable reference).

    Returns
    -------
    BlsBackendAPI
        A stateless object with the functions of this module as methods (one instance per
        name, shared).

    Raises
    ------
    InvalidInput
        ``unknown_backend`` for any other name.
    """
    backend = _backends.get(name)
    if backend is not None:
        return backend
    if name == "py_ecc":
        from chain.crypto.bls12_381.py_ecc_backend import PyEccBackend

        backend = _backends[name] = PyEccBackend()
        return backend
    raise InvalidInput(
        f"unknown BLS backend {name!r}; known: {', '.join(BACKEND_NAMES)}", reason="unknown_backend"
    )


_default: Final = _backends[DEFAULT_BACKEND]


def KeyGen(ikm: bytes, key_info: bytes = b"") -> BlsSecretKey:
    """Derive a secret key from input keying material (draft-05 §2.3, HKDF-SHA-256).

    Parameters
    ----------
    ikm
        At least 32 bytes of secret, uniformly random keying material (the caller draws it,
        e.g. ``os.urandom(32)``; nothing here is random).
    key_info
        Optional context bytes, empty by default.

    Returns
    -------
    BlsSecretKey
        32 bytes, big-endian, a scalar in ``[1, r)``; the same inputs give the same key.

    Raises
    ------
    InvalidKey
        ``ikm_too_short`` below 32 bytes; ``not_bytes``.
    """
    return _default.KeyGen(ikm, key_info)


def SkToPk(sk: BlsSecretKey) -> BlsPublicKey:
    """The public key of a secret key: SK·G1, compressed (draft-05 §2.4).

    Parameters
    ----------
    sk
        32 bytes, big-endian, in ``[1, r)``.

    Returns
    -------
    BlsPublicKey
        48 bytes, compressed G1 (ZCash serialization, draft-05 §2.1, appendix A).

    Raises
    ------
    InvalidKey
        ``secret_key_out_of_range`` for 0 or values ≥ r; ``wrong_length``; ``not_bytes``.
    """
    return _default.SkToPk(sk)


def KeyValidate(pk: BlsPublicKey) -> bool:
    """Whether ``pk`` is usable as a public key (draft-05 §2.5).

    Parameters
    ----------
    pk
        48 bytes, compressed G1.

    Returns
    -------
    bool
        True iff ``pk`` is the canonical encoding of a point of the subgroup G1 other than the
        identity. False for wrong lengths, bad flag bits, x ≥ p, points off the curve or
        outside G1, and the point at infinity. Never raises.
    """
    return _default.KeyValidate(pk)


def Sign(sk: BlsSecretKey, message: bytes) -> BlsSignature:
    """Sign ``message``: SK·H(message) (draft-05 §2.6 CoreSign, §3.3.1).

    H is hash_to_curve to G2 with DST ``CIPHERSUITE_ID`` (RFC 9380 §8.8.2). Deterministic.

    Parameters
    ----------
    sk
        32 bytes, big-endian, in ``[1, r)``.
    message
        Any bytes (empty allowed).

    Returns
    -------
    BlsSignature
        96 bytes, compressed G2.

    Raises
    ------
    InvalidKey
        ``secret_key_out_of_range``, ``wrong_length`` or ``not_bytes`` for a bad ``sk``.
    InvalidInput
        ``not_bytes`` if ``message`` is not bytes.
    """
    return _default.Sign(sk, message)


def Verify(pk: BlsPublicKey, message: bytes, signature: BlsSignature) -> bool:
    """Verify one signature (draft-05 §2.7 CoreVerify, §3.3).

    Checks KeyValidate(pk), that ``signature`` decodes to a point of G2, and
    e(pk, H(message)) == e(G1, signature).

    Parameters
    ----------
    pk
        48 bytes, compressed G1.
    message
        The signed bytes.
    signature
        96 bytes, compressed G2.

    Returns
    -------
    bool
        True iff valid. False, never an exception, for any malformed or invalid input.
    """
    return _default.Verify(pk, message, signature)


def Aggregate(signatures: Sequence[BlsSignature]) -> BlsSignature:
    """Aggregate signatures: the sum of their points in G2 (draft-05 §2.8).

    Parameters
    ----------
    signatures
        n ≥ 1 signatures, 96 bytes each.

    Returns
    -------
    BlsSignature
        96 bytes, compressed G2; the identity (``0xc0`` then zeros) is a possible result.

    Raises
    ------
    InvalidInput
        ``empty`` when n = 0.
    InvalidSignature
        ``wrong_length``, ``invalid_encoding``, ``not_in_subgroup`` or ``not_bytes`` for the
        first bad signature.
    """
    return _default.Aggregate(signatures)


def AggregatePKs(pks: Sequence[BlsPublicKey]) -> BlsPublicKey:
    """Aggregate public keys: the sum of their points in G1 (draft-05 §3.3.4, first step).

    Only meaningful for keys whose proof of possession was checked. The result may be used
    with ``Verify`` to check a signature aggregated over one message.

    Parameters
    ----------
    pks
        n ≥ 1 public keys, 48 bytes each, each passing KeyValidate.

    Returns
    -------
    BlsPublicKey
        48 bytes, compressed G1.

    Raises
    ------
    InvalidInput
        ``empty`` when n = 0.
    InvalidKey
        ``wrong_length``, ``invalid_encoding``, ``not_in_subgroup``, ``infinity`` or
        ``not_bytes`` for the first bad key.
    """
    return _default.AggregatePKs(pks)


def FastAggregateVerify(pks: Sequence[BlsPublicKey], message: bytes, signature: BlsSignature) -> bool:
    """Verify an aggregate signature of n keys over one message (draft-05 §3.3.4).

    Used for committee votes. Sound only for keys with a checked proof of possession.

    Parameters
    ----------
    pks
        n ≥ 1 public keys, 48 bytes each.
    message
        The one message every key signed.
    signature
        96 bytes, the aggregate.

    Returns
    -------
    bool
        True iff every key passes KeyValidate, their sum is not the identity and
        e(Σ pk_i, H(message)) == e(G1, signature). False for n = 0 or any invalid input.
    """
    return _default.FastAggregateVerify(pks, message, signature)


def AggregateVerify(pks: Sequence[BlsPublicKey], messages: Sequence[bytes], signature: BlsSignature) -> bool:
    """Verify an aggregate signature of n (key, message) pairs (draft-05 §2.9, §3.3).

    In the proof-of-possession scheme the messages need not be distinct.

    Parameters
    ----------
    pks
        n ≥ 1 public keys, 48 bytes each.
    messages
        n messages, ``messages[i]`` signed by ``pks[i]``.
    signature
        96 bytes, the aggregate.

    Returns
    -------
    bool
        True iff every key passes KeyValidate and
        Π e(pk_i, H(m_i)) == e(G1, signature). False for n = 0, different lengths, or any
        invalid input.
    """
    return _default.AggregateVerify(pks, messages, signature)


def PopProve(sk: BlsSecretKey) -> BlsSignature:
    """A proof of possession of ``sk``: SK·H_pop(SkToPk(sk)) (draft-05 §3.3.2).

    Parameters
    ----------
    sk
        32 bytes, big-endian, in ``[1, r)``.

    Returns
    -------
    BlsSignature
        96 bytes, compressed G2, hashed with DST ``POP_DST``.

    Raises
    ------
    InvalidKey
        ``secret_key_out_of_range``, ``wrong_length`` or ``not_bytes``.
    """
    return _default.PopProve(sk)


def PopVerify(pk: BlsPublicKey, proof: BlsSignature) -> bool:
    """Verify a proof of possession (draft-05 §3.3.3).

    Parameters
    ----------
    pk
        48 bytes, compressed G1.
    proof
        96 bytes, compressed G2.

    Returns
    -------
    bool
        True iff KeyValidate(pk) and e(pk, H_pop(pk)) == e(G1, proof). Never raises.
    """
    return _default.PopVerify(pk, proof)


def batch_verify(triples: Sequence[BatchTriple], *, entropy: bytes) -> bool:
    """Verify n independent signatures at once with a random linear combination.

    With scalars r_i derived from ``entropy`` and the batch
    (:func:`~chain.crypto.bls12_381.ciphersuite.compute_batch_scalars`, 64 bits each), checks

        e(G1, Σ r_i·sig_i) == Π_m e(Σ_{i: m_i = m} r_i·pk_i, H(m))

    with one pairing per *distinct* message plus one, and one final exponentiation. True
    means every ``Verify(pk_i, m_i, sig_i)`` (draft-05 §2.7) holds, except with probability
    ≤ 2^-64 over the entropy; False means at least one does not, or an input is invalid (the
    batch does not say which: re-check one by one to find it). This is the small-exponents
    test of Bellare, Garay and Rabin, "Fast batch verification for modular exponentiation
    and digital signatures" (EUROCRYPT 1998, §3.3), applied to pairings as in the Ethereum
    clients; inputs and outputs follow the ``batch_verify`` format of ethereum/bls12-381-tests.

    Parameters
    ----------
    triples
        n ≥ 1 triples ``(pk: 48 bytes, message: bytes, signature: 96 bytes)``.
    entropy
        At least 16 bytes, fresh and unpredictable to signers, never derived from public data
        such as a block hash; keyword-only. Production passes ``os.urandom(32)``, tests pass
        fixed bytes. Same entropy and batch, same answer.

    Returns
    -------
    bool
        False for n = 0 or any invalid key or signature (as ``Verify``); otherwise the
        outcome of the check.

    Raises
    ------
    InvalidInput
        ``entropy_too_short`` or ``not_bytes``: a fault of the caller, not of the batch.
    """
    return _default.batch_verify(triples, entropy=entropy)


def bytes_to_public_key(data: bytes) -> BlsPublicKey:
    """Decode untrusted bytes into a public-key newtype (ZCash compressed G1, draft-05 app. A).

    Deserialization only: the identity (``0xc0`` then 47 zero bytes) is accepted here and
    rejected by KeyValidate.

    Parameters
    ----------
    data
        48 bytes.

    Returns
    -------
    BlsPublicKey
        ``data``, once it is known to be the canonical encoding of a point of G1.

    Raises
    ------
    InvalidKey
        ``wrong_length``, ``invalid_encoding`` (flag bits, x ≥ p, not on the curve,
        non-canonical infinity), ``not_in_subgroup`` or ``not_bytes``.
    """
    return _default.bytes_to_public_key(data)


def bytes_to_signature(data: bytes) -> BlsSignature:
    """Decode untrusted bytes into a signature newtype (ZCash compressed G2, draft-05 app. A).

    Parameters
    ----------
    data
        96 bytes.

    Returns
    -------
    BlsSignature
        ``data``, once it is known to be the canonical encoding of a point of G2 (the
        identity included).

    Raises
    ------
    InvalidSignature
        ``wrong_length``, ``invalid_encoding``, ``not_in_subgroup`` or ``not_bytes``.
    """
    return _default.bytes_to_signature(data)


def hash_to_G2(message: bytes, dst: bytes) -> G2Affine:
    """hash_to_curve into G2, suite BLS12381G2_XMD:SHA-256_SSWU_RO_ (RFC 9380 §3, §8.8.2).

    Parameters
    ----------
    message
        Any bytes.
    dst
        Domain separation tag, at most 255 bytes (``CIPHERSUITE_ID`` for signatures).

    Returns
    -------
    G2Affine
        The point's affine coordinates, each ``(c0, c1)`` in Fp2, as RFC 9380 appendix J.10.1
        prints them.

    Raises
    ------
    InvalidInput
        ``dst_too_long`` or ``not_bytes``.
    """
    return _default.hash_to_G2(message, dst)
