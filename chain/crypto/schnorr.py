"""Dusk's Schnorr signatures over Jubjub with a Poseidon challenge (crate ``jubjub-schnorr``).

A pure-Python reference: exact, variable-time (never use it where timing leaks a secret to an
observer), no randomness of its own. The signer passes ``random``: 64 bytes that upstream would
draw from its RNG (``JubJubScalar::random`` reads 64 bytes and reduces them, little-endian,
mod ``r_J``); the nonce is then *hedged*: derived from those bytes, the secret key, a variant tag
and the message, so a repeated ``random`` alone does not repeat a nonce.

Objects (``Q``, ``R_J``, ``G``, ``G'`` as in :mod:`chain.crypto.jubjub`):

- secret key ``sk``: an int in ``[1, R_J)`` (upstream also takes 0; its signatures never verify,
  so it is refused here);
- message ``m``: a BLS12-381 scalar field element, an int in ``[0, Q)`` (``BlsScalar``);
- public key ``PK = sk·G``; double public key ``(PK, PK') = (sk·G, sk·G')``.

Single signature (``sign``/``verify``)::

    r  = H(rand, sk, 1, m)                          hedged nonce, TAG_STANDARD = 1
    R  = r·G
    c  = H(R.x, R.y, PK.x, PK.y, m)                 challenge
    u  = r − c·sk  mod R_J
    signature (u, R); valid iff PK and R are torsion-free, on the curve, not the identity,
    and u·G + c·PK == R

Double signature (``sign_double``/``verify_double``)::

    r  = H(rand, sk, 2, m)                          TAG_DOUBLE = 2
    R  = r·G,  R' = r·G'
    c  = H(DOUBLE_CHALLENGE_DOMAIN, R.x, R.y, R'.x, R'.y, PK.x, PK.y, PK'.x, PK'.y, m)
    u  = r − c·sk  mod R_J
    signature (u, R, R'); valid iff PK, PK', R, R' pass the point checks above and both
    u·G + c·PK == R and u·G' + c·PK' == R'

``H`` is Poseidon's ``Hash::digest_truncated(Domain::Other, …)[0]``
(:func:`chain.crypto.poseidon.hash_truncated`): below 2^250, so already a Jubjub scalar. A point
enters the hash as its affine coordinates ``(x, y)`` (``JubJubExtended::to_hash_inputs``), a
Jubjub scalar (``rand``, ``sk``) as the same integer in the BLS12-381 field.

Encodings: a signature is 64 bytes ``u ‖ R`` (``u`` 32 bytes little-endian canonical, ``R`` the
32-byte compressed point of :meth:`Point.to_bytes`); a double signature 96 bytes ``u ‖ R ‖ R'``;
a public key 32 bytes, a double public key 64 (``PK ‖ PK'``); a secret key 32 bytes
little-endian. Decoding refuses what upstream's ``from_bytes`` refuses: a non-canonical ``u``,
and a point that is non-canonical, off the curve or outside the prime-order subgroup. The
identity decodes (as upstream) and fails verification.

Sources: dusk-network/jubjub-schnorr (0.7.0-rc.0) at commit
``2cbc616d41194ac932ca480c26a54deab67ea4c4`` (read 2026-08):
``src/signatures.rs`` and ``src/signatures/double.rs`` (``challenge_hash``, ``is_valid``,
``Serializable``, ``DOUBLE_CHALLENGE_DOMAIN = u64::from_be_bytes(b"JJSCHDBL")``),
``src/nonce.rs`` (hedged nonces, ``TAG_STANDARD``/``TAG_DOUBLE``), ``src/keys/secret.rs``,
``src/keys/secret/double.rs``, ``src/keys/public.rs``, ``src/keys/public/double.rs`` (sign,
verify, key encodings).

Not here: the variable-generator variant, SpeedyMuSig multisignatures and the circuit gadgets
(``src/gadgets.rs``) of the same crate.

Errors: :class:`~chain.crypto.exceptions.InvalidSignature` (decoding a signature: ``not_bytes``,
``wrong_length``, ``scalar_out_of_range``, ``non_canonical``, ``not_on_curve``,
``not_in_subgroup``), :class:`~chain.crypto.exceptions.InvalidKey` (a secret key that is not an
int in ``[1, R_J)``: ``not_int``, ``secret_key_out_of_range``; decoding a key: the same reasons
as a signature), :class:`~chain.crypto.exceptions.InvalidFieldElement` (a message outside
``[0, Q)``) and :class:`~chain.crypto.exceptions.InvalidInput` (``random`` not 64 bytes:
``not_bytes``, ``wrong_length``). Verification never raises on bad data: it returns ``False``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chain.crypto.exceptions import CryptoError, InvalidInput, InvalidKey, InvalidSignature
from chain.crypto.jubjub import GENERATOR, GENERATOR_NUMS, POINT_SIZE, R_J, SCALAR_SIZE, Point, require_bytes
from chain.crypto.jubjub import scalar_from_bytes as _scalar_from_bytes
from chain.crypto.poseidon import Domain, check_element, hash_truncated

#: Length of ``random``, the signer's RNG bytes: what ``JubJubScalar::random`` reads.
RANDOM_SIZE: Final = 64
#: Encoded sizes, in bytes.
SIGNATURE_SIZE: Final = SCALAR_SIZE + POINT_SIZE
SIGNATURE_DOUBLE_SIZE: Final = SCALAR_SIZE + 2 * POINT_SIZE
SECRET_KEY_SIZE: Final = SCALAR_SIZE
PUBLIC_KEY_SIZE: Final = POINT_SIZE
PUBLIC_KEY_DOUBLE_SIZE: Final = 2 * POINT_SIZE

#: Hedged-nonce variant tags (``src/nonce.rs``: ``BlsScalar::from_raw([1, 0, 0, 0])`` and ``[2, …]``).
TAG_STANDARD: Final = 1
TAG_DOUBLE: Final = 2
#: First input of the double challenge: ``u64::from_be_bytes(*b"JJSCHDBL")``.
DOUBLE_CHALLENGE_DOMAIN: Final = int.from_bytes(b"JJSCHDBL", "big")


# -- values ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Signature:
    """A single Schnorr signature ``(u, R)``: ``u`` an int in ``[0, R_J)``, ``R`` a point."""

    u: int
    R: Point  # noqa: N815 - the scheme's name

    def to_bytes(self) -> bytes:
        """64 bytes: ``u`` (32, little-endian) ‖ ``R`` (32, compressed)."""
        return self.u.to_bytes(SCALAR_SIZE, "little") + self.R.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        """Decode 64 bytes. Raises :class:`InvalidSignature` (reasons in the module docstring)."""
        raw = require_bytes(data, SIGNATURE_SIZE, InvalidSignature, "a Schnorr signature")
        u, points = _decode(raw, 1, InvalidSignature)
        return cls(u, points[0])

    def is_valid(self) -> bool:
        """Upstream's ``Signature::is_valid``: ``R`` torsion-free, on the curve, not the identity."""
        return _valid_point(self.R)


@dataclass(frozen=True, slots=True)
class SignatureDouble:
    """A double Schnorr signature ``(u, R, R')`` (``R' = r·G'``)."""

    u: int
    R: Point  # noqa: N815
    R_prime: Point  # noqa: N815

    def to_bytes(self) -> bytes:
        """96 bytes: ``u`` ‖ ``R`` ‖ ``R'``."""
        return self.u.to_bytes(SCALAR_SIZE, "little") + self.R.to_bytes() + self.R_prime.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> SignatureDouble:
        """Decode 96 bytes. Raises :class:`InvalidSignature` (reasons in the module docstring)."""
        raw = require_bytes(data, SIGNATURE_DOUBLE_SIZE, InvalidSignature, "a double Schnorr signature")
        u, points = _decode(raw, 2, InvalidSignature)
        return cls(u, points[0], points[1])

    def is_valid(self) -> bool:
        """Both ``R`` and ``R'`` pass :meth:`Signature.is_valid`'s point checks."""
        return _valid_point(self.R) and _valid_point(self.R_prime)


# -- keys ------------------------------------------------------------------------------------------


def check_secret_key(sk: object) -> int:
    """``sk`` itself if it is an int in ``[1, R_J)``. Raises :class:`InvalidKey`
    (``not_int``, bools refused; ``secret_key_out_of_range``)."""
    if type(sk) is not int:
        raise InvalidKey(f"a secret key must be an int, got {type(sk).__name__}", reason="not_int")
    if not 0 < sk < R_J:
        raise InvalidKey("a secret key must be in [1, R_J)", reason="secret_key_out_of_range")
    return sk


def public_key(sk: int) -> Point:
    """``PK = sk·G``. Raises :class:`InvalidKey` as :func:`check_secret_key`."""
    return GENERATOR * check_secret_key(sk)


def public_key_double(sk: int) -> tuple[Point, Point]:
    """``(sk·G, sk·G')``. Raises :class:`InvalidKey` as :func:`check_secret_key`."""
    sk = check_secret_key(sk)
    return GENERATOR * sk, GENERATOR_NUMS * sk


def secret_key_to_bytes(sk: int) -> bytes:
    """32 bytes little-endian. Raises :class:`InvalidKey` as :func:`check_secret_key`."""
    return check_secret_key(sk).to_bytes(SECRET_KEY_SIZE, "little")


def secret_key_from_bytes(data: bytes) -> int:
    """A secret key from 32 bytes little-endian, canonical and nonzero.

    Raises :class:`InvalidKey`: ``not_bytes``, ``wrong_length``, ``scalar_out_of_range``
    (value ≥ ``R_J``), ``secret_key_out_of_range`` (zero).
    """
    raw = require_bytes(data, SECRET_KEY_SIZE, InvalidKey, "a Schnorr secret key")
    sk, _ = _decode(raw, 0, InvalidKey)
    return check_secret_key(sk)


def public_key_from_bytes(data: bytes) -> Point:
    """A public key from its 32-byte compressed form (subgroup-checked, as upstream; the
    identity decodes and never verifies). Raises :class:`InvalidKey`: ``not_bytes``,
    ``wrong_length``, ``non_canonical``, ``not_on_curve``, ``not_in_subgroup``."""
    raw = require_bytes(data, PUBLIC_KEY_SIZE, InvalidKey, "a Schnorr public key")
    return _decode(bytes(SCALAR_SIZE) + raw, 1, InvalidKey)[1][0]


def public_key_double_to_bytes(pk: tuple[Point, Point]) -> bytes:
    """64 bytes ``PK ‖ PK'``."""
    return pk[0].to_bytes() + pk[1].to_bytes()


def public_key_double_from_bytes(data: bytes) -> tuple[Point, Point]:
    """``(PK, PK')`` from 64 bytes. Raises :class:`InvalidKey` as :func:`public_key_from_bytes`."""
    raw = require_bytes(data, PUBLIC_KEY_DOUBLE_SIZE, InvalidKey, "a double Schnorr public key")
    _, points = _decode(bytes(SCALAR_SIZE) + raw, 2, InvalidKey)
    return points[0], points[1]


# -- hashes ----------------------------------------------------------------------------------------


def hedged_nonce(sk: int, message: int, random: bytes, tag: int) -> int:
    """``H(rand, sk, tag, m)`` with ``rand = int.from_bytes(random, "little") mod R_J``.

    ``tag`` is :data:`TAG_STANDARD` or :data:`TAG_DOUBLE`. Raises :class:`InvalidKey`,
    :class:`~chain.crypto.exceptions.InvalidFieldElement` or :class:`InvalidInput` (``random``
    not 64 bytes).
    """
    sk = check_secret_key(sk)
    message = check_element(message)
    raw = require_bytes(random, RANDOM_SIZE, InvalidInput, "the nonce randomness")
    if tag not in (TAG_STANDARD, TAG_DOUBLE):
        raise InvalidInput("tag must be TAG_STANDARD or TAG_DOUBLE", reason="invalid_tag")
    rand = int.from_bytes(raw, "little") % R_J
    return hash_truncated([rand, sk, tag, message], Domain.OTHER)


def challenge(R: Point, pk: Point, message: int) -> int:  # noqa: N803
    """The single challenge ``H(R.x, R.y, PK.x, PK.y, m)``."""
    return hash_truncated([*R.affine(), *pk.affine(), check_element(message)], Domain.OTHER)


def challenge_double(
    R: Point,  # noqa: N803
    R_prime: Point,  # noqa: N803
    pk: tuple[Point, Point],
    message: int,
) -> int:
    """The double challenge ``H(JJSCHDBL, R.x, R.y, R'.x, R'.y, PK.x, PK.y, PK'.x, PK'.y, m)``."""
    inputs = [DOUBLE_CHALLENGE_DOMAIN, *R.affine(), *R_prime.affine(), *pk[0].affine(), *pk[1].affine()]
    return hash_truncated([*inputs, check_element(message)], Domain.OTHER)


# -- sign / verify ---------------------------------------------------------------------------------


def sign(sk: int, message: int, random: bytes) -> Signature:
    """Sign ``message`` (an int in ``[0, Q)``) with ``sk``; ``random`` is 64 fresh random bytes
    from the caller. Deterministic in its arguments. Errors as :func:`hedged_nonce`."""
    r = hedged_nonce(sk, message, random, TAG_STANDARD)
    R = GENERATOR * r  # noqa: N806
    c = challenge(R, GENERATOR * sk, message)
    return Signature((r - c * sk) % R_J, R)


def sign_double(sk: int, message: int, random: bytes) -> SignatureDouble:
    """Double-sign ``message`` with ``sk`` (verifiable with :func:`public_key_double`).
    Errors as :func:`hedged_nonce`."""
    r = hedged_nonce(sk, message, random, TAG_DOUBLE)
    R, R_prime = GENERATOR * r, GENERATOR_NUMS * r  # noqa: N806
    c = challenge_double(R, R_prime, public_key_double(sk), message)
    return SignatureDouble((r - c * sk) % R_J, R, R_prime)


def verify(pk: Point, signature: Signature, message: int) -> bool:
    """Whether ``signature`` is valid for ``message`` under ``pk`` (``u·G + c·PK == R``).

    ``False``, never an exception, for any bad data: a key or ``R`` that is the identity, off the
    curve or outside the subgroup, ``u`` outside ``[0, R_J)``, a message outside ``[0, Q)``, or
    arguments of the wrong type.
    """
    if not (isinstance(pk, Point) and isinstance(signature, Signature) and _is_scalar(signature.u)):
        return False
    if not (_valid_point(pk) and signature.is_valid()):
        return False
    try:
        c = challenge(signature.R, pk, message)
    except CryptoError:
        return False
    return GENERATOR * signature.u + pk * c == signature.R


def verify_double(pk: tuple[Point, Point], signature: SignatureDouble, message: int) -> bool:
    """Whether ``signature`` is valid for ``message`` under ``(PK, PK')``: both
    ``u·G + c·PK == R`` and ``u·G' + c·PK' == R'``. ``False`` on any bad data, as :func:`verify`."""
    if not (
        isinstance(pk, tuple)
        and len(pk) == 2
        and all(isinstance(p, Point) for p in pk)
        and isinstance(signature, SignatureDouble)
        and _is_scalar(signature.u)
    ):
        return False
    if not (_valid_point(pk[0]) and _valid_point(pk[1]) and signature.is_valid()):
        return False
    try:
        c = challenge_double(signature.R, signature.R_prime, pk, message)
    except CryptoError:
        return False
    u = signature.u
    return GENERATOR * u + pk[0] * c == signature.R and GENERATOR_NUMS * u + pk[1] * c == signature.R_prime


# -- helpers ---------------------------------------------------------------------------------------


def _valid_point(point: Point) -> bool:
    return point.is_on_curve() and not point.is_identity() and point.is_torsion_free()


def _is_scalar(value: object) -> bool:
    return type(value) is int and 0 <= value < R_J


def _decode(raw: bytes, points: int, error: type[CryptoError]) -> tuple[int, list[Point]]:
    """A 32-byte canonical scalar followed by ``points`` subgroup-checked points; a failure is
    re-raised as ``error`` with the underlying reason."""
    try:
        u = _scalar_from_bytes(raw[:SCALAR_SIZE])
        decoded = [
            Point.from_bytes(raw[SCALAR_SIZE + i * POINT_SIZE : SCALAR_SIZE + (i + 1) * POINT_SIZE])
            for i in range(points)
        ]
    except CryptoError as exc:
        raise error(str(exc), reason=exc.reason) from exc
    return u, decoded
