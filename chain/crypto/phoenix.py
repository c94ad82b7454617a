"""Phoenix keys, stealth addresses and notes: a Python reference of Dusk's ``phoenix-core``.

This module builds and opens notes; it proves nothing. A note made here hides its value from
whoever lacks the view key only because of AES-256-GCM and the Pedersen commitment; spending it
privately needs the transfer circuit, which is not here.

Keys (``dusk-protocol.md`` §2.3; phoenix ``core/src/keys/*.rs``)::

    sk = (a, b)            pk = (A = a·G, B = b·G)            vk = (a, B)
    H(P) = BLAKE2b-512(P.to_bytes()) as a little-endian integer, mod r_J     (hash_point)
    stealth address for a random r:   R = r·G,   note_pk = H(r·A)·G + B
    note_sk = H(a·R) + b                                   (so note_sk·G = note_pk)

``H`` is ``phoenix_core::hash``: ``JubJubScalar::hash_to_scalar`` of the 32-byte affine encoding
of the point, the form without a domain (dusk-jubjub 0.15, ``src/fr/dusk.rs``; BLAKE2b-512 with
no key and no personalisation, ``from_u512`` reduction). It is *not* Poseidon.

Notes (phoenix ``core/src/note.rs``, ``core/src/lib.rs``, ``core/src/encryption/aes.rs``)::

    note_type           0 transparent, 1 obfuscated
    value_commitment    value·G + blinder·G'     (blinder 0 when transparent; chain.crypto.pedersen)
    stealth_address     R ‖ note_pk              (64 bytes)
    pos                 u64, 2^64-1 until the note is placed in the tree
    value_enc           68 bytes. Obfuscated: nonce(12) ‖ AES-256-GCM(value u64 LE ‖ blinder 32 LE)
                        (40 B plaintext + 16 B tag) with key = HKDF-SHA256(salt = stealth address
                        bytes, ikm = (r·A).to_bytes(), info = b"Phoenix-Dusk", 32 bytes).
                        Transparent: value u64 LE, then 60 zero bytes.
    sender              ElGamal under note_pk of the sender's A and B: (k·G, A + k·note_pk) and
                        (k'·G, B + k'·note_pk), k and k' the two sender blinders; or 128 bytes of
                        contract information. Encoded as tag byte (0 / 1) ‖ 128 bytes.

    note hash  = Poseidon::digest(Domain::Other, [type, vc.u, vc.v, note_pk.u, note_pk.v, pos])[0]
    nullifier  = Poseidon::digest(Domain::Other, [npk'.u, npk'.v, pos])[0],   npk' = note_sk·G'

The note is encoded as ``type(1) ‖ value_commitment(32) ‖ stealth_address(64) ‖ pos(8, LE) ‖
value_enc(68) ‖ sender(129)`` = 302 bytes, as ``Note::to_bytes``. Points decode with the
prime-order subgroup check (``JubJubAffine::from_bytes``); the stealth address additionally
refuses the identity for ``R`` and ``note_pk`` as ``StealthAddress::from_bytes_checked`` does.

Where this differs from Dusk:

- :meth:`SecretKey.from_seed` is Gloam's rule (BLAKE2b-512 personalised ``GloamPhoenixSK``, see
  there); Dusk's wallet feeds a seeded ChaCha RNG to ``SecretKey::random``, so the same seed gives
  different keys here and in a Dusk wallet.
- Randomness comes from a ``random_bytes(n)`` callable (default :func:`secrets.token_bytes`); a
  scalar is 64 drawn bytes reduced mod r_J, like ``JubJubScalar::random``. ``r = 0`` is refused
  (it would give an identity ``R``, which the checked decoder refuses).
- :meth:`Note.value_opening` refuses a transparent note's value exactly as Dusk's
  ``value_opening`` does (commitment check), and reports failures as
  :class:`~chain.crypto.exceptions.NoteDecryptionFailed` reasons instead of ``Error`` variants.

Source read: dusk-network/phoenix at 3f57c8adb7a1fa5ce3eb2338f1d4a788e3a745c3 (phoenix-core
0.35.1): ``core/src/keys.rs``, ``core/src/keys/{secret,public,view}.rs``,
``core/src/stealth_address.rs``, ``core/src/note.rs``, ``core/src/encryption/aes.rs``,
``core/src/lib.rs``; dusk-network/jubjub at 09fde8ba03f896376dfe9b6bb3382684e06b925c
(``src/fr/dusk.rs`` ``hash_to_scalar``, ``src/dusk.rs`` ``dhke``); dusk-network/jubjub-elgamal at
2cb3ddda2576a28475b495f681c53f6b3d7d6bd1 (``src/lib.rs`` ``Encryption::encrypt``/``decrypt``).

Variable-time pure Python (see :mod:`chain.crypto.jubjub`): a reference and a test oracle, not a
wallet's constant-time implementation.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from chain.crypto import poseidon
from chain.crypto.exceptions import (
    InvalidInput,
    InvalidKey,
    InvalidPoint,
    InvalidScalar,
    NoteDecryptionFailed,
)
from chain.crypto.jubjub import (
    GENERATOR,
    GENERATOR_NUMS,
    POINT_SIZE,
    R_J,
    SCALAR_SIZE,
    Point,
    check_scalar,
    require_bytes,
    scalar_from_bytes,
    scalar_to_bytes,
)
from chain.crypto.pedersen import MAX_VALUE, value_commitment
from chain.crypto.poseidon import Domain

#: A ``random_bytes(n) -> n bytes`` source; the seam tests use to make notes deterministic.
RandomBytes = Callable[[int], bytes]

#: ``u64::MAX``: the position of an output note not yet placed in the notes tree.
UNPLACED_POS: Final = (1 << 64) - 1
MAX_POS: Final = UNPLACED_POS

SECRET_KEY_SIZE: Final = 64
PUBLIC_KEY_SIZE: Final = 64
VIEW_KEY_SIZE: Final = 64
STEALTH_ADDRESS_SIZE: Final = 64
NONCE_SIZE: Final = 12
TAG_SIZE: Final = 16
PLAINTEXT_SIZE: Final = 8 + SCALAR_SIZE
#: ``VALUE_ENC_SIZE`` of phoenix-core: 40 + 12 + 16.
VALUE_ENC_SIZE: Final = PLAINTEXT_SIZE + NONCE_SIZE + TAG_SIZE
SENDER_SIZE: Final = 1 + 4 * POINT_SIZE
NOTE_SIZE: Final = 1 + POINT_SIZE + STEALTH_ADDRESS_SIZE + 8 + VALUE_ENC_SIZE + SENDER_SIZE

_HKDF_INFO: Final = b"Phoenix-Dusk"
_SEED_PERSON: Final = b"GloamPhoenixSK\x00\x00"


# -- helpers ---------------------------------------------------------------------------------------


def _u64(value: object, name: str) -> int:
    if type(value) is not int:
        raise InvalidScalar(f"{name} must be an int, got {type(value).__name__}", reason="not_int")
    if not 0 <= value <= MAX_VALUE:
        raise InvalidScalar(f"{name} is not a u64 (0 ..= 2^64-1)", reason="value_out_of_range")
    return value


def _point(value: object, name: str) -> Point:
    if not isinstance(value, Point):
        raise InvalidPoint(f"{name} must be a Point, got {type(value).__name__}", reason="not_point")
    return value


def _decode_point(raw: bytes, what: str) -> Point:
    try:
        return Point.from_bytes(raw)
    except InvalidPoint as exc:
        raise InvalidPoint(f"{what}: {exc}", reason=exc.reason) from exc


def _random_scalar(random_bytes: RandomBytes, *, nonzero: bool = False) -> int:
    """``JubJubScalar::random``: 64 bytes, little-endian, reduced mod r_J (redrawn if zero and
    ``nonzero``)."""
    while True:
        raw = random_bytes(64)
        if len(raw) != 64:
            raise InvalidInput("random_bytes(64) returned the wrong length", reason="wrong_length")
        value = int.from_bytes(raw, "little") % R_J
        if value or not nonzero:
            return value


def hash_point(point: Point) -> int:
    """``phoenix_core::hash``: the Jubjub scalar ``BLAKE2b-512(point.to_bytes()) mod r_J``.

    ``point``: a :class:`Point`. Returns an int in ``[0, r_J)``. Source: phoenix
    ``core/src/keys.rs`` (``JubJubScalar::hash_to_scalar(&JubJubAffine::from(p).to_bytes())``),
    dusk-jubjub ``src/fr/dusk.rs`` (no domain: plain BLAKE2b-512, little-endian, ``from_u512``).
    """
    digest = hashlib.blake2b(_point(point, "point").to_bytes(), digest_size=64).digest()
    return int.from_bytes(digest, "little") % R_J


def derive_aes_key(shared: Point, salt: bytes) -> bytes:
    """The AES-256-GCM key of a Diffie-Hellman ``shared`` point: HKDF-SHA256(salt, ikm =
    shared.to_bytes(), info = "Phoenix-Dusk") → 32 bytes (phoenix ``core/src/encryption/aes.rs``).
    Citadel's request and licence encryption use it too (``chain.crypto.citadel``)."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=_HKDF_INFO).derive(shared.to_bytes())


# -- keys ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StealthAddress:
    """``R = r·G`` and the one-time ``note_pk`` (phoenix ``core/src/stealth_address.rs``).

    Encoding: ``R.to_bytes() ‖ note_pk.to_bytes()``, 64 bytes.
    """

    R: Point  # noqa: N815 - the protocol's name
    note_pk: Point

    def __post_init__(self) -> None:
        _point(self.R, "R")
        _point(self.note_pk, "note_pk")

    def to_bytes(self) -> bytes:
        return self.R.to_bytes() + self.note_pk.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> StealthAddress:
        """Decode 64 bytes as ``StealthAddress::from_bytes_checked``: both points in the
        prime-order subgroup and neither the identity.

        Raises :class:`InvalidPoint` (``not_bytes``, ``wrong_length``, ``non_canonical``,
        ``not_on_curve``, ``not_in_subgroup``, ``identity``).
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidPoint("a stealth address must be bytes", reason="not_bytes")
        raw = bytes(data)
        if len(raw) != STEALTH_ADDRESS_SIZE:
            raise InvalidPoint(f"a stealth address is 64 bytes, not {len(raw)}", reason="wrong_length")
        r_point = _decode_point(raw[:32], "stealth address R")
        note_pk = _decode_point(raw[32:], "stealth address note_pk")
        if r_point.is_identity() or note_pk.is_identity():
            raise InvalidPoint("a stealth address point is the identity", reason="identity")
        return cls(r_point, note_pk)


@dataclass(frozen=True, slots=True)
class PublicKey:
    """``(A = a·G, B = b·G)`` (phoenix ``core/src/keys/public.rs``). Encoding ``A ‖ B``, 64 bytes."""

    A: Point  # noqa: N815
    B: Point  # noqa: N815

    def __post_init__(self) -> None:
        _point(self.A, "A")
        _point(self.B, "B")

    def stealth_address(self, r: int) -> StealthAddress:
        """``R = r·G``, ``note_pk = H(r·A)·G + B`` (``PublicKey::gen_stealth_address``).

        ``r``: int in ``[1, r_J)``. Raises :class:`InvalidScalar` (``not_int``,
        ``scalar_out_of_range``; 0 is refused: it would make ``R`` the identity).
        """
        check_scalar(r, name="r")
        if r == 0:
            raise InvalidScalar("r must not be 0 (R would be the identity)", reason="scalar_out_of_range")
        return StealthAddress(GENERATOR * r, GENERATOR * hash_point(self.A * r) + self.B)

    def to_bytes(self) -> bytes:
        return self.A.to_bytes() + self.B.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> PublicKey:
        """Raises :class:`InvalidKey` (``not_bytes``, ``wrong_length``) or :class:`InvalidPoint`
        (the Jubjub reasons) for a point that does not decode."""
        raw = require_bytes(data, PUBLIC_KEY_SIZE, InvalidKey, "a Phoenix public key")
        return cls(_decode_point(raw[:32], "public key A"), _decode_point(raw[32:], "public key B"))


@dataclass(frozen=True, slots=True)
class ViewKey:
    """``(a, B)``: finds a key's notes and opens their values, cannot spend them
    (phoenix ``core/src/keys/view.rs``). Encoding ``a (32 LE) ‖ B``, 64 bytes."""

    a: int
    B: Point  # noqa: N815

    def __post_init__(self) -> None:
        check_scalar(self.a, name="a")
        _point(self.B, "B")

    def __repr__(self) -> str:
        return f"ViewKey(a=<secret>, B={self.B!r})"

    def owns(self, stealth_address: StealthAddress) -> bool:
        """``note_pk == H(a·R)·G + B`` (``ViewKey::owns``)."""
        return stealth_address.note_pk == GENERATOR * hash_point(stealth_address.R * self.a) + self.B

    def public_key(self) -> PublicKey:
        return PublicKey(GENERATOR * self.a, self.B)

    def to_bytes(self) -> bytes:
        return scalar_to_bytes(self.a) + self.B.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> ViewKey:
        """Raises :class:`InvalidKey` (``not_bytes``, ``wrong_length``), :class:`InvalidScalar`
        (``scalar_out_of_range``) or :class:`InvalidPoint`."""
        raw = require_bytes(data, VIEW_KEY_SIZE, InvalidKey, "a Phoenix view key")
        return cls(scalar_from_bytes(raw[:32]), _decode_point(raw[32:], "view key B"))


@dataclass(frozen=True, slots=True)
class SecretKey:
    """``(a, b)`` (phoenix ``core/src/keys/secret.rs``). Encoding ``a ‖ b``, 32 bytes LE each.

    ``a`` and ``b`` are ints in ``[0, r_J)`` (Dusk accepts 0 too; :meth:`from_seed` never makes
    it). Raises :class:`InvalidScalar` (``not_int``, ``scalar_out_of_range``).
    """

    a: int
    b: int

    def __post_init__(self) -> None:
        check_scalar(self.a, name="a")
        check_scalar(self.b, name="b")

    def __repr__(self) -> str:
        return "SecretKey(<secret>)"

    @classmethod
    def from_seed(cls, seed: bytes, index: int = 0) -> SecretKey:
        """Gloam's deterministic key derivation (not Dusk's, see the module docstring).

        ``seed``: 32 or 64 bytes; ``index``: u64. For ``part`` in ``b"a"``, ``b"b"``::

            scalar = BLAKE2b-512(seed ‖ index (8 B LE) ‖ part, person = b"GloamPhoenixSK\\0\\0")
                     read little-endian, mod r_J

        Raises :class:`InvalidInput` (``not_bytes``, ``seed_length``), :class:`InvalidScalar` for a
        bad index, and :class:`InvalidKey` (``secret_key_out_of_range``) if a scalar is 0
        (probability about 2^-251).
        """
        if not isinstance(seed, bytes | bytearray | memoryview):
            raise InvalidInput("a seed must be bytes", reason="not_bytes")
        raw = bytes(seed)
        if len(raw) not in (32, 64):
            raise InvalidInput(f"a seed is 32 or 64 bytes, not {len(raw)}", reason="seed_length")
        idx = _u64(index, "index").to_bytes(8, "little")
        parts = []
        for part in (b"a", b"b"):
            digest = hashlib.blake2b(raw + idx + part, digest_size=64, person=_SEED_PERSON).digest()
            scalar = int.from_bytes(digest, "little") % R_J
            if scalar == 0:
                raise InvalidKey("seed derives a zero scalar", reason="secret_key_out_of_range")
            parts.append(scalar)
        return cls(parts[0], parts[1])

    def public_key(self) -> PublicKey:
        return PublicKey(GENERATOR * self.a, GENERATOR * self.b)

    def view_key(self) -> ViewKey:
        return ViewKey(self.a, GENERATOR * self.b)

    def note_secret_key(self, stealth_address: StealthAddress) -> int:
        """``note_sk = H(a·R) + b mod r_J`` (``SecretKey::gen_note_sk``): the Schnorr secret
        key of the note (:mod:`chain.crypto.schnorr`), with ``note_sk·G == note_pk`` when owned."""
        return (hash_point(stealth_address.R * self.a) + self.b) % R_J

    def owns(self, stealth_address: StealthAddress) -> bool:
        """``note_sk·G == note_pk`` (``SecretKey::owns``)."""
        return GENERATOR * self.note_secret_key(stealth_address) == stealth_address.note_pk

    def to_bytes(self) -> bytes:
        return scalar_to_bytes(self.a) + scalar_to_bytes(self.b)

    @classmethod
    def from_bytes(cls, data: bytes) -> SecretKey:
        """Raises :class:`InvalidKey` (``not_bytes``, ``wrong_length``) or :class:`InvalidScalar`
        (``scalar_out_of_range``)."""
        raw = require_bytes(data, SECRET_KEY_SIZE, InvalidKey, "a Phoenix secret key")
        return cls(scalar_from_bytes(raw[:32]), scalar_from_bytes(raw[32:]))


# -- notes -----------------------------------------------------------------------------------------


class NoteType(IntEnum):
    """``NoteType``: the value is in clear (transparent) or encrypted (obfuscated)."""

    TRANSPARENT = 0
    OBFUSCATED = 1


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent a note (phoenix ``Sender``): either ``encryption`` = ElGamal of the sender's
    ``(A, B)`` under ``note_pk``, two ``(c1, c2)`` pairs, or 128 bytes of ``contract_info``.

    Encoding: ``0 ‖ A.c1 ‖ A.c2 ‖ B.c1 ‖ B.c2`` or ``1 ‖ contract_info``, 129 bytes.
    """

    encryption: tuple[tuple[Point, Point], tuple[Point, Point]] | None = None
    contract_info: bytes | None = None

    def __post_init__(self) -> None:
        if (self.encryption is None) == (self.contract_info is None):
            raise InvalidInput("a sender is an encryption or contract info", reason="invalid_sender")
        if self.contract_info is not None:
            info = require_bytes(self.contract_info, 4 * POINT_SIZE, InvalidInput, "sender contract info")
            object.__setattr__(self, "contract_info", info)
        if self.encryption is not None:
            for pair in self.encryption:
                for point in pair:
                    _point(point, "sender ciphertext")

    @classmethod
    def encrypt(cls, note_pk: Point, sender_pk: PublicKey, blinders: tuple[int, int]) -> Sender:
        """``Sender::encrypt``: ElGamal ``(k·G, P + k·note_pk)`` for ``P = A`` with ``k =
        blinders[0]`` and ``P = B`` with ``k = blinders[1]`` (jubjub-elgamal ``encrypt`` with
        the default generator). Raises :class:`InvalidScalar` for a bad blinder."""
        k_a = check_scalar(blinders[0], name="sender blinder A")
        k_b = check_scalar(blinders[1], name="sender blinder B")
        return cls(
            encryption=(
                (GENERATOR * k_a, sender_pk.A + note_pk * k_a),
                (GENERATOR * k_b, sender_pk.B + note_pk * k_b),
            )
        )

    def decrypt(self, note_sk: int) -> PublicKey:
        """``Sender::decrypt``: ``c2 - note_sk·c1`` for each pair. A wrong key gives an unrelated
        public key, not an error (as Dusk). Raises :class:`InvalidInput` (``invalid_sender``) for
        contract info."""
        check_scalar(note_sk, name="note_sk")
        if self.encryption is None:
            raise InvalidInput("contract-info sender has no encrypted key", reason="invalid_sender")
        (a1, a2), (b1, b2) = self.encryption
        return PublicKey(a2 - a1 * note_sk, b2 - b1 * note_sk)

    def to_bytes(self) -> bytes:
        if self.encryption is not None:
            (a1, a2), (b1, b2) = self.encryption
            return b"\x00" + a1.to_bytes() + a2.to_bytes() + b1.to_bytes() + b2.to_bytes()
        assert self.contract_info is not None
        return b"\x01" + bytes(self.contract_info)

    @classmethod
    def from_bytes(cls, data: bytes) -> Sender:
        """Raises :class:`InvalidInput` (``not_bytes``, ``wrong_length``, ``invalid_sender`` for a
        tag other than 0 or 1) or :class:`InvalidPoint`."""
        raw = require_bytes(data, SENDER_SIZE, InvalidInput, "a sender")
        if raw[0] == 1:
            return cls(contract_info=raw[1:])
        if raw[0] != 0:
            raise InvalidInput(f"sender tag {raw[0]} is neither 0 nor 1", reason="invalid_sender")
        pts = [_decode_point(raw[1 + 32 * i : 33 + 32 * i], "sender ciphertext") for i in range(4)]
        return cls(encryption=((pts[0], pts[1]), (pts[2], pts[3])))


@dataclass(frozen=True, slots=True)
class Note:
    """A Phoenix note (phoenix ``core/src/note.rs``); fields and encoding in the module docstring.

    Build with :meth:`transparent` / :meth:`obfuscated`; decode with :meth:`from_bytes`.
    """

    note_type: NoteType
    value_commitment: Point
    stealth_address: StealthAddress
    pos: int
    value_enc: bytes
    sender: Sender

    def __post_init__(self) -> None:
        if not isinstance(self.note_type, NoteType):
            raise InvalidInput("note_type must be a NoteType", reason="invalid_note_type")
        _point(self.value_commitment, "value_commitment")
        if not isinstance(self.stealth_address, StealthAddress):
            raise InvalidInput("stealth_address must be a StealthAddress", reason="not_stealth_address")
        _u64(self.pos, "pos")
        object.__setattr__(
            self, "value_enc", require_bytes(self.value_enc, VALUE_ENC_SIZE, InvalidInput, "value_enc")
        )
        if not isinstance(self.sender, Sender):
            raise InvalidInput("sender must be a Sender", reason="invalid_sender")

    # -- construction --------------------------------------------------------------------------

    @classmethod
    def transparent(
        cls,
        sender_pk: PublicKey,
        receiver_pk: PublicKey,
        value: int,
        *,
        r: int | None = None,
        sender_blinders: tuple[int, int] | None = None,
        pos: int = UNPLACED_POS,
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> Note:
        """A transparent note of ``value`` (u64) to ``receiver_pk`` (``Note::transparent``).

        ``r`` (the stealth scalar, in ``[1, r_J)``) and ``sender_blinders`` are drawn from
        ``random_bytes`` when not given (``r`` first, then the two blinders). Raises
        :class:`InvalidScalar` (``value_out_of_range``, ``scalar_out_of_range``, ``not_int``).
        """
        _u64(value, "value")
        r = _random_scalar(random_bytes, nonzero=True) if r is None else r
        stealth = receiver_pk.stealth_address(r)
        if sender_blinders is None:
            sender_blinders = (_random_scalar(random_bytes), _random_scalar(random_bytes))
        value_enc = value.to_bytes(8, "little") + bytes(VALUE_ENC_SIZE - 8)
        return cls(
            NoteType.TRANSPARENT,
            value_commitment(value, 0),
            stealth,
            _u64(pos, "pos"),
            value_enc,
            Sender.encrypt(stealth.note_pk, sender_pk, sender_blinders),
        )

    @classmethod
    def obfuscated(
        cls,
        sender_pk: PublicKey,
        receiver_pk: PublicKey,
        value: int,
        blinder: int | None = None,
        *,
        r: int | None = None,
        sender_blinders: tuple[int, int] | None = None,
        nonce: bytes | None = None,
        pos: int = UNPLACED_POS,
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> Note:
        """An obfuscated note of ``value`` (u64) to ``receiver_pk`` (``Note::obfuscated``).

        The value commitment is ``value·G + blinder·G'``; ``value ‖ blinder`` is encrypted with
        AES-256-GCM under ``HKDF(r·A)`` (module docstring). Missing randomness is drawn from
        ``random_bytes`` in the order ``blinder``, ``r``, the 12-byte ``nonce``, the two sender
        blinders. Raises :class:`InvalidScalar` and :class:`InvalidInput` (a nonce that is not
        12 bytes).
        """
        _u64(value, "value")
        blinder = _random_scalar(random_bytes) if blinder is None else check_scalar(blinder, name="blinder")
        r = _random_scalar(random_bytes, nonzero=True) if r is None else r
        stealth = receiver_pk.stealth_address(r)
        if nonce is None:
            nonce = random_bytes(NONCE_SIZE)
        nonce = require_bytes(nonce, NONCE_SIZE, InvalidInput, "the AES-GCM nonce")
        if sender_blinders is None:
            sender_blinders = (_random_scalar(random_bytes), _random_scalar(random_bytes))
        key = derive_aes_key(receiver_pk.A * r, stealth.to_bytes())
        plaintext = value.to_bytes(8, "little") + scalar_to_bytes(blinder)
        value_enc = nonce + AESGCM(key).encrypt(nonce, plaintext, None)
        return cls(
            NoteType.OBFUSCATED,
            value_commitment(value, blinder),
            stealth,
            _u64(pos, "pos"),
            value_enc,
            Sender.encrypt(stealth.note_pk, sender_pk, sender_blinders),
        )

    def with_pos(self, pos: int) -> Note:
        """This note placed at ``pos`` (u64) in the tree (``Note::set_pos``)."""
        return replace(self, pos=_u64(pos, "pos"))

    # -- opening -------------------------------------------------------------------------------

    def value_opening(self, view_key: ViewKey | None = None) -> tuple[int, int]:
        """``(value, blinder)`` checked against the value commitment (``Note::value_opening``).

        Transparent notes need no key (the value is in clear, blinder 0). Obfuscated notes need the
        receiver's view key. Raises :class:`NoteDecryptionFailed`: ``missing_view_key``,
        ``decryption_failed`` (the key does not own the note, or ``value_enc`` or the stealth
        address was altered), ``blinder_out_of_range``, ``commitment_mismatch``.
        """
        if self.note_type is NoteType.TRANSPARENT:
            value, blinder = int.from_bytes(self.value_enc[:8], "little"), 0
        else:
            if view_key is None:
                raise NoteDecryptionFailed("an obfuscated note needs a view key", reason="missing_view_key")
            shared = self.stealth_address.R * view_key.a
            key = derive_aes_key(shared, self.stealth_address.to_bytes())
            nonce, body = self.value_enc[:NONCE_SIZE], self.value_enc[NONCE_SIZE:]
            try:
                plaintext = AESGCM(key).decrypt(nonce, body, None)
            except InvalidTag as exc:
                raise NoteDecryptionFailed(
                    "value_enc does not decrypt: wrong view key or altered note", reason="decryption_failed"
                ) from exc
            value = int.from_bytes(plaintext[:8], "little")
            try:
                blinder = scalar_from_bytes(plaintext[8:])
            except InvalidScalar as exc:
                raise NoteDecryptionFailed(
                    "decrypted blinder is not a scalar", reason="blinder_out_of_range"
                ) from exc
        if value_commitment(value, blinder) != self.value_commitment:
            raise NoteDecryptionFailed(
                "the opening does not match the value commitment", reason="commitment_mismatch"
            )
        return value, blinder

    def value(self, view_key: ViewKey | None = None) -> int:
        """The value (u64) of :meth:`value_opening`; same errors."""
        return self.value_opening(view_key)[0]

    # -- hashes --------------------------------------------------------------------------------

    def hash_inputs(self) -> list[int]:
        """``[type, vc.u, vc.v, note_pk.u, note_pk.v, pos]`` (``Note::hash_inputs``)."""
        return [
            int(self.note_type),
            *self.value_commitment.affine(),
            *self.stealth_address.note_pk.affine(),
            self.pos,
        ]

    def hash(self) -> int:
        """``Poseidon::digest(Domain::Other, hash_inputs)[0]`` (``Note::hash``): the leaf of the
        notes tree, an element of the BLS12-381 scalar field."""
        return poseidon.hash(self.hash_inputs(), Domain.OTHER)

    def nullifier(self, secret_key: SecretKey) -> int:
        """``Poseidon::digest(Domain::Other, [npk'.u, npk'.v, pos])[0]`` with ``npk' =
        note_sk·G'`` (``Note::gen_nullifier``). Needs the secret key: a view key cannot make it.
        Computed for any key (as Dusk); it is the owner's nullifier only if the key owns the note."""
        if not isinstance(secret_key, SecretKey):
            raise InvalidKey("a nullifier needs a SecretKey", reason="not_secret_key")
        npk_prime = GENERATOR_NUMS * secret_key.note_secret_key(self.stealth_address)
        return poseidon.hash([*npk_prime.affine(), self.pos], Domain.OTHER)

    # -- encoding ------------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """The 302-byte ``Note::to_bytes`` encoding."""
        return (
            bytes([int(self.note_type)])
            + self.value_commitment.to_bytes()
            + self.stealth_address.to_bytes()
            + self.pos.to_bytes(8, "little")
            + self.value_enc
            + self.sender.to_bytes()
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Note:
        """Decode 302 bytes. Raises :class:`InvalidInput` (``not_bytes``, ``wrong_length``,
        ``invalid_note_type``, ``invalid_sender``) or :class:`InvalidPoint`."""
        raw = require_bytes(data, NOTE_SIZE, InvalidInput, "a note")
        if raw[0] not in (0, 1):
            raise InvalidInput(f"note type {raw[0]} is neither 0 nor 1", reason="invalid_note_type")
        off = 1
        vc = _decode_point(raw[off : off + 32], "value commitment")
        off += 32
        stealth = StealthAddress.from_bytes(raw[off : off + STEALTH_ADDRESS_SIZE])
        off += STEALTH_ADDRESS_SIZE
        pos = int.from_bytes(raw[off : off + 8], "little")
        off += 8
        value_enc = raw[off : off + VALUE_ENC_SIZE]
        off += VALUE_ENC_SIZE
        return cls(NoteType(raw[0]), vc, stealth, pos, value_enc, Sender.from_bytes(raw[off:]))


# -- scanning --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OwnedNote:
    """A note a view key owns, placed at ``pos``, with its opened ``value`` and ``blinder``."""

    pos: int
    note: Note
    value: int
    blinder: int


def scan(view_key: ViewKey, notes: Iterable[tuple[int, Note]]) -> Iterator[OwnedNote]:
    """The notes of ``notes`` (``(pos, note)`` pairs, in tree order) that ``view_key`` owns.

    Lazy: the wallet feeds it from its position cursor and stops when it likes. A note given
    with the unplaced position ``2^64-1`` is placed at ``pos``; any other mismatch raises
    :class:`InvalidInput` (``position_mismatch``). An owned note whose value does not open
    (a sender can address garbage to anyone) is skipped, not raised: scanning must survive
    hostile notes.
    """
    if not isinstance(view_key, ViewKey):
        raise InvalidKey("scan needs a ViewKey", reason="not_view_key")
    for pos, note in notes:
        _u64(pos, "pos")
        if note.pos != pos:
            if note.pos != UNPLACED_POS:
                raise InvalidInput(f"note at {pos} says pos {note.pos}", reason="position_mismatch")
            note = note.with_pos(pos)
        if not view_key.owns(note.stealth_address):
            continue
        try:
            value, blinder = note.value_opening(view_key)
        except NoteDecryptionFailed:
            continue
        yield OwnedNote(pos, note, value, blinder)
