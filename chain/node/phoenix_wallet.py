"""The platform wallet's view of Phoenix, in bytes: keys, scanning, nullifiers, the shield note and
a transfer's witness, over :mod:`chain.crypto.phoenix` and :mod:`chain.crypto.phoenix_circuit`.

Django and Celery reach the chain only through :mod:`chain.node.client`, which re-exports this
module as ``phoenix_wallet`` (as it does :mod:`chain.node.contract_abi`). Everything here takes
and returns ``bytes`` and ``int`` so that the platform stores keys and notes without importing
``chain.crypto``; nothing here touches a network, a clock or a database, and randomness comes
from ``random_bytes`` (default :func:`secrets.token_bytes`).

Encodings (``reference/dusk-protocol.md`` §2.3; upstream dusk-network/phoenix at
3f57c8adb7a1fa5ce3eb2338f1d4a788e3a745c3, ``core/src/keys/*.rs``, ``core/src/note.rs``,
``circuits/src/circuit_impl.rs``, as ``chain/crypto/phoenix.py`` and ``phoenix_circuit.py`` cite):

- secret key: ``a ‖ b``, 64 bytes (two Jubjub scalars, little-endian);
- view key: ``a ‖ B``, 64 bytes; public key: ``A ‖ B``, 64 bytes;
- note: the 302-byte ``Note::to_bytes``; nullifier: 32 bytes, a BLS12-381 scalar little-endian
  (the form of the chain's nullifier set and of the ``spend`` event).

Values are u64 in the cash token's minor units (cents for EUR). Errors: every function raises
:class:`PhoenixWalletError` (a ``ValueError``) with a stable ``reason`` for bad input, never a
``chain.crypto`` exception, so callers need not import that package.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from chain.crypto.exceptions import CryptoError
from chain.crypto.jubjub import R_J
from chain.crypto.pedersen import value_commitment
from chain.crypto.phoenix import (
    UNPLACED_POS,
    Note,
    NoteType,
    PublicKey,
    SecretKey,
    ViewKey,
    scan,
)
from chain.crypto.phoenix_circuit import SpentNote, make_output, transfer_witness
from chain.crypto.poseidon_merkle import NoteOpening
from chain.node import contract_abi

RandomBytes = Callable[[int], bytes]

__all__ = [
    "FoundNote",
    "PaymentNote",
    "PhoenixWalletError",
    "PreparedTransfer",
    "WalletKeys",
    "choose_payment_note",
    "compute_nullifier",
    "generate_keys",
    "make_shield_note",
    "note_value",
    "prepare_transfer",
    "scan_notes",
    "view_key_of",
]


class PhoenixWalletError(ValueError):
    """Bad input to the wallet: ``reason`` is stable (the underlying ``chain.crypto`` reason,
    or ``not_owner``, ``insufficient_value``, ``bad_amount``)."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _wrap(exc: CryptoError) -> PhoenixWalletError:
    return PhoenixWalletError(str(exc), reason=getattr(exc, "reason", "invalid_input"))


@dataclass(frozen=True, slots=True)
class WalletKeys:
    """A Phoenix key pair in bytes: ``secret_key`` (64), ``view_key`` (64), ``public_key`` (64)."""

    secret_key: bytes
    view_key: bytes
    public_key: bytes

    def __repr__(self) -> str:
        return f"WalletKeys(public_key={self.public_key.hex()[:16]}…)"


def generate_keys(seed: bytes) -> WalletKeys:
    """The key pair of ``seed`` (32 or 64 bytes: Gloam's ``SecretKey.from_seed``, index 0;
    ``chain/crypto/phoenix.py``). Raises :class:`PhoenixWalletError` (``seed_length``)."""
    try:
        secret = SecretKey.from_seed(bytes(seed), 0)
    except CryptoError as exc:
        raise _wrap(exc) from None
    return WalletKeys(secret.to_bytes(), secret.view_key().to_bytes(), secret.public_key().to_bytes())


def _secret(secret_key: bytes) -> SecretKey:
    try:
        return SecretKey.from_bytes(bytes(secret_key))
    except CryptoError as exc:
        raise _wrap(exc) from None


def _view(view_key: bytes) -> ViewKey:
    try:
        return ViewKey.from_bytes(bytes(view_key))
    except CryptoError as exc:
        raise _wrap(exc) from None


def _public(public_key: bytes) -> PublicKey:
    try:
        return PublicKey.from_bytes(bytes(public_key))
    except CryptoError as exc:
        raise _wrap(exc) from None


def _note(note: bytes, position: int | None = None) -> Note:
    try:
        decoded = Note.from_bytes(bytes(note))
        return decoded if position is None else decoded.with_pos(position)
    except CryptoError as exc:
        raise _wrap(exc) from None


def view_key_of(secret_key: bytes) -> bytes:
    """The 64-byte view key of a 64-byte secret key."""
    return _secret(secret_key).view_key().to_bytes()


@dataclass(frozen=True, slots=True)
class FoundNote:
    """A note the view key owns: its tree ``position``, opened ``value`` (u64) and the note's
    302 bytes with ``pos`` set to ``position`` (what a later spend hashes)."""

    position: int
    value: int
    note: bytes


def scan_notes(view_key: bytes, notes: Iterable[tuple[int, bytes]]) -> list[FoundNote]:
    """The notes of ``notes`` (``(position, 302-byte note)`` as the ``note`` events carry them)
    that ``view_key`` owns and whose value opens (``chain.crypto.phoenix.scan``). A note that
    does not decode is skipped (a hostile or broken event must not stop a scanner); an owned
    note that does not open is skipped too, as ``scan`` does."""
    key = _view(view_key)
    decoded: list[tuple[int, Note]] = []
    for position, raw in notes:
        try:
            note = Note.from_bytes(bytes(raw))
        except CryptoError:
            continue
        if note.pos not in (position, UNPLACED_POS):
            note = note.with_pos(UNPLACED_POS)  # the contract stores it at ``position`` whatever it says
        decoded.append((position, note))
    return [FoundNote(f.pos, f.value, f.note.to_bytes()) for f in scan(key, decoded)]


def note_value(view_key: bytes, note: bytes) -> tuple[int, int]:
    """``(value, blinder)`` of an owned note, re-derived from its bytes with the view key (the
    platform does not store blinders: they are re-derivable). Raises
    :class:`PhoenixWalletError` (``decryption_failed``, ``commitment_mismatch``, ...)."""
    try:
        return _note(note).value_opening(_view(view_key))
    except CryptoError as exc:
        raise _wrap(exc) from None


def compute_nullifier(secret_key: bytes, note: bytes, position: int) -> bytes:
    """The 32-byte nullifier (little-endian scalar) of the note placed at ``position``:
    ``Poseidon(note_sk·G', pos)`` (``Note::gen_nullifier``). Needs the secret key."""
    value = _note(note, position).nullifier(_secret(secret_key))
    return value.to_bytes(32, "little")


def make_shield_note(
    *,
    sender_public_key: bytes,
    receiver_public_key: bytes,
    value: int,
    random_bytes: RandomBytes = secrets.token_bytes,
) -> bytes:
    """A transparent note of ``value`` (1 ..= u64 max, minor units) to ``receiver_public_key``
    whose sender field encrypts ``sender_public_key``: what ``phoenix.shield`` takes
    (docs/contracts.md "phoenix"). Raises :class:`PhoenixWalletError` (``bad_amount``)."""
    if type(value) is not int or value <= 0:
        raise PhoenixWalletError("a shielded amount is positive", reason="bad_amount")
    try:
        note = Note.transparent(
            _public(sender_public_key), _public(receiver_public_key), value, random_bytes=random_bytes
        )
    except CryptoError as exc:
        raise _wrap(exc) from None
    assert note.note_type is NoteType.TRANSPARENT
    return note.to_bytes()


@dataclass(frozen=True, slots=True)
class PaymentNote:
    """The note a DvP's buyer must create for the seller (docs/zk.md "DvP against shielded
    cash"), chosen by the seller's wallet: its ``value`` (u64), stealth scalar ``r`` and
    ``blinder``, and the 128 ``fields`` the DvP instruction is bound to
    (``contract_abi.phoenix_payment_fields``: commitment x, y and note_pk x, y). ``r`` and
    ``blinder`` go to the buyer's wallet only: with them anyone can link the note."""

    value: int
    r: int
    blinder: int
    fields: bytes

    def __repr__(self) -> str:
        return f"PaymentNote(value={self.value}, <openings>)"


def _random_scalar(random_bytes: RandomBytes, *, nonzero: bool) -> int:
    while True:
        value = int.from_bytes(random_bytes(64), "little") % R_J
        if value or not nonzero:
            return value


def choose_payment_note(
    *, receiver_public_key: bytes, value: int, random_bytes: RandomBytes = secrets.token_bytes
) -> PaymentNote:
    """The seller's side of a DvP against shielded cash: a fresh stealth scalar ``r`` (not 0)
    and blinder for a note of ``value`` (1 ..= u64 max) to ``receiver_public_key``, and the
    fields to bind the instruction to (``dvp.bind_shielded_cash``). Raises
    :class:`PhoenixWalletError` (``bad_amount``, or a key's decoding reason)."""
    if type(value) is not int or value <= 0:
        raise PhoenixWalletError("a payment is positive", reason="bad_amount")
    receiver = _public(receiver_public_key)
    blinder = _random_scalar(random_bytes, nonzero=False)
    r = _random_scalar(random_bytes, nonzero=True)
    try:
        note_pk = receiver.stealth_address(r).note_pk
        commitment = value_commitment(value, blinder)
    except CryptoError as exc:
        raise _wrap(exc) from None
    fields = contract_abi.phoenix_payment_fields(commitment.affine(), note_pk.affine())
    return PaymentNote(value, r, blinder, fields)


@dataclass(frozen=True, slots=True)
class PreparedTransfer:
    """A transfer ready to prove: the ``circuit`` (``phoenix_transfer`` or
    ``phoenix_transfer_2``), its snarkjs ``inputs`` (secret: wipe after proving), the
    ``public_signals`` a proof of it carries (in circuit order), the contract call's ``args``
    (``encode_phoenix_transfer``), the inputs' ``nullifiers`` (32 bytes each) and the two
    ``output_notes`` (302 bytes each: the receiver's, then the change)."""

    circuit: str
    inputs: dict[str, object]
    public_signals: list[int]
    args: bytes
    nullifiers: list[bytes]
    output_notes: list[bytes]

    def __repr__(self) -> str:
        return f"PreparedTransfer({self.circuit}, <witness>)"


def prepare_transfer(
    *,
    secret_key: bytes,
    spends: Sequence[tuple[bytes, int, NoteOpening]],
    root: str,
    receiver_public_key: bytes,
    amount: int,
    chain_id: int,
    contract_id: str,
    deposit: int = 0,
    withdraw_to: bytes | None = None,
    payment: PaymentNote | None = None,
    dvp: tuple[str, int] | None = None,
    random_bytes: RandomBytes = secrets.token_bytes,
) -> PreparedTransfer:
    """Spend ``spends`` (1 or 2 ``(note bytes, position, opening)`` of the owner's notes, each
    opening against ``root``, 0x hex of the little-endian scalar as ``get_note_opening``
    returns it) into ``amount`` to ``receiver_public_key`` and the change to the owner, with
    ``deposit`` paid out in public to ``withdraw_to`` (a 49-byte Address; Phoenix →
    Moonlight); fee 0. The payload hash binds ``chain_id``, ``contract_id`` (0x hex) and the
    arguments (docs/zk.md "Phoenix transfers").

    Raises :class:`PhoenixWalletError`: ``insufficient_value`` (inputs below amount +
    deposit), ``bad_amount`` (negative), or the witness builder's reasons (``not_owner``,
    ``wrong_leaf``, ``wrong_root``, ``wrong_input_count``)."""
    if type(amount) is not int or type(deposit) is not int or amount < 0 or deposit < 0:
        raise PhoenixWalletError("amounts are non-negative integers", reason="bad_amount")
    owner = _secret(secret_key)
    view = owner.view_key()
    try:
        notes = [_note(raw, position) for raw, position, _ in spends]
        total = sum(note.value(view) for note in notes)
    except CryptoError as exc:
        raise _wrap(exc) from None
    if payment is not None and payment.value != amount:
        raise PhoenixWalletError("the amount is not the payment note's value", reason="bad_amount")
    if total < amount + deposit:
        raise PhoenixWalletError("the notes do not cover the amount", reason="insufficient_value")
    try:
        root_int = int.from_bytes(bytes.fromhex(root.removeprefix("0x")), "little")
    except ValueError:
        raise PhoenixWalletError("the root is not hex", reason="bad_root") from None
    try:
        sender_pk = owner.public_key()
        outputs = [
            make_output(
                sender_pk,
                _public(receiver_public_key),
                amount,
                blinder=None if payment is None else payment.blinder,
                r=None if payment is None else payment.r,
                random_bytes=random_bytes,
            ),
            make_output(sender_pk, sender_pk, total - amount - deposit, random_bytes=random_bytes),
        ]
        args = contract_abi.encode_phoenix_transfer(
            [o.note.to_bytes() for o in outputs],
            withdraw_to=withdraw_to,
            dvp=None if dvp is None else (bytes.fromhex(dvp[0].removeprefix("0x")), dvp[1]),
        )
        payload = contract_abi.phoenix_payload_hash(
            chain_id=chain_id, contract_id=bytes.fromhex(contract_id.removeprefix("0x")), args=args
        )
        witness = transfer_witness(
            owner,
            [SpentNote(note, opening) for note, (_, _, opening) in zip(notes, spends, strict=True)],
            outputs,
            root=root_int,
            payload_hash=payload,
            deposit=deposit,
            random_bytes=random_bytes,
        )
    except CryptoError as exc:
        raise _wrap(exc) from None
    except contract_abi.AbiError as exc:
        raise PhoenixWalletError(str(exc), reason=exc.reason) from None
    return PreparedTransfer(
        witness.circuit,
        witness.inputs,
        witness.public_signals,
        args,
        [note.nullifier(owner).to_bytes(32, "little") for note in notes],
        [o.note.to_bytes() for o in outputs],
    )
