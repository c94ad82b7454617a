"""Witnesses of the Phoenix transfer circuits: what a wallet hands the prover to spend notes.

The circuits are ``circuits/src/phoenix.circom`` ``PhoenixTransfer(17, I, 2)`` with mains
``phoenix_transfer`` (I = 1) and ``phoenix_transfer_2`` (I = 2); their statement, public
inputs and differences from Dusk's ``TxCircuit<17, I>`` are in docs/zk.md "Phoenix transfer
circuit" (reference ``dusk-protocol.md`` §2.3; dusk-network/phoenix at
3f57c8adb7a1fa5ce3eb2338f1d4a788e3a745c3, ``circuits/src/circuit_impl.rs``).

A transfer is built in three steps, because the payload hash the owners sign covers the output
notes:

1. :func:`make_output` for each of the two outputs (the receiver's note and the change; a
   value 0 output is a valid note), keeping each note's value, blinder and sender blinders;
2. the caller encodes the contract call around the output notes and hashes it
   (``chain.node.contract_abi.phoenix_payload_hash``);
3. :func:`transfer_witness` signs that hash with each input's note key and the sender's keys
   and returns the snarkjs input and the public signals the proof will carry.

Everything here is deterministic given ``random_bytes`` (the signature nonces and the output
notes' randomness), so tests can replay it. Variable-time Python: a reference wallet, not a
hardened one.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from chain.crypto.exceptions import InvalidInput
from chain.crypto.jubjub import R_J
from chain.crypto.pedersen import MAX_VALUE
from chain.crypto.phoenix import Note, PublicKey, RandomBytes, SecretKey
from chain.crypto.poseidon_merkle import NoteOpening, verify_opening
from chain.crypto.schnorr import public_key_double, sign, sign_double

#: Inputs per transfer the committed circuits take, and their names.
TRANSFER_CIRCUITS: Final = {1: "phoenix_transfer", 2: "phoenix_transfer_2"}
#: Output notes of every transfer (Dusk's shape).
OUTPUTS: Final = 2

__all__ = [
    "OUTPUTS",
    "TRANSFER_CIRCUITS",
    "OutputNote",
    "SpentNote",
    "TransferWitness",
    "make_output",
    "transfer_witness",
]


@dataclass(frozen=True, slots=True)
class OutputNote:
    """An output note with the openings only its maker knows: ``value`` (u64), ``blinder`` (the
    commitment's, a Jubjub scalar) and the two ElGamal ``sender_blinders`` of its sender field."""

    note: Note
    value: int
    blinder: int
    sender_blinders: tuple[int, int]


@dataclass(frozen=True, slots=True)
class SpentNote:
    """An input: a placed ``note`` the sender owns, and its Merkle ``opening`` against the root
    the transfer names (all inputs of one transfer must be opened against the same root)."""

    note: Note
    opening: NoteOpening


@dataclass(frozen=True, slots=True)
class TransferWitness:
    """The snarkjs input of ``circuit`` and the public signals a proof of it carries, in the
    circuit's order (``payload_hash, root, nullifiers[I], out commitments (x, y) × 2, max_fee,
    deposit, out note_pks (x, y) × 2, sender ciphertexts (8) × 2``)."""

    circuit: str
    inputs: dict[str, object]
    public_signals: list[int]


def _scalar(random_bytes: RandomBytes) -> int:
    return int.from_bytes(random_bytes(64), "little") % R_J


def make_output(
    sender: PublicKey,
    receiver: PublicKey,
    value: int,
    *,
    blinder: int | None = None,
    r: int | None = None,
    random_bytes: RandomBytes = secrets.token_bytes,
) -> OutputNote:
    """An obfuscated note of ``value`` (u64) to ``receiver`` whose sender field encrypts
    ``sender``, with its openings. ``blinder`` and the stealth scalar ``r`` are drawn unless
    given: a DvP's seller chooses them so that the note its buyer must create is known in
    advance (docs/zk.md "DvP against shielded cash"). Raises :class:`InvalidScalar` for a value
    outside u64 or a scalar outside its range."""
    blinder = _scalar(random_bytes) if blinder is None else blinder
    sender_blinders = (_scalar(random_bytes), _scalar(random_bytes))
    note = Note.obfuscated(
        sender, receiver, value, blinder, r=r, sender_blinders=sender_blinders, random_bytes=random_bytes
    )
    return OutputNote(note, value, blinder, sender_blinders)


def transfer_witness(
    sender: SecretKey,
    spends: Sequence[SpentNote],
    outputs: Sequence[OutputNote],
    *,
    root: int,
    payload_hash: int,
    max_fee: int = 0,
    deposit: int = 0,
    random_bytes: RandomBytes = secrets.token_bytes,
) -> TransferWitness:
    """The witness spending ``spends`` (1 or 2 notes owned by ``sender``) into ``outputs`` (2),
    ``max_fee`` and ``deposit`` (u64 each) under the note-tree ``root``, signing
    ``payload_hash`` (a scalar < 2^254) with each input's note key (double Schnorr on G, G')
    and with the sender's ``a`` and ``b``.

    Checked before anything is signed (:class:`InvalidInput`, with ``reason``):
    ``wrong_input_count`` (not 1 or 2 inputs), ``wrong_output_count``, ``not_owner`` (the
    sender's view key does not open an input), ``wrong_leaf`` (an opening is not of that
    note), ``wrong_root`` (an opening does not lead to ``root``), ``value_not_conserved``
    (Σ in ≠ Σ out + max_fee + deposit), ``out_of_range`` (fee or deposit outside u64).
    """
    if len(spends) not in TRANSFER_CIRCUITS:
        raise InvalidInput(f"a transfer spends 1 or 2 notes, not {len(spends)}", reason="wrong_input_count")
    if len(outputs) != OUTPUTS:
        raise InvalidInput("a transfer has exactly two outputs", reason="wrong_output_count")
    for name, amount in (("max_fee", max_fee), ("deposit", deposit)):
        if type(amount) is not int or not 0 <= amount <= MAX_VALUE:
            raise InvalidInput(f"{name} must be a u64", reason="out_of_range")
    view_key = sender.view_key()
    per_input: dict[str, list[object]] = {
        k: []
        for k in ("noteType", "value", "blinder", "notePk", "notePkPrime", "position")
        + ("siblings", "sigU", "sigR", "sigRPrime")
    }
    total_in = 0
    for spent in spends:
        note, opening = spent.note, spent.opening
        if not view_key.owns(note.stealth_address):
            raise InvalidInput(f"the note at {note.pos} is not the sender's", reason="not_owner")
        value, blinder = note.value_opening(view_key)
        if opening.leaf != note.hash():
            raise InvalidInput(f"the opening is not of the note at {note.pos}", reason="wrong_leaf")
        if not verify_opening(
            root.to_bytes(32, "little"), opening.leaf.to_bytes(32, "little"), note.pos, opening
        ):
            raise InvalidInput(f"the opening of {note.pos} does not lead to the root", reason="wrong_root")
        note_sk = sender.note_secret_key(note.stealth_address)
        pk, pk_prime = public_key_double(note_sk)
        sig = sign_double(note_sk, payload_hash, random_bytes(64))
        for key, item in (
            ("noteType", int(note.note_type)),
            ("value", value),
            ("blinder", blinder),
            ("notePk", list(pk.affine())),
            ("notePkPrime", list(pk_prime.affine())),
            ("position", note.pos),
            ("siblings", [list(level) for level in opening.siblings]),
            ("sigU", sig.u),
            ("sigR", list(sig.R.affine())),
            ("sigRPrime", list(sig.R_prime.affine())),
        ):
            per_input[key].append(item)
        total_in += value
    if total_in != sum(o.value for o in outputs) + max_fee + deposit:
        raise InvalidInput("inputs must equal outputs + max_fee + deposit", reason="value_not_conserved")

    nullifiers = [spent.note.nullifier(sender) for spent in spends]
    commitments = [list(o.note.value_commitment.affine()) for o in outputs]
    note_pks = [list(o.note.stealth_address.note_pk.affine()) for o in outputs]
    ciphertexts: list[list[list[int]]] = []
    for o in outputs:
        assert o.note.sender.encryption is not None  # make_output always encrypts the sender
        (a1, a2), (b1, b2) = o.note.sender.encryption
        ciphertexts.append([list(p.affine()) for p in (a1, a2, b1, b2)])
    sender_pk = sender.public_key()
    sender_sigs = [sign(secret, payload_hash, random_bytes(64)) for secret in (sender.a, sender.b)]
    inputs: dict[str, object] = {
        "payloadHash": payload_hash,
        "root": root,
        "nullifiers": nullifiers,
        "outCommitments": commitments,
        "maxFee": max_fee,
        "deposit": deposit,
        "outNotePks": note_pks,
        **per_input,
        "outValue": [o.value for o in outputs],
        "outBlinder": [o.blinder for o in outputs],
        "senderEnc": ciphertexts,
        "senderPk": [list(sender_pk.A.affine()), list(sender_pk.B.affine())],
        "senderSigU": [s.u for s in sender_sigs],
        "senderSigR": [list(s.R.affine()) for s in sender_sigs],
        "senderBlinder": [list(o.sender_blinders) for o in outputs],
    }
    public = transfer_public_signals(
        payload_hash, root, nullifiers, [o.note for o in outputs], max_fee=max_fee, deposit=deposit
    )
    return TransferWitness(TRANSFER_CIRCUITS[len(spends)], inputs, public)


def output_fields(note: Note) -> list[int]:
    """The 12 public fields of an output note, in the transfer circuit's order: value
    commitment (x, y), note_pk (x, y), then the sender's ``A.c1, A.c2, B.c1, B.c2`` (x, y
    each); zeros for a contract-info sender. What the chain's ``phoenix_note_push`` answers and
    the ``phoenix`` contract compares with the statement (docs/zk.md "Phoenix transfer circuit")."""
    fields = [*note.value_commitment.affine(), *note.stealth_address.note_pk.affine()]
    if note.sender.encryption is None:
        return fields + [0] * 8
    (a1, a2), (b1, b2) = note.sender.encryption
    for point in (a1, a2, b1, b2):
        fields += point.affine()
    return fields


def transfer_public_signals(
    payload_hash: int,
    root: int,
    nullifiers: Sequence[int],
    outputs: Sequence[Note],
    *,
    max_fee: int = 0,
    deposit: int = 0,
) -> list[int]:
    """The public signals of a transfer in the circuit's order: ``payload_hash, root,
    nullifiers[I], out commitments (x, y) × 2, max_fee, deposit, out note_pks (x, y) × 2,
    sender ciphertexts (8) × 2`` (29 for I = 1, 30 for I = 2)."""
    fields = [output_fields(note) for note in outputs]
    public = [payload_hash, root, *nullifiers]
    public += [c for f in fields for c in f[0:2]] + [max_fee, deposit]
    public += [c for f in fields for c in f[2:4]]
    public += [c for f in fields for c in f[4:]]
    return public
