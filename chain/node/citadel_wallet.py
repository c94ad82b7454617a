"""The platform's view of Citadel, in bytes: provider and holder keys, issuing a licence with
Gloam's attributes, sealing those attributes to the holder, and preparing a session's
``citadel_license`` proof input, over :mod:`chain.crypto.citadel`.

Django and Celery reach the chain only through :mod:`chain.node.client`, which re-exports
this module as ``citadel_wallet`` (as it does :mod:`chain.node.contract_abi`). Everything
here takes and returns ``bytes``, ``int``, ``date`` and plain dataclasses, so that the
platform stores keys and licences without importing ``chain.crypto``; nothing here touches
a network, a clock or a database, and randomness comes from ``random_bytes`` (default
:func:`secrets.token_bytes`).

Encodings (``reference/dusk-protocol.md`` §6 and §2.3; ``chain/crypto/citadel.py``,
``chain/crypto/phoenix.py``):

- secret key: the Phoenix ``a ‖ b`` (64 bytes, two Jubjub scalars LE); public key ``A ‖ B``
  (64 bytes). A provider's chain identity is ``pk_lp.A`` as ``(u, v)``
  (:func:`provider_point`, ``contract_abi.encode_citadel_add_provider``).
- licence: ``version:u8 ‖ deployment_id:u64 LE ‖ lsa(64) ‖ enc(380)`` (:func:`encode_licence`;
  ``License`` of ``citadel-core``, ``assets/license.rs``). Its ``enc`` opens only with the
  holder's secret key.
- attribute envelope: the licence's attribute opening sealed to the holder's public key
  (Gloam's, Dusk leaves it to the deployment): ``R(32) ‖ nonce(12) ‖ AES-256-GCM(plaintext) ‖
  tag(16)`` with ``R = r·G``, key ``derive_aes_key(r·pk.A, salt)``, salt
  ``b"gloam-citadel-attributes-v1" ‖ leaf(32 LE)``, plaintext ``schema_id:u8 ‖
  jurisdiction:u16 ‖ accredited:u8 ‖ birth_date:i32 ‖ expiry:i32 ‖ r_attr(32)`` (LE). The
  holder opens it with ``a·R``.

Errors: every function raises :class:`CitadelWalletError` (a ``ValueError``) with a stable
``reason`` (the underlying ``chain.crypto`` reason where there is one), never a
``chain.crypto`` exception.

Nothing here is zero-knowledge by itself: :func:`prepare_session` builds the witness and
checks it in clear (``check_gloam_license_statement``); only a proof of ``citadel_license``
made from its ``circuit_input`` and verified by the chain hides the attributes from the
chain (docs/zk.md "Citadel on chain"). Whoever holds the holder's secret key (the platform,
as custodian of investors' wallets) can read the attributes.
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chain.crypto import citadel
from chain.crypto.exceptions import CryptoError
from chain.crypto.jubjub import GENERATOR, R_J, Point
from chain.crypto.phoenix import PublicKey, SecretKey, StealthAddress, derive_aes_key
from chain.crypto.poseidon_merkle import NoteOpening
from chain.node import contract_abi

RandomBytes = Callable[[int], bytes]

__all__ = [
    "LICENCE_CIRCUIT",
    "CitadelWalletError",
    "IssuedLicence",
    "LicenceAttributes",
    "PreparedSession",
    "decode_licence",
    "encode_licence",
    "epoch_day",
    "generate_secret_key",
    "issue_licence",
    "open_attributes",
    "prepare_session",
    "provider_point",
    "public_key_of",
]

#: The circuit a session proves (``circuits/src/citadel_license.circom``).
LICENCE_CIRCUIT: Final = "citadel_license"
_ENVELOPE_SALT: Final = b"gloam-citadel-attributes-v1"
_ENVELOPE_PLAINTEXT: Final = struct.Struct("<BHBii32s")
_NONCE: Final = 12
_TAG: Final = 16
ENVELOPE_SIZE: Final = 32 + _NONCE + _ENVELOPE_PLAINTEXT.size + _TAG
_LICENCE_HEADER: Final = struct.Struct("<BQ")
_EPOCH: Final = date(1970, 1, 1)


class CitadelWalletError(ValueError):
    """Bad input to the wallet, or a licence that does not satisfy a policy: ``reason`` is
    stable (``chain.crypto``'s reason, e.g. ``jurisdiction_not_allowed``, ``under_age``,
    ``license_expired``, ``not_accredited``, ``decryption_failed``)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _wrap(exc: CryptoError) -> CitadelWalletError:
    return CitadelWalletError(str(exc), reason=getattr(exc, "reason", "invalid_input") or "invalid_input")


def epoch_day(day: date) -> int:
    """Days since 1970-01-01 (negative before), the attributes' and policies' day unit."""
    return citadel.epoch_day(day)


# -- keys ------------------------------------------------------------------------------------
def generate_secret_key(random_bytes: RandomBytes = secrets.token_bytes) -> bytes:
    """A fresh Phoenix secret key (64 bytes, ``a ‖ b``) from 64 bytes of ``random_bytes``
    (``SecretKey.from_seed``)."""
    try:
        return SecretKey.from_seed(random_bytes(64)).to_bytes()
    except CryptoError as exc:
        raise _wrap(exc) from exc


def _secret(secret_key: bytes) -> SecretKey:
    try:
        return SecretKey.from_bytes(secret_key)
    except CryptoError as exc:
        raise _wrap(exc) from exc


def _public(public_key: bytes) -> PublicKey:
    try:
        return PublicKey.from_bytes(public_key)
    except CryptoError as exc:
        raise _wrap(exc) from exc


def public_key_of(secret_key: bytes) -> bytes:
    """The Phoenix public key ``A ‖ B`` (64 bytes) of a secret key. ``CitadelWalletError``
    for a malformed key."""
    return _secret(secret_key).public_key().to_bytes()


def provider_point(public_key: bytes) -> tuple[int, int]:
    """A licence provider's chain identity: ``pk_lp.A`` as affine ``(u, v)``, what
    ``add_provider`` registers and a session's proof names."""
    return _public(public_key).A.affine()


# -- licences --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LicenceAttributes:
    """Gloam's licence attributes (docs/zk.md "Citadel licence circuit"): ``jurisdiction`` an
    ISO 3166-1 numeric code (1..999), ``accredited``, ``birth_date`` and ``expiry`` dates."""

    jurisdiction: int
    accredited: bool
    birth_date: date
    expiry: date

    def _gloam(self) -> citadel.GloamAttributes:
        try:
            return citadel.GloamAttributes(
                jurisdiction=self.jurisdiction,
                accredited=int(self.accredited),
                birth_date=epoch_day(self.birth_date),
                expiry=epoch_day(self.expiry),
            )
        except CryptoError as exc:
            raise _wrap(exc) from exc


@dataclass(frozen=True, slots=True)
class IssuedLicence:
    """A licence issued to a holder's key: ``licence`` (:func:`encode_licence`), its tree
    ``leaf`` (what ``citadel.issue`` appends) and the attribute ``envelope`` sealed to the
    holder."""

    licence: bytes
    leaf: int
    envelope: bytes


def encode_licence(licence: citadel.License) -> bytes:
    return _LICENCE_HEADER.pack(licence.version, licence.deployment_id) + licence.lsa.to_bytes() + licence.enc


def decode_licence(data: bytes) -> citadel.License:
    """The inverse of :func:`encode_licence`. ``CitadelWalletError`` (``bad_licence``)."""
    head = _LICENCE_HEADER.size
    if len(data) != head + 64 + citadel.ENCRYPTION_EXTRA_SIZE + citadel.LICENSE_PLAINTEXT_SIZE:
        raise CitadelWalletError("a licence is 453 bytes", reason="bad_licence")
    version, deployment = _LICENCE_HEADER.unpack(data[:head])
    try:
        lsa = StealthAddress.from_bytes(data[head : head + 64])
    except CryptoError as exc:
        raise CitadelWalletError(str(exc), reason="bad_licence") from exc
    return citadel.License(version, deployment, lsa, bytes(data[head + 64 :]))


def _envelope_key(shared: Point, leaf: int) -> bytes:
    return derive_aes_key(shared, _ENVELOPE_SALT + leaf.to_bytes(32, "little"))


def issue_licence(
    *,
    provider_secret_key: bytes,
    holder_public_key: bytes,
    attributes: LicenceAttributes,
    random_bytes: RandomBytes = secrets.token_bytes,
) -> IssuedLicence:
    """The provider issues a licence straight to the holder's public key
    (``License.issue``, ``FromPublicKey``) over ``attr_data(GLOAM_SCHEMA_ID, digest,
    r_attr)`` with a fresh blinder ``r_attr``, and seals the attribute opening to the
    holder (module docstring). ``CitadelWalletError`` for a bad key or attribute."""
    sk_lp, pk_user = _secret(provider_secret_key), _public(holder_public_key)
    gloam = attributes._gloam()
    r_attr = int.from_bytes(random_bytes(64), "little") % R_J
    try:
        licence = citadel.License.issue(
            sk_lp, gloam.attr_data(citadel.GLOAM_SCHEMA_ID, r_attr), pk_user, random_bytes=random_bytes
        )
    except CryptoError as exc:
        raise _wrap(exc) from exc
    leaf = licence.leaf()
    r = int.from_bytes(random_bytes(64), "little") % (R_J - 1) + 1
    plaintext = _ENVELOPE_PLAINTEXT.pack(
        citadel.GLOAM_SCHEMA_ID,
        gloam.jurisdiction,
        gloam.accredited,
        gloam.birth_date,
        gloam.expiry,
        r_attr.to_bytes(32, "little"),
    )
    nonce = random_bytes(_NONCE)
    sealed = AESGCM(_envelope_key(pk_user.A * r, leaf)).encrypt(nonce, plaintext, None)
    envelope = (GENERATOR * r).to_bytes() + nonce + sealed
    return IssuedLicence(encode_licence(licence), leaf, envelope)


@dataclass(frozen=True, slots=True)
class _Opening:
    schema_id: int
    attributes: citadel.GloamAttributes
    r_attr: int


def _open_envelope(sk: SecretKey, envelope: bytes, leaf: int) -> _Opening:
    if len(envelope) != ENVELOPE_SIZE:
        raise CitadelWalletError(f"an attribute envelope is {ENVELOPE_SIZE} bytes", reason="bad_envelope")
    try:
        r_point = Point.from_bytes(envelope[:32])
        plain = AESGCM(_envelope_key(r_point * sk.a, leaf)).decrypt(envelope[32:44], envelope[44:], None)
    except CryptoError as exc:
        raise CitadelWalletError(str(exc), reason="bad_envelope") from exc
    except InvalidTag as exc:
        raise CitadelWalletError(
            "the attributes do not open under this key", reason="decryption_failed"
        ) from exc
    schema, jurisdiction, accredited, birth, expiry, r_attr = _ENVELOPE_PLAINTEXT.unpack(plain)
    try:
        attributes = citadel.GloamAttributes(jurisdiction, accredited, birth, expiry)
    except CryptoError as exc:
        raise _wrap(exc) from exc
    return _Opening(schema, attributes, int.from_bytes(r_attr, "little"))


def open_attributes(*, holder_secret_key: bytes, licence: bytes, envelope: bytes) -> LicenceAttributes:
    """The holder reads its licence's attributes (the licence must open under its key too).
    ``CitadelWalletError`` (``decryption_failed``, ``bad_envelope``, ``bad_licence``)."""
    sk = _secret(holder_secret_key)
    lic = decode_licence(licence)
    try:
        lic.open(sk)
    except CryptoError as exc:
        raise _wrap(exc) from exc
    a = _open_envelope(sk, envelope, lic.leaf()).attributes
    return LicenceAttributes(
        a.jurisdiction,
        a.accredited == 1,
        _EPOCH + timedelta(days=a.birth_date),
        _EPOCH + timedelta(days=a.expiry),
    )


# -- sessions --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class PreparedSession:
    """What a wallet needs to open a session: the ``citadel_license`` snarkjs input, the 22
    public signals the proof will carry (BLS scalars), the session id, the root it names
    and the challenge."""

    circuit_input: dict[str, object]
    public_signals: tuple[int, ...]
    session_id: int
    root: int
    challenge: int


def prepare_session(
    *,
    holder_secret_key: bytes,
    licence: bytes,
    envelope: bytes,
    provider_public_key: bytes,
    chain_id: int,
    holder: bytes,
    service: bytes,
    root: int,
    opening: NoteOpening,
    position: int,
    today: int,
    allowed_jurisdictions: Sequence[int],
    require_accredited: bool,
    random_bytes: RandomBytes = secrets.token_bytes,
) -> PreparedSession:
    """Open a session of ``licence`` for ``holder`` (a 49-byte Address) on ``service`` (32
    bytes, e.g. a security token's id): challenge ``citadel_challenge(chain_id, holder,
    service)``, ``open_session`` against ``root`` (the licence tree's root whose ``opening``
    at ``position`` is the licence's leaf), and the policy ``today`` (the chain's day),
    ``adult_cutoff = citadel_adult_cutoff(today)``, ``require_accredited`` and 1..8
    ``allowed_jurisdictions`` (ISO 3166-1 numeric).

    Checks everything the circuit proves in clear first (``check_gloam_license_statement``),
    so a licence that cannot satisfy the policy fails here with the reason, before any proof
    job: ``CitadelWalletError`` (``jurisdiction_not_allowed``, ``not_accredited``,
    ``under_age``, ``license_expired``, ``decryption_failed``, ``wrong_license_provider``,
    ``invalid_policy``, a membership reason for a wrong opening; ``AbiError`` reasons for a bad
    holder or service).

    The session's service-provider key (``session_hash``) is the provider's own: the chain does
    not check it (docs/contracts.md "citadel"), and the platform hands no cookie to a third
    party."""
    sk, pk_lp = _secret(holder_secret_key), _public(provider_public_key)
    lic = decode_licence(licence)
    opened = _open_envelope(sk, envelope, lic.leaf())
    try:
        challenge = contract_abi.citadel_challenge(chain_id=chain_id, holder=holder, service=service)
        policy = citadel.AttributePolicy(
            today,
            contract_abi.citadel_adult_cutoff(today),
            bool(require_accredited),
            tuple(int(j) for j in allowed_jurisdictions),
        )
    except contract_abi.AbiError as exc:
        raise CitadelWalletError(str(exc), reason=exc.reason) from exc
    except CryptoError as exc:
        raise _wrap(exc) from exc
    try:
        session = citadel.open_session(sk, lic, pk_lp, pk_lp, challenge, root, random_bytes=random_bytes)
        signals = citadel.license_circuit_public_signals(session.public_inputs, session.witness, policy)
        citadel.check_gloam_license_statement(
            session.witness,
            signals,
            attributes=opened.attributes,
            schema_id=opened.schema_id,
            r_attr=opened.r_attr,
            opening=opening,
            position=position,
        )
        circuit_input = citadel.license_circuit_input(
            session.witness,
            session.public_inputs,
            attributes=opened.attributes,
            schema_id=opened.schema_id,
            r_attr=opened.r_attr,
            opening=opening,
            position=position,
            policy=policy,
        )
    except CryptoError as exc:
        raise _wrap(exc) from exc
    return PreparedSession(circuit_input, tuple(signals), session.public_inputs[0], root, challenge)
