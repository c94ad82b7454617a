"""Citadel licences and sessions: a Python reference of Dusk's ``citadel-core``, and the inputs
of Gloam's licence circuit.

Nothing here proves anything in zero knowledge. The licence circuit
(``circuits/src/citadel.circom``, main ``citadel_license`` = ``CitadelLicense(17, 8)``) exists
as constraints and a witness generator only: it has no trusted setup, so no proof is produced
or verified with it. What it constrains is checked in clear by :func:`check_license_statement`
(Dusk's 8 public inputs) and :func:`check_gloam_license_statement` (the circuit's 22 public
signals, with Gloam's attribute predicates), which see every witness; :func:`license_circuit_input`
and :func:`license_circuit_public_signals` give the circuit's snarkjs input and public signals.
A session opened here hides nothing from whoever holds the witness.

Spec: ``/work/shared/reference/dusk-protocol.md`` §6 (Citadel) and §8 (Poseidon, Jubjub,
Schnorr). Upstream read (to learn the algorithm; no code copied): dusk-network/citadel at
``b379be431277e23524aadb79264a1579903fabc5``: ``docs/specs.md``, ``README.md``,
``core/src/helpers.rs`` (domains, hashes, salts), ``core/src/signatures.rs`` (the two Citadel
Schnorr transcripts), ``core/src/assets/{request,license,session}.rs`` and
``core/src/zk/gadgets.rs`` (the ``use_license`` gadget, public-input order).

Hashes (all ``poseidon.hash(.., Domain.OTHER)``, first element a deployment/domain context)::

    ctx(domain)           = H(0, deployment_id, tag(domain))          tag: see CitadelDomain
    license leaf          = H(ctx(LICENSE_HASH), lpk.u, lpk.v)
    msg_lic               = H(ctx(LICENSE_SIG_MSG), lpk.u, lpk.v, attr_data)
    session_id            = H(ctx(SESSION_ID), lpk'.u, lpk'.v, c)
    session_hash          = H(ctx(SESSION_HASH), pk_sp.A.u, pk_sp.A.v, r)
    com_0                 = H(ctx(LP_COMMITMENT), pk_lp.A.u, pk_lp.A.v, s_0)
    com_1 = attr_data·G + s_1·G'          com_2 = c·G + s_2·G'
    session_auth          = H(ctx(SESSION_AUTH), the 8 public inputs)
    attr_data             = Ht(ctx(ATTR_DATA), schema_id, attributes_digest, r_attr)

``Ht`` is ``hash_truncated`` (a Jubjub scalar). ``lpk = note_pk`` of the licence stealth address
``lsa`` (``= lsk·G``), ``lpk' = lsk·G'``, ``lsk`` the Phoenix ``note_sk`` of ``lsa``.

Citadel's Schnorr signatures are its own transcripts, not ``jubjub-schnorr``'s
(:mod:`chain.crypto.schnorr`): ``z = k + ch·sk`` and ``z·G == R + ch·PK`` with
``ch = Ht(ctx(LICENSE_SIG_CHALLENGE), PK.u, PK.v, R.u, R.v, msg)``; the session double-key
signature also has ``R' = k·G'``, checks ``z·G' == R' + ch·lpk'`` and takes
``ch = Ht(ctx(SESSION_SIG_CHALLENGE), lpk, lpk', R, R', session_auth)`` (coordinates u, v).

Encryption reuses Phoenix's AES-256-GCM (HKDF-SHA256 of the shared point, the salt below,
info ``Phoenix-Dusk``; ciphertext ``nonce(12) ‖ AES-GCM(plaintext) ‖ tag(16)``):

- request: key ``r_dh·pk_lp.A`` (``rsa = pk_lp.stealth_address(r_dh)``), salt
  ``H(ctx(REQUEST_KEY), version, deployment_id, rsa.note_pk, rsa.R, pk_lp.A, pk_lp.B)``,
  plaintext ``lsa(64) ‖ k_lic(32) ‖ version(32) ‖ deployment_id(32) ‖ pk_lp(64)``;
- licence: key ``k_lic = Ht(ctx(LICENSE_KEY), lsk, lpk.u, lpk.v, lsa.R.u, lsa.R.v)·G`` (from a
  request) or ``r·pk_user.A`` (issued straight to a public key), salt
  ``H(ctx(LICENSE_KEY), version, deployment_id, lsa.note_pk, lsa.R)``, plaintext
  ``sig(z 32 ‖ R 32) ‖ attr_data(32) ‖ pk_lp(64) ‖ context(6 × 32)``.

Gloam's attribute encoding (Dusk leaves the digest to the deployment):
``attributes_digest = H(ctx(ATTR_DATA), n, a_1, …, a_n)`` over the attributes as field
elements (:func:`attributes_digest`), then ``attr_data`` as above with a random Jubjub blinder
``r_attr``. Gloam's deployment id defaults to 0, Dusk's ``DEFAULT_DEPLOYMENT``.

Gloam's attribute schema (:class:`GloamAttributes`, schema id :data:`GLOAM_SCHEMA_ID`): exactly
4 attributes ``[jurisdiction, accredited, birth_date, expiry]``: ``jurisdiction`` an ISO 3166-1
numeric code (1..999), ``accredited`` 0 or 1, ``birth_date`` and ``expiry`` days since
1970-01-01 as signed 32-bit integers (negative before 1970; the field element of ``-n`` is
``q - n``). ``digest = attributes_digest(to_fields())``, ``attr_data = attr_data(schema_id,
digest, r_attr)``. A verifier's :class:`AttributePolicy` asks: jurisdiction in a set of up to 8,
accredited if required, ``birth_date <= adult_cutoff``, ``today <= expiry``
(:func:`check_attribute_predicates`).

Randomness is a ``random_bytes(n)`` callable (default :func:`secrets.token_bytes`): a Jubjub
scalar takes 64 bytes mod ``r_J`` and a BLS scalar 64 bytes mod ``q``, drawn in upstream's order.
No upstream test gives seeded fixed vectors, so byte-for-byte agreement with Rust is not tested.

Variable-time pure Python: a reference and a test oracle.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import IntEnum
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chain.crypto import poseidon
from chain.crypto.exceptions import (
    CitadelRefused,
    InvalidFieldElement,
    InvalidInput,
    InvalidPoint,
    InvalidScalar,
)
from chain.crypto.jubjub import GENERATOR, GENERATOR_NUMS, R_J, Point, check_scalar
from chain.crypto.jubjub import scalar_from_bytes as jj_from_bytes
from chain.crypto.jubjub import scalar_to_bytes as jj_to_bytes
from chain.crypto.phoenix import (
    NONCE_SIZE,
    PUBLIC_KEY_SIZE,
    STEALTH_ADDRESS_SIZE,
    TAG_SIZE,
    PublicKey,
    SecretKey,
    StealthAddress,
    derive_aes_key,
)
from chain.crypto.poseidon import MODULUS
from chain.crypto.poseidon import scalar_from_bytes as fe_from_bytes
from chain.crypto.poseidon import scalar_to_bytes as fe_to_bytes
from chain.crypto.poseidon_merkle import NoteOpening, compute_digits, verify_opening

RandomBytes = Callable[[int], bytes]

OBJECT_VERSION_V1: Final = 1
COOKIE_MODE_BASE: Final = 1
DEFAULT_DEPLOYMENT_ID: Final = 0
PUBLIC_INPUTS_LEN: Final = 8
ENCRYPTION_EXTRA_SIZE: Final = NONCE_SIZE + TAG_SIZE
REQUEST_PLAINTEXT_SIZE: Final = STEALTH_ADDRESS_SIZE + 32 + 32 + 32 + PUBLIC_KEY_SIZE
LICENSE_SIGNATURE_SIZE: Final = 64
LICENSE_CONTEXT_SIZE: Final = 6 * 32
LICENSE_PLAINTEXT_SIZE: Final = LICENSE_SIGNATURE_SIZE + 32 + PUBLIC_KEY_SIZE + LICENSE_CONTEXT_SIZE


class CitadelDomain(IntEnum):
    """Citadel's Poseidon domain tags (``CitadelDomain::tag``, ``core/src/helpers.rs``)."""

    STEALTH_DERIVE = 0x01
    REQUEST_KEY = 0x02
    LICENSE_KEY = 0x03
    LICENSE_HASH = 0x04
    LICENSE_SIG_MSG = 0x05
    SESSION_HASH = 0x06
    SESSION_AUTH = 0x07
    SESSION_ID = 0x08
    LP_COMMITMENT = 0x09
    REQUEST_ID = 0x0A
    LICENSE_SIG_CHALLENGE = 0x0B
    SESSION_SIG_CHALLENGE = 0x0C
    ATTR_DATA = 0x0D
    POLICY_ID = 0x0E
    POLICY_CHALLENGE = 0x0F


# -- hashes ----------------------------------------------------------------------------------------


def context(domain: CitadelDomain, deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> int:
    """``Deployment::context``: ``H(0, deployment_id, tag)``, a BLS scalar."""
    return poseidon.hash([0, deployment_id, int(domain)])


def _h(domain: CitadelDomain, tail: Sequence[int], deployment_id: int) -> int:
    return poseidon.hash([context(domain, deployment_id), *tail])


def _ht(domain: CitadelDomain, tail: Sequence[int], deployment_id: int) -> int:
    return poseidon.hash_truncated([context(domain, deployment_id), *tail])


def _uv(point: Point) -> tuple[int, int]:
    return point.affine()


def license_hash(lpk: Point, deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> int:
    """The licence's tree leaf ``H(ctx(LICENSE_HASH), lpk.u, lpk.v)`` (``license_hash``)."""
    return _h(CitadelDomain.LICENSE_HASH, _uv(lpk), deployment_id)


def license_sig_message(lpk: Point, attr_data: int, deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> int:
    """``H(ctx(LICENSE_SIG_MSG), lpk.u, lpk.v, attr_data)``: what the LP signs."""
    return _h(
        CitadelDomain.LICENSE_SIG_MSG, [*_uv(lpk), check_scalar(attr_data, name="attr_data")], deployment_id
    )


def session_id(lpk_p: Point, c: int, deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> int:
    """``H(ctx(SESSION_ID), lpk'.u, lpk'.v, c)``: the session nullifier (same licence and
    challenge, same id)."""
    return _h(CitadelDomain.SESSION_ID, [*_uv(lpk_p), check_scalar(c, name="c")], deployment_id)


def session_hash(pk_sp_a: Point, r_session: int, deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> int:
    """``H(ctx(SESSION_HASH), pk_sp.A.u, pk_sp.A.v, r)``."""
    return _h(CitadelDomain.SESSION_HASH, [*_uv(pk_sp_a), r_session], deployment_id)


def lp_commitment(pk_lp_a: Point, s_0: int, deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> int:
    """``com_0 = H(ctx(LP_COMMITMENT), pk_lp.A.u, pk_lp.A.v, s_0)``."""
    return _h(CitadelDomain.LP_COMMITMENT, [*_uv(pk_lp_a), s_0], deployment_id)


def pedersen(value: int, blinder: int) -> Point:
    """``value·G + blinder·G'`` (``com_1``, ``com_2``); both Jubjub scalars."""
    return GENERATOR * check_scalar(value, name="value") + GENERATOR_NUMS * check_scalar(
        blinder, name="blinder"
    )


def session_auth(public_inputs: Sequence[int], deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> int:
    """``H(ctx(SESSION_AUTH), session_id, session_hash, com_0, com_1.u, com_1.v, com_2.u,
    com_2.v, root)``: the message of the double-key signature."""
    return _h(CitadelDomain.SESSION_AUTH, _check_public_inputs(public_inputs), deployment_id)


def attributes_digest(attributes: Sequence[int], deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> int:
    """Gloam's canonical attributes digest: ``H(ctx(ATTR_DATA), n, a_1, …, a_n)``, attributes
    as BLS field elements. Raises :class:`InvalidFieldElement`."""
    values = poseidon.check_elements(attributes)
    return _h(CitadelDomain.ATTR_DATA, [len(values), *values], deployment_id)


def attr_data(schema_id: int, digest: int, r_attr: int, deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> int:
    """``attr_data = Ht(ctx(ATTR_DATA), schema_id, digest, r_attr)`` (``helpers::attr_data``), a
    Jubjub scalar. Raises :class:`InvalidFieldElement` / :class:`InvalidScalar`."""
    return _ht(
        CitadelDomain.ATTR_DATA, [schema_id, digest, check_scalar(r_attr, name="r_attr")], deployment_id
    )


def license_key(lsk: int, lsa: StealthAddress, deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> Point:
    """``k_lic = Ht(ctx(LICENSE_KEY), lsk, lpk.u, lpk.v, R.u, R.v)·G`` (``helpers::license_key``)."""
    return GENERATOR * _ht(CitadelDomain.LICENSE_KEY, [lsk, *_uv(lsa.note_pk), *_uv(lsa.R)], deployment_id)


def _sa_fields(sa: StealthAddress) -> list[int]:
    return [*_uv(sa.note_pk), *_uv(sa.R)]


def request_encryption_salt(rsa: StealthAddress, pk_lp: PublicKey, deployment_id: int, version: int) -> bytes:
    tail = [version, deployment_id, *_sa_fields(rsa), *_uv(pk_lp.A), *_uv(pk_lp.B)]
    return fe_to_bytes(_h(CitadelDomain.REQUEST_KEY, tail, deployment_id))


def license_encryption_salt(lsa: StealthAddress, deployment_id: int, version: int) -> bytes:
    tail = [version, deployment_id, *_sa_fields(lsa)]
    return fe_to_bytes(_h(CitadelDomain.LICENSE_KEY, tail, deployment_id))


def _bytes_as_fields(data: bytes) -> list[int]:
    """``push_bytes_as_fields``: the length, then 31-byte little-endian chunks."""
    return [len(data), *(int.from_bytes(data[i : i + 31], "little") for i in range(0, len(data), 31))]


# -- helpers ---------------------------------------------------------------------------------------


def _jj_random(random_bytes: RandomBytes) -> int:
    return int.from_bytes(_draw(random_bytes, 64), "little") % R_J


def _fe_random(random_bytes: RandomBytes) -> int:
    return int.from_bytes(_draw(random_bytes, 64), "little") % MODULUS


def _draw(random_bytes: RandomBytes, n: int) -> bytes:
    raw = random_bytes(n)
    if len(raw) != n:
        raise InvalidInput(f"random_bytes({n}) returned {len(raw)} bytes", reason="wrong_length")
    return raw


def _encrypt(shared: Point, salt: bytes, plaintext: bytes, random_bytes: RandomBytes) -> bytes:
    nonce = _draw(random_bytes, NONCE_SIZE)
    return nonce + AESGCM(derive_aes_key(shared, salt)).encrypt(nonce, plaintext, None)


def _decrypt(shared: Point, salt: bytes, enc: bytes) -> bytes | None:
    try:
        return AESGCM(derive_aes_key(shared, salt)).decrypt(enc[:NONCE_SIZE], enc[NONCE_SIZE:], None)
    except InvalidTag:
        return None


def is_valid_witness_point(point: Point) -> bool:
    """The circuit's ``assert_valid_witness_point``: on the curve (every :class:`Point` is),
    not the identity and ``8·P`` not the identity (not of small order)."""
    return isinstance(point, Point) and not point.is_identity() and not point.is_small_order()


def _is_valid_key_point(point: Point) -> bool:
    """``public_key_point_is_valid``: prime order and not the identity."""
    return not point.is_identity() and point.is_prime_order()


def _check_public_inputs(public_inputs: Sequence[int]) -> list[int]:
    if len(public_inputs) != PUBLIC_INPUTS_LEN:
        raise InvalidInput(
            f"a session has {PUBLIC_INPUTS_LEN} public inputs, not {len(public_inputs)}",
            reason="wrong_public_input_count",
        )
    return poseidon.check_elements(public_inputs)


def _commitment_point(x: int, y: int, name: str) -> Point:
    """``checked_point``: a public-input point, on the curve, of prime order, not the identity."""
    try:
        point = Point.from_affine(x, y)
    except InvalidPoint as exc:
        raise CitadelRefused(f"{name} is not a Jubjub point: {exc}", reason="invalid_commitment") from exc
    if not _is_valid_key_point(point):
        raise CitadelRefused(f"{name} is the identity or not of prime order", reason="invalid_commitment")
    return point


# -- signatures ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LicenseSignature:
    """The LP's Schnorr signature ``(z, R)`` over ``msg_lic`` (``signatures.rs``). 64 bytes
    ``z ‖ R``."""

    z: int
    R: Point  # noqa: N815 - the protocol's name

    @staticmethod
    def challenge(pk: Point, r: Point, msg: int, deployment_id: int) -> int:
        return _ht(CitadelDomain.LICENSE_SIG_CHALLENGE, [*_uv(pk), *_uv(r), msg], deployment_id)

    @classmethod
    def sign(
        cls, secret: int, msg: int, random_bytes: RandomBytes, deployment_id: int = DEFAULT_DEPLOYMENT_ID
    ) -> LicenseSignature:
        """``k`` random, ``R = k·G``, ``z = k + ch·secret``. ``secret`` is the LP's ``a``."""
        k = _jj_random(random_bytes)
        r = GENERATOR * k
        ch = cls.challenge(GENERATOR * secret, r, msg, deployment_id)
        return cls((k + ch * secret) % R_J, r)

    def verify(self, pk: Point, msg: int, deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> bool:
        """``z·G == R + ch·pk``. Never raises."""
        try:
            ch = self.challenge(pk, self.R, msg, deployment_id)
            return GENERATOR * check_scalar(self.z) == self.R + pk * ch
        except (InvalidScalar, InvalidFieldElement, InvalidPoint, TypeError, AttributeError):
            return False

    def to_bytes(self) -> bytes:
        return jj_to_bytes(self.z) + self.R.to_bytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> LicenseSignature:
        """Decode ``z ‖ R`` (``R`` in the prime-order subgroup). Raises :class:`InvalidInput`
        (``not_bytes``, ``wrong_length``), :class:`InvalidScalar` / :class:`InvalidPoint`."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise InvalidInput("a licence signature must be bytes", reason="not_bytes")
        if len(data) != LICENSE_SIGNATURE_SIZE:
            raise InvalidInput(f"a licence signature is 64 bytes, not {len(data)}", reason="wrong_length")
        raw = bytes(data)
        return cls(jj_from_bytes(raw[:32]), Point.from_bytes(raw[32:]))


@dataclass(frozen=True, slots=True)
class SessionAuthSignature:
    """The double-key Schnorr signature ``(z, R, R')`` of ``lsk`` on ``G`` and ``G'``."""

    z: int
    R: Point  # noqa: N815
    R_prime: Point  # noqa: N815

    @staticmethod
    def challenge(lpk: Point, lpk_p: Point, r: Point, r_p: Point, msg: int, deployment_id: int) -> int:
        tail = [*_uv(lpk), *_uv(lpk_p), *_uv(r), *_uv(r_p), msg]
        return _ht(CitadelDomain.SESSION_SIG_CHALLENGE, tail, deployment_id)

    @classmethod
    def sign(
        cls, lsk: int, msg: int, random_bytes: RandomBytes, deployment_id: int = DEFAULT_DEPLOYMENT_ID
    ) -> SessionAuthSignature:
        """``k`` random, ``R = k·G``, ``R' = k·G'``, ``z = k + ch·lsk``."""
        k = _jj_random(random_bytes)
        r, r_p = GENERATOR * k, GENERATOR_NUMS * k
        ch = cls.challenge(GENERATOR * lsk, GENERATOR_NUMS * lsk, r, r_p, msg, deployment_id)
        return cls((k + ch * lsk) % R_J, r, r_p)

    def verify(self, lpk: Point, lpk_p: Point, msg: int, deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> bool:
        """``z·G == R + ch·lpk`` and ``z·G' == R' + ch·lpk'``. Never raises."""
        try:
            ch = self.challenge(lpk, lpk_p, self.R, self.R_prime, msg, deployment_id)
            z = check_scalar(self.z)
            return GENERATOR * z == self.R + lpk * ch and GENERATOR_NUMS * z == self.R_prime + lpk_p * ch
        except (InvalidScalar, InvalidFieldElement, InvalidPoint, TypeError, AttributeError):
            return False


# -- request ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """A licence request to an LP (``assets/request.rs``): ``rsa`` a stealth address of the LP
    key, ``enc`` the encrypted ``lsa ‖ k_lic ‖ version ‖ deployment_id ‖ pk_lp`` (252 bytes)."""

    version: int
    deployment_id: int
    rsa: StealthAddress
    enc: bytes

    @classmethod
    def new(
        cls,
        sk_user: SecretKey,
        pk_lp: PublicKey,
        *,
        deployment_id: int = DEFAULT_DEPLOYMENT_ID,
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> tuple[Request, StealthAddress]:
        """The user's request and its licence stealth address ``lsa``. Draws ``r`` (lsa),
        ``r_dh``, then the 12-byte nonce."""
        lsa = sk_user.public_key().stealth_address(_nonzero(random_bytes))
        k_lic = license_key(sk_user.note_secret_key(lsa), lsa, deployment_id)
        r_dh = _nonzero(random_bytes)
        rsa = pk_lp.stealth_address(r_dh)
        plaintext = (
            lsa.to_bytes()
            + k_lic.to_bytes()
            + fe_to_bytes(OBJECT_VERSION_V1)
            + fe_to_bytes(deployment_id)
            + pk_lp.to_bytes()
        )
        salt = request_encryption_salt(rsa, pk_lp, deployment_id, OBJECT_VERSION_V1)
        enc = _encrypt(pk_lp.A * r_dh, salt, plaintext, random_bytes)
        return cls(OBJECT_VERSION_V1, deployment_id, rsa, enc), lsa

    def id(self) -> int:
        """``request_id``: ``H(ctx(REQUEST_ID), version, deployment_id, rsa, len, enc chunks)``."""
        tail = [self.version, self.deployment_id, *_sa_fields(self.rsa), *_bytes_as_fields(self.enc)]
        return _h(CitadelDomain.REQUEST_ID, tail, self.deployment_id)

    def open(self, sk_lp: SecretKey) -> tuple[StealthAddress, Point]:
        """The LP decrypts: returns ``(lsa, k_lic)``. Raises :class:`CitadelRefused`:
        ``wrong_version``, ``wrong_deployment``, ``decryption_failed`` (not for this LP, or
        altered), ``wrong_license_provider`` (addressed to another LP key)."""
        if self.version != OBJECT_VERSION_V1:
            raise CitadelRefused(f"request version {self.version} is not 1", reason="wrong_version")
        pk_lp = sk_lp.public_key()
        salt = request_encryption_salt(self.rsa, pk_lp, self.deployment_id, self.version)
        dec = _decrypt(self.rsa.R * sk_lp.a, salt, self.enc)
        if dec is None or len(dec) != REQUEST_PLAINTEXT_SIZE:
            raise CitadelRefused("the request does not decrypt under this LP key", reason="decryption_failed")
        lsa = StealthAddress.from_bytes(dec[:64])
        k_lic = Point.from_bytes(dec[64:96])
        if fe_from_bytes(dec[96:128]) != self.version or fe_from_bytes(dec[128:160]) != self.deployment_id:
            raise CitadelRefused(
                "the request's sealed version or deployment differs", reason="wrong_deployment"
            )
        if PublicKey.from_bytes(dec[160:224]) != pk_lp:
            raise CitadelRefused("the request names another LP key", reason="wrong_license_provider")
        return lsa, k_lic


def _nonzero(random_bytes: RandomBytes) -> int:
    while True:
        value = _jj_random(random_bytes)
        if value:
            return value


# -- licence ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LicenseContext:
    """Non-personal metadata sealed in the licence (``LicenseContext``): six BLS scalars."""

    version: int = OBJECT_VERSION_V1
    deployment_id: int = DEFAULT_DEPLOYMENT_ID
    schema_id: int = 0
    issued_at: int = 0
    expires_at: int = 0
    revocation_id: int = 0

    def to_bytes(self) -> bytes:
        fields = (self.version, self.deployment_id, self.schema_id, self.issued_at)
        return b"".join(fe_to_bytes(v) for v in (*fields, self.expires_at, self.revocation_id))

    @classmethod
    def from_bytes(cls, data: bytes) -> LicenseContext:
        values = [fe_from_bytes(data[i : i + 32]) for i in range(0, LICENSE_CONTEXT_SIZE, 32)]
        return cls(*values)


@dataclass(frozen=True, slots=True)
class LicensePayload:
    """A decrypted, verified licence: ``sig_lic``, ``attr_data`` (Jubjub scalar), the LP's full
    Phoenix key and the context."""

    sig_lic: LicenseSignature
    attr_data: int
    pk_lp: PublicKey
    context: LicenseContext


@dataclass(frozen=True, slots=True)
class License:
    """A licence (``assets/license.rs``): ``lsa`` and ``enc`` (380 bytes). Its tree leaf is
    :meth:`leaf`."""

    version: int
    deployment_id: int
    lsa: StealthAddress
    enc: bytes

    @classmethod
    def issue(
        cls,
        sk_lp: SecretKey,
        attr_data: int,
        origin: Request | PublicKey,
        *,
        context: LicenseContext | None = None,
        random_bytes: RandomBytes = secrets.token_bytes,
    ) -> License:
        """The LP issues a licence for a :class:`Request` (``LicenseOrigin::FromRequest``) or
        straight to a user's :class:`PublicKey` (``FromPublicKey``). ``context`` defaults to
        the prototype of the request's deployment. Raises :class:`CitadelRefused` as
        :meth:`Request.open`, ``wrong_deployment`` for a context of another deployment."""
        check_scalar(attr_data, name="attr_data")
        if isinstance(origin, Request):
            deployment_id = origin.deployment_id
            lsa, k_lic = origin.open(sk_lp)
        elif isinstance(origin, PublicKey):
            deployment_id = context.deployment_id if context else DEFAULT_DEPLOYMENT_ID
            r_dh = _nonzero(random_bytes)
            lsa, k_lic = origin.stealth_address(r_dh), origin.A * r_dh
        else:
            raise InvalidInput("origin must be a Request or a PublicKey", reason="not_request")
        ctx = context or LicenseContext(deployment_id=deployment_id)
        if ctx.deployment_id != deployment_id or ctx.version != OBJECT_VERSION_V1:
            raise CitadelRefused("the context names another deployment or version", reason="wrong_deployment")
        msg = license_sig_message(lsa.note_pk, attr_data, deployment_id)
        sig = LicenseSignature.sign(sk_lp.a, msg, random_bytes, deployment_id)
        plaintext = sig.to_bytes() + jj_to_bytes(attr_data) + sk_lp.public_key().to_bytes() + ctx.to_bytes()
        salt = license_encryption_salt(lsa, deployment_id, OBJECT_VERSION_V1)
        return cls(OBJECT_VERSION_V1, deployment_id, lsa, _encrypt(k_lic, salt, plaintext, random_bytes))

    def leaf(self) -> int:
        """The licence's tree leaf ``H(ctx(LICENSE_HASH), lpk)`` (``issue_license``)."""
        return license_hash(self.lsa.note_pk, self.deployment_id)

    def open(self, sk_user: SecretKey, pk_lp: PublicKey | None = None) -> LicensePayload:
        """The user decrypts and verifies its licence (``License::open``; with ``pk_lp`` also
        ``compute_parameters``' provider check). Raises :class:`CitadelRefused`:
        ``wrong_version``, ``decryption_failed``, ``invalid_license_provider`` (a sealed LP key
        that is the identity), ``wrong_deployment``, ``wrong_license_provider`` (not ``pk_lp``),
        ``bad_license_signature``."""
        if self.version != OBJECT_VERSION_V1:
            raise CitadelRefused(f"licence version {self.version} is not 1", reason="wrong_version")
        salt = license_encryption_salt(self.lsa, self.deployment_id, self.version)
        dec = _decrypt(self.lsa.R * sk_user.a, salt, self.enc)
        if dec is None:
            k_lic = license_key(sk_user.note_secret_key(self.lsa), self.lsa, self.deployment_id)
            dec = _decrypt(k_lic, salt, self.enc)
        if dec is None or len(dec) != LICENSE_PLAINTEXT_SIZE:
            raise CitadelRefused("the licence does not decrypt under this key", reason="decryption_failed")
        sig = LicenseSignature.from_bytes(dec[:64])
        attr = jj_from_bytes(dec[64:96])
        sealed_lp = PublicKey.from_bytes(dec[96:160])
        if not (_is_valid_key_point(sealed_lp.A) and _is_valid_key_point(sealed_lp.B)):
            raise CitadelRefused("the sealed LP key is the identity", reason="invalid_license_provider")
        ctx = LicenseContext.from_bytes(dec[160:])
        if ctx.version != self.version or ctx.deployment_id != self.deployment_id:
            raise CitadelRefused("the sealed context names another deployment", reason="wrong_deployment")
        if pk_lp is not None and sealed_lp != pk_lp:
            raise CitadelRefused("the licence was issued by another LP", reason="wrong_license_provider")
        msg = license_sig_message(self.lsa.note_pk, attr, self.deployment_id)
        if not sig.verify(sealed_lp.A, msg, self.deployment_id):
            raise CitadelRefused("the LP signature does not verify", reason="bad_license_signature")
        return LicensePayload(sig, attr, sealed_lp, ctx)


# -- session ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttributeOpening:
    """An opening of ``attr_data``: ``schema_id``, the attributes digest, ``r_attr``."""

    schema_id: int
    digest: int
    r_attr: int


@dataclass(frozen=True, slots=True)
class SessionCookie:
    """What the user hands the SP off-chain (``SessionCookie``): BLS scalars except ``attr_data``,
    ``c``, ``s_1``, ``s_2`` (Jubjub scalars)."""

    version: int
    deployment_id: int
    cookie_mode: int
    policy_id: int
    pk_sp: PublicKey
    r_session: int
    session_id: int
    pk_lp: PublicKey
    attr_data: int
    c: int
    s_0: int
    s_1: int
    s_2: int
    attr_opening: AttributeOpening | None = None
    binding_data: tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class LicenseWitness:
    """Everything the licence circuit takes privately (``GadgetParameters`` plus the cookie's
    ``c``, ``attr_data``, ``s_*`` and the LP signing point)."""

    lpk: Point
    lpk_p: Point
    sig_lic: LicenseSignature
    pk_lp_a: Point
    attr_data: int
    c: int
    s_0: int
    s_1: int
    s_2: int
    sig_session_auth: SessionAuthSignature


@dataclass(frozen=True, slots=True)
class Session:
    """An opened session: the 8 public inputs (``[session_id, session_hash, com_0, com_1.u,
    com_1.v, com_2.u, com_2.v, root]``), the witness and the cookie."""

    public_inputs: tuple[int, ...]
    witness: LicenseWitness
    cookie: SessionCookie


def open_session(
    sk_user: SecretKey,
    license: License,  # noqa: A002 - the protocol's name
    pk_lp: PublicKey,
    pk_sp: PublicKey,
    c: int,
    root: int,
    *,
    policy_id: int = 0,
    attr_opening: AttributeOpening | None = None,
    random_bytes: RandomBytes = secrets.token_bytes,
) -> Session:
    """The user opens a session (``GadgetParameters::compute_parameters``): opens the licence
    (refusing another provider or a bad signature, as :meth:`License.open`), draws ``s_0`` (BLS),
    ``s_1``, ``s_2`` (Jubjub), ``r_session`` (BLS) and the signature nonce, and signs
    ``session_auth`` with ``lsk`` on ``G`` and ``G'``. ``c`` is a Jubjub scalar, ``root`` the
    licence tree's root (a BLS scalar). Raises :class:`CitadelRefused`, :class:`InvalidScalar`,
    :class:`InvalidFieldElement`."""
    check_scalar(c, name="c")
    poseidon.check_element(root)
    dep = license.deployment_id
    payload = license.open(sk_user, pk_lp)
    lsk = sk_user.note_secret_key(license.lsa)
    lpk, lpk_p = license.lsa.note_pk, GENERATOR_NUMS * lsk
    s_0, s_1, s_2 = _fe_random(random_bytes), _jj_random(random_bytes), _jj_random(random_bytes)
    r_session = _fe_random(random_bytes)
    sid = session_id(lpk_p, c, dep)
    shash = session_hash(pk_sp.A, r_session, dep)
    com_0 = lp_commitment(payload.pk_lp.A, s_0, dep)
    com_1, com_2 = pedersen(payload.attr_data, s_1), pedersen(c, s_2)
    public_inputs = (sid, shash, com_0, *com_1.affine(), *com_2.affine(), root)
    sig = SessionAuthSignature.sign(lsk, session_auth(public_inputs, dep), random_bytes, dep)
    witness = LicenseWitness(
        lpk, lpk_p, payload.sig_lic, payload.pk_lp.A, payload.attr_data, c, s_0, s_1, s_2, sig
    )
    cookie = SessionCookie(
        OBJECT_VERSION_V1, dep, COOKIE_MODE_BASE, policy_id, pk_sp, r_session, sid,
        payload.pk_lp, payload.attr_data, c, s_0, s_1, s_2, attr_opening,
    )  # fmt: skip
    return Session(public_inputs, witness, cookie)


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """An SP's policy (``SessionPolicy``): its key, the challenge it issued, the accepted LPs
    (a :class:`PublicKey` matches the full key, a :class:`Point` the signing point ``A``) and
    optional expectations."""

    policy_id: int
    pk_sp: PublicKey
    challenge: int
    accepted_lps: tuple[PublicKey | Point, ...]
    deployment_id: int = DEFAULT_DEPLOYMENT_ID
    cookie_version: int = OBJECT_VERSION_V1
    cookie_mode: int = COOKIE_MODE_BASE
    expected_attr_data: int | None = None
    expected_root: int | None = None
    require_attribute_opening: bool = False


def verify_cookie(cookie: SessionCookie, public_inputs: Sequence[int], policy: SessionPolicy) -> None:
    """The SP's check (``Session::from`` then ``Session::verify``), in upstream's order.

    Raises :class:`InvalidInput` (``wrong_public_input_count``), :class:`InvalidFieldElement`,
    or :class:`CitadelRefused` with ``invalid_public_key`` (an SP key that is the identity or
    not of prime order), ``invalid_commitment``, ``wrong_cookie_version``,
    ``wrong_deployment``, ``wrong_cookie_mode``, ``wrong_policy_id``, ``wrong_session_id``,
    ``wrong_service_provider``, ``wrong_license_provider`` (LP not accepted),
    ``wrong_challenge``, ``wrong_attribute_data``, ``wrong_root``,
    ``missing_attribute_opening``, ``wrong_attribute_opening``, ``wrong_session_hash``,
    ``wrong_license_provider_comm``, ``wrong_attribute_data_comm``, ``wrong_challenge_comm``.
    """
    pi = _check_public_inputs(public_inputs)
    for who, pk in (("cookie", cookie.pk_sp), ("policy", policy.pk_sp)):
        if not (_is_valid_key_point(pk.A) and _is_valid_key_point(pk.B)):
            raise CitadelRefused(
                f"the {who}'s SP key is the identity or not of prime order", reason="invalid_public_key"
            )
    com_1 = _commitment_point(pi[3], pi[4], "com_1")
    com_2 = _commitment_point(pi[5], pi[6], "com_2")
    dep = policy.deployment_id
    checks: list[tuple[bool, str, str]] = [
        (cookie.version == policy.cookie_version, "wrong_cookie_version", "cookie version"),
        (cookie.deployment_id == dep, "wrong_deployment", "deployment"),
        (cookie.cookie_mode == policy.cookie_mode, "wrong_cookie_mode", "cookie mode"),
        (cookie.policy_id == policy.policy_id, "wrong_policy_id", "policy id"),
        (cookie.session_id == pi[0], "wrong_session_id", "session id"),
        (cookie.pk_sp == policy.pk_sp, "wrong_service_provider", "service provider"),
        (
            _accepted(cookie.pk_lp, policy.accepted_lps),
            "wrong_license_provider",
            "licence provider not accepted",
        ),
        (cookie.c == policy.challenge, "wrong_challenge", "challenge"),
        (
            policy.expected_attr_data is None or cookie.attr_data == policy.expected_attr_data,
            "wrong_attribute_data",
            "attribute data",
        ),
        (policy.expected_root is None or pi[7] == policy.expected_root, "wrong_root", "root"),
    ]
    for ok, reason, what in checks:
        if not ok:
            raise CitadelRefused(f"cookie refused: {what}", reason=reason)
    if policy.require_attribute_opening:
        op = cookie.attr_opening
        if op is None:
            raise CitadelRefused("cookie refused: no attribute opening", reason="missing_attribute_opening")
        if attr_data(op.schema_id, op.digest, op.r_attr, dep) != cookie.attr_data:
            raise CitadelRefused("cookie refused: attribute opening", reason="wrong_attribute_opening")
    reopen: list[tuple[bool, str, str]] = [
        (session_hash(cookie.pk_sp.A, cookie.r_session, dep) == pi[1], "wrong_session_hash", "session_hash"),
        (lp_commitment(cookie.pk_lp.A, cookie.s_0, dep) == pi[2], "wrong_license_provider_comm", "com_0"),
        (pedersen(cookie.attr_data, cookie.s_1) == com_1, "wrong_attribute_data_comm", "com_1"),
        (pedersen(cookie.c, cookie.s_2) == com_2, "wrong_challenge_comm", "com_2"),
    ]
    for ok, reason, what in reopen:
        if not ok:
            raise CitadelRefused(f"cookie refused: {what} does not re-open", reason=reason)


def _accepted(pk_lp: PublicKey, accepted: Sequence[PublicKey | Point]) -> bool:
    if not (_is_valid_key_point(pk_lp.A) and _is_valid_key_point(pk_lp.B)):
        return False
    return any(pk_lp == a if isinstance(a, PublicKey) else a == pk_lp.A for a in accepted)


# -- the statement of the licence circuit (Dusk's part) --------------------------------------------


def check_license_statement(
    witness: LicenseWitness,
    public_inputs: Sequence[int],
    *,
    deployment_id: int = DEFAULT_DEPLOYMENT_ID,
    opening: NoteOpening | None = None,
    position: int | None = None,
    depth: int | None = None,
) -> None:
    """Check in clear every relation of the ``use_license`` gadget (``core/src/zk/gadgets.rs``).

    In the gadget's order: valid witness points (``lpk``, ``lpk'``, ``sig_lic.R``, ``pk_lp.A``,
    ``R``, ``R'``: not the identity, not of small order), ``session_id``, the LP signature over
    ``msg_lic``, ``com_0``, ``com_1``, ``com_2``, the double-key signature over
    ``session_auth``, then Merkle membership of ``H(lpk)`` under ``root`` if ``opening`` and
    ``position`` are given (4-ary Poseidon tree as :func:`chain.crypto.poseidon_merkle.verify_opening`,
    ``depth`` defaults to the opening's length); without them membership is the caller's.

    Returns ``None``; raises :class:`InvalidInput` (``wrong_public_input_count``),
    :class:`InvalidFieldElement` or :class:`CitadelRefused` with ``invalid_witness_point``,
    ``wrong_session_id``, ``bad_license_signature``, ``wrong_license_provider_comm``,
    ``wrong_attribute_data_comm``, ``wrong_challenge_comm``, ``bad_session_signature`` or
    ``not_a_member``. This proves nothing to anyone else: the circuit that constrains the same
    relations (``circuits/src/citadel.circom``) has no setup, so no proof is made with it.
    """
    pi = _check_public_inputs(public_inputs)
    w = witness
    points = {
        "lpk": w.lpk,
        "lpk'": w.lpk_p,
        "sig_lic.R": w.sig_lic.R,
        "pk_lp.A": w.pk_lp_a,
        "sig_session_auth.R": w.sig_session_auth.R,
        "sig_session_auth.R'": w.sig_session_auth.R_prime,
    }
    for name, point in points.items():
        if not is_valid_witness_point(point):
            raise CitadelRefused(f"{name} is not a valid witness point", reason="invalid_witness_point")
    dep = deployment_id
    if session_id(w.lpk_p, w.c, dep) != pi[0]:
        raise CitadelRefused("session_id != H(lpk', c)", reason="wrong_session_id")
    if not w.sig_lic.verify(w.pk_lp_a, license_sig_message(w.lpk, w.attr_data, dep), dep):
        raise CitadelRefused("the LP signature over H(lpk, attr_data) fails", reason="bad_license_signature")
    if lp_commitment(w.pk_lp_a, w.s_0, dep) != pi[2]:
        raise CitadelRefused("com_0 != H(pk_lp.A, s_0)", reason="wrong_license_provider_comm")
    if pedersen(w.attr_data, w.s_1).affine() != (pi[3], pi[4]):
        raise CitadelRefused("com_1 != attr_data·G + s_1·G'", reason="wrong_attribute_data_comm")
    if pedersen(w.c, w.s_2).affine() != (pi[5], pi[6]):
        raise CitadelRefused("com_2 != c·G + s_2·G'", reason="wrong_challenge_comm")
    if not w.sig_session_auth.verify(w.lpk, w.lpk_p, session_auth(pi, dep), dep):
        raise CitadelRefused("the double-key session signature fails", reason="bad_session_signature")
    if opening is not None:
        if position is None:
            raise InvalidInput("a Merkle opening needs its position", reason="missing_position")
        leaf = license_hash(w.lpk, dep)
        d = len(opening.digits) if depth is None else depth
        if not verify_opening(fe_to_bytes(pi[7]), fe_to_bytes(leaf), position, opening, depth=d):
            raise CitadelRefused("H(lpk) is not in the tree under root", reason="not_a_member")


# -- Gloam's attribute schema, its predicates and the licence circuit's inputs ----------------------

GLOAM_SCHEMA_ID: Final = 1
"""The ``schema_id`` Gloam's LPs sign for :class:`GloamAttributes` (the circuit takes the
schema id as a private witness and does not fix it: accepting an LP means trusting the schemas
it signs, docs/zk.md "Citadel licence circuit")."""
GLOAM_ATTRIBUTE_COUNT: Final = 4
JURISDICTION_MIN: Final = 1
JURISDICTION_MAX: Final = 999
DAY_MIN: Final = -(1 << 31)
DAY_MAX: Final = (1 << 31) - 1
ALLOWED_JURISDICTION_SLOTS: Final = 8
"""``K`` of ``CitadelLicense(17, K)``: the allowed-jurisdiction slots of the circuit (0 = unused)."""
LICENSE_TREE_DEPTH: Final = 17
"""Depth of the licence tree the circuit opens (Dusk's ``LicenseCircuit<17>``; 4-ary)."""
CIRCUIT_PUBLIC_SIGNALS_LEN: Final = PUBLIC_INPUTS_LEN + 1 + 2 + 3 + ALLOWED_JURISDICTION_SLOTS
"""22: Dusk's 8, ``challenge``, ``pk_lp.A`` (u, v), ``today``, ``adult_cutoff``,
``require_accredited`` and the 8 jurisdiction slots."""
_EPOCH: Final = date(1970, 1, 1)


def epoch_day(day: date) -> int:
    """Days from 1970-01-01 to ``day`` (negative before 1970): Gloam's day unit."""
    return (day - _EPOCH).days


def day_to_field(day: int) -> int:
    """A signed 32-bit day count as the circuit's field element (``day mod q``: ``q - n`` for
    ``-n``). Raises :class:`InvalidInput` (``day_out_of_range``)."""
    if type(day) is not int or not DAY_MIN <= day <= DAY_MAX:
        raise InvalidInput(f"day {day!r} is not a signed 32-bit integer", reason="day_out_of_range")
    return day % MODULUS


def day_from_field(value: int) -> int:
    """The inverse of :func:`day_to_field`. Raises :class:`InvalidInput` (``day_out_of_range``)
    for a field element that encodes no signed 32-bit day."""
    if type(value) is int and 0 <= value <= DAY_MAX:
        return value
    if type(value) is int and MODULUS + DAY_MIN <= value < MODULUS:
        return value - MODULUS
    raise InvalidInput(f"{value!r} encodes no signed 32-bit day", reason="day_out_of_range")


@dataclass(frozen=True, slots=True)
class GloamAttributes:
    """Gloam's Citadel attribute schema (schema id :data:`GLOAM_SCHEMA_ID`), exactly 4 attributes
    in this order: ``jurisdiction`` (ISO 3166-1 numeric, 1..999), ``accredited`` (0 or 1),
    ``birth_date`` and ``expiry`` (days since 1970-01-01, signed 32-bit: negative before 1970).
    The LP signs ``attr_data(schema_id, attributes_digest(to_fields()), r_attr)``.
    Raises :class:`InvalidInput` (``attribute_out_of_range``, or ``day_out_of_range``)."""

    jurisdiction: int
    accredited: int
    birth_date: int
    expiry: int

    def __post_init__(self) -> None:
        if (
            type(self.jurisdiction) is not int
            or not JURISDICTION_MIN <= self.jurisdiction <= JURISDICTION_MAX
        ):
            raise InvalidInput(
                f"jurisdiction {self.jurisdiction!r} is not an ISO 3166-1 numeric code (1..999)",
                reason="attribute_out_of_range",
            )
        if self.accredited not in (0, 1) or type(self.accredited) is not int:
            raise InvalidInput(
                f"accredited {self.accredited!r} is not 0 or 1", reason="attribute_out_of_range"
            )
        day_to_field(self.birth_date)
        day_to_field(self.expiry)

    def to_fields(self) -> tuple[int, int, int, int]:
        """The 4 attributes as BLS field elements (days by :func:`day_to_field`)."""
        return (self.jurisdiction, self.accredited, day_to_field(self.birth_date), day_to_field(self.expiry))

    def digest(self, deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> int:
        """``attributes_digest(to_fields())``: ``H(ctx(ATTR_DATA), 4, a_1, …, a_4)``."""
        return attributes_digest(self.to_fields(), deployment_id)

    def attr_data(self, schema_id: int, r_attr: int, deployment_id: int = DEFAULT_DEPLOYMENT_ID) -> int:
        """``attr_data(schema_id, digest(), r_attr)``: what the LP signs (a Jubjub scalar)."""
        return attr_data(schema_id, self.digest(deployment_id), r_attr, deployment_id)


@dataclass(frozen=True, slots=True)
class AttributePolicy:
    """What a verifier asks of the attributes (public inputs of the licence circuit):
    ``today`` and ``adult_cutoff`` (days, signed 32-bit: ``birth_date`` must be ``<=
    adult_cutoff``, ``expiry >= today``), ``require_accredited``, and 1 to
    :data:`ALLOWED_JURISDICTION_SLOTS` allowed jurisdictions (1..999; padded with 0 in the
    circuit). Raises :class:`InvalidInput` (``day_out_of_range``, ``invalid_policy``)."""

    today: int
    adult_cutoff: int
    require_accredited: bool
    allowed_jurisdictions: tuple[int, ...]

    def __post_init__(self) -> None:
        day_to_field(self.today)
        day_to_field(self.adult_cutoff)
        allowed = self.allowed_jurisdictions
        if not isinstance(allowed, tuple) or not 1 <= len(allowed) <= ALLOWED_JURISDICTION_SLOTS:
            raise InvalidInput(
                f"1 to {ALLOWED_JURISDICTION_SLOTS} allowed jurisdictions, as a tuple",
                reason="invalid_policy",
            )
        if any(type(j) is not int or not JURISDICTION_MIN <= j <= JURISDICTION_MAX for j in allowed):
            raise InvalidInput(
                f"allowed jurisdictions {allowed!r} are not all 1..999", reason="invalid_policy"
            )
        if not isinstance(self.require_accredited, bool):
            raise InvalidInput("require_accredited is a bool", reason="invalid_policy")

    @classmethod
    def adults(
        cls,
        today: date,
        allowed_jurisdictions: Sequence[int],
        *,
        require_accredited: bool = True,
        age: int = 18,
    ) -> AttributePolicy:
        """The policy "at least ``age`` years old on ``today``": ``adult_cutoff`` is the same
        calendar day ``age`` years earlier (29 February → 28 February)."""
        try:
            cutoff = today.replace(year=today.year - age)
        except ValueError:
            cutoff = today.replace(year=today.year - age, day=28)
        return cls(epoch_day(today), epoch_day(cutoff), require_accredited, tuple(allowed_jurisdictions))

    def jurisdiction_slots(self) -> tuple[int, ...]:
        """The :data:`ALLOWED_JURISDICTION_SLOTS` circuit slots: the allowed codes, then 0s."""
        padding = (0,) * (ALLOWED_JURISDICTION_SLOTS - len(self.allowed_jurisdictions))
        return self.allowed_jurisdictions + padding

    def to_fields(self) -> list[int]:
        """``[today, adult_cutoff, require_accredited, slots…]`` as field elements (11)."""
        return [
            day_to_field(self.today),
            day_to_field(self.adult_cutoff),
            int(self.require_accredited),
            *self.jurisdiction_slots(),
        ]

    @classmethod
    def from_fields(cls, fields: Sequence[int]) -> AttributePolicy:
        """The inverse of :meth:`to_fields` (what a verifier reads back from public signals).
        Raises :class:`InvalidInput` (``day_out_of_range``, ``invalid_policy``)."""
        if len(fields) != 3 + ALLOWED_JURISDICTION_SLOTS or fields[2] not in (0, 1):
            raise InvalidInput("not the fields of an attribute policy", reason="invalid_policy")
        slots = list(fields[3:])
        used = [j for j in slots if j != 0]
        if slots != used + [0] * (len(slots) - len(used)):
            raise InvalidInput("unused jurisdiction slots (0) must come last", reason="invalid_policy")
        return cls(day_from_field(fields[0]), day_from_field(fields[1]), fields[2] == 1, tuple(used))


def check_attribute_predicates(attributes: GloamAttributes, policy: AttributePolicy) -> None:
    """Gloam's predicates in clear, in the circuit's order: the jurisdiction is allowed,
    accredited if required, ``birth_date <= adult_cutoff``, ``today <= expiry``.
    Raises :class:`CitadelRefused` (``jurisdiction_not_allowed``, ``not_accredited``,
    ``under_age``, ``license_expired``)."""
    if attributes.jurisdiction not in policy.allowed_jurisdictions:
        raise CitadelRefused(
            f"jurisdiction {attributes.jurisdiction} is not allowed", reason="jurisdiction_not_allowed"
        )
    if policy.require_accredited and attributes.accredited != 1:
        raise CitadelRefused("the holder is not an accredited investor", reason="not_accredited")
    if attributes.birth_date > policy.adult_cutoff:
        raise CitadelRefused("the holder was born after the adult cutoff", reason="under_age")
    if attributes.expiry < policy.today:
        raise CitadelRefused("the licence expired before today", reason="license_expired")


def license_circuit_public_signals(
    public_inputs: Sequence[int], witness: LicenseWitness, policy: AttributePolicy
) -> list[int]:
    """The licence circuit's 22 public signals in its order (``circuits/src/citadel.circom``,
    ``CitadelLicense``): Dusk's 8 ``public_inputs``, ``c``, ``pk_lp.A`` (u, v), then
    :meth:`AttributePolicy.to_fields`. Raises :class:`InvalidInput`, :class:`InvalidFieldElement`."""
    return [*_check_public_inputs(public_inputs), witness.c, *_uv(witness.pk_lp_a), *policy.to_fields()]


def license_circuit_input(
    witness: LicenseWitness,
    public_inputs: Sequence[int],
    *,
    attributes: GloamAttributes,
    schema_id: int,
    r_attr: int,
    opening: NoteOpening,
    position: int,
    policy: AttributePolicy,
    depth: int = LICENSE_TREE_DEPTH,
) -> dict[str, object]:
    """The snarkjs input (signal name → int or nested lists) of ``CitadelLicense(depth, 8)``
    (``circuits/src/citadel_license.circom``) for a session's witness and public inputs (from
    :func:`open_session`), the licence's attribute opening (``attributes``, ``schema_id``,
    ``r_attr``), its Merkle ``opening`` at ``position`` and the verifier's ``policy``.

    Builds the input only; whether it satisfies the circuit is
    :func:`check_gloam_license_statement`'s question. Raises :class:`InvalidInput`
    (``wrong_public_input_count``, ``wrong_depth``: an opening of another depth,
    ``position_out_of_range``), :class:`InvalidFieldElement`."""
    pi = _check_public_inputs(public_inputs)
    if len(opening.siblings) != depth:
        raise InvalidInput(
            f"the opening has {len(opening.siblings)} levels, not {depth}", reason="wrong_depth"
        )
    compute_digits(position, depth)
    w = witness
    return {
        "sessionId": pi[0],
        "sessionHash": pi[1],
        "com0": pi[2],
        "com1": pi[3:5],
        "com2": pi[5:7],
        "root": pi[7],
        "challenge": w.c,
        "pkLp": list(_uv(w.pk_lp_a)),
        "today": day_to_field(policy.today),
        "adultCutoff": day_to_field(policy.adult_cutoff),
        "requireAccredited": int(policy.require_accredited),
        "allowedJurisdictions": list(policy.jurisdiction_slots()),
        "lpk": list(_uv(w.lpk)),
        "lpkPrime": list(_uv(w.lpk_p)),
        "sigLicZ": w.sig_lic.z,
        "sigLicR": list(_uv(w.sig_lic.R)),
        "s0": w.s_0,
        "s1": w.s_1,
        "s2": w.s_2,
        "sigSessionZ": w.sig_session_auth.z,
        "sigSessionR": list(_uv(w.sig_session_auth.R)),
        "sigSessionRPrime": list(_uv(w.sig_session_auth.R_prime)),
        "position": position,
        "siblings": [list(level) for level in opening.siblings],
        "schemaId": schema_id,
        "rAttr": r_attr,
        "jurisdiction": attributes.jurisdiction,
        "accredited": attributes.accredited,
        "birthDate": day_to_field(attributes.birth_date),
        "expiry": day_to_field(attributes.expiry),
    }


def check_gloam_license_statement(
    witness: LicenseWitness,
    public_signals: Sequence[int],
    *,
    attributes: GloamAttributes,
    schema_id: int,
    r_attr: int,
    opening: NoteOpening,
    position: int,
    depth: int = LICENSE_TREE_DEPTH,
) -> None:
    """What ``CitadelLicense(depth, 8)`` proves, checked in clear with every witness in hand.

    ``public_signals`` are the circuit's 22 (:func:`license_circuit_public_signals`). In order:
    :func:`check_license_statement` over Dusk's 8 with membership (``opening`` at ``position``);
    ``challenge`` is the witness's ``c`` and ``pk_lp.A`` the witness's; ``attributes`` open the
    signed ``attr_data`` under ``schema_id`` and ``r_attr``; the policy read back from the last
    11 signals holds (:func:`check_attribute_predicates`). On the policy's encoding it is
    stricter than the circuit: it refuses (``invalid_policy``) allowed codes outside 1..999 and
    unused slots before used ones, which the circuit accepts (such codes can never match).
    Fixed to deployment 0, like the circuit's generated contexts.

    Returns ``None``; raises :class:`InvalidInput` (``wrong_public_input_count``,
    ``day_out_of_range``, ``invalid_policy``), :class:`InvalidFieldElement`,
    :class:`InvalidScalar` (``r_attr`` not a Jubjub scalar) or :class:`CitadelRefused` with the
    reasons of :func:`check_license_statement`, ``wrong_challenge``, ``wrong_license_provider``,
    ``wrong_attribute_opening`` and those of :func:`check_attribute_predicates`."""
    if len(public_signals) != CIRCUIT_PUBLIC_SIGNALS_LEN:
        raise InvalidInput(
            f"the licence circuit has {CIRCUIT_PUBLIC_SIGNALS_LEN} public signals, not {len(public_signals)}",
            reason="wrong_public_input_count",
        )
    signals = poseidon.check_elements(public_signals)
    check_license_statement(
        witness, signals[:PUBLIC_INPUTS_LEN], opening=opening, position=position, depth=depth
    )
    if signals[8] != witness.c:
        raise CitadelRefused("the public challenge is not the session's c", reason="wrong_challenge")
    if tuple(signals[9:11]) != _uv(witness.pk_lp_a):
        raise CitadelRefused("the public pk_lp.A is not the signer's", reason="wrong_license_provider")
    if attributes.attr_data(schema_id, r_attr) != witness.attr_data:
        raise CitadelRefused(
            "the attributes do not open the signed attr_data", reason="wrong_attribute_opening"
        )
    check_attribute_predicates(attributes, AttributePolicy.from_fields(signals[11:]))
