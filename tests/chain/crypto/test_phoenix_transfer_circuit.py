"""The Phoenix transfer circuits (circuits/src/phoenix.circom; mains phoenix_transfer, I = 1,
and phoenix_transfer_2, I = 2, both with 2 outputs) against the Python references.

Witnesses are built the way a wallet would: notes made with :mod:`chain.crypto.phoenix`
(obfuscated notes to the sender, opened with its view key), placed in a depth-17
:class:`~chain.state.note_tree.NoteTree` among other leaves, spent with a double Schnorr
signature (:func:`chain.crypto.schnorr.sign_double`) by the note secret key
(:meth:`SecretKey.note_secret_key`) over a payload hash, and the nullifiers of
:meth:`Note.nullifier`. The payload hash here is a random field element (Dusk hashes the
transaction payload into it; that hash is not part of the circuit).

A valid transfer must satisfy the constraints and give the public signals the references
predict, in Dusk's order (dusk-protocol.md §2.3 public inputs, ending with the sender ciphertexts;
dusk-network/phoenix 3f57c8adb7a1fa5ce3eb2338f1d4a788e3a745c3, circuits/src/circuit_impl.rs).
The sender proves item 6 as Dusk's circuits/src/sender_enc.rs: Schnorr signatures
(:func:`chain.crypto.schnorr.sign`) of the payload hash by its secret keys a and b under its
public key (A, B), and for each output note the ElGamal encryption of A and B under the
output's note_pk that :meth:`Sender.encrypt` computes (the note's ``sender`` field), whose
ciphertexts are the last public signals and which the output's owner opens with
:meth:`Sender.decrypt`.

Each broken statement (Merkle path, stale root, nullifier of another position, signature by
another key, outputs exceeding inputs, an output value of 2^64 or more, a wrong commitment, a
wrong sender ciphertext or blinder, a sender key off the curve or not the signer's) must make
the witness generator refuse.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import pytest

from chain.crypto.jubjub import GENERATOR, GENERATOR_NUMS, R_J, Point
from chain.crypto.pedersen import value_commitment
from chain.crypto.phoenix import Note, RandomBytes, SecretKey, Sender
from chain.crypto.phoenix_circuit import OutputNote, SpentNote, transfer_witness
from chain.crypto.poseidon import MODULUS
from chain.crypto.poseidon import hash as poseidon_hash
from chain.crypto.schnorr import public_key_double, sign_double
from chain.state import MemoryStore
from chain.state.note_tree import NoteTree
from chain.state.state import State
from tests.chain.crypto.circuit_witness import WitnessFailed, needs_snarkjs, r1cs_header, witness

HEIGHT: Final = 5
MAX_FEE: Final = 2_000_000
DEPOSIT: Final = 300_000


@dataclass
class Transfer:
    """A transfer of ``len(notes)`` input notes to a receiver and a change output, with the
    snarkjs input of the circuit and the public signals it must give."""

    sender: SecretKey
    receiver: SecretKey
    notes: list[Note]
    tree: NoteTree
    payload_hash: int
    out_values: list[int]
    out_blinders: list[int]
    out_notes: list[Note]
    sender_blinders: list[tuple[int, int]]
    inputs: dict[str, object] = field(default_factory=dict)

    @property
    def circuit(self) -> str:
        return "phoenix_transfer" if len(self.notes) == 1 else f"phoenix_transfer_{len(self.notes)}"

    def root(self) -> int:
        return int.from_bytes(self.tree.root(), "little")

    def sender_ciphertexts(self) -> list[int]:
        """Per output note, its ``sender`` field (``Sender.encrypt`` of the sender's key under
        its note_pk) as ``A.c1, A.c2, B.c1, B.c2``, each point as x, y: 16 field elements."""
        out = []
        for note in self.out_notes:
            assert note.sender.encryption is not None
            (a1, a2), (b1, b2) = note.sender.encryption
            out += [c for point in (a1, a2, b1, b2) for c in point.affine()]
        return out

    def public_signals(self) -> list[int]:
        """``[payload_hash, root, nullifiers…, out0.x, out0.y, out1.x, out1.y, max_fee, deposit,
        npk0.x, npk0.y, npk1.x, npk1.y, sender ciphertexts of out0 (8), of out1 (8)]`` from the
        references."""
        return [
            self.payload_hash,
            self.root(),
            *(note.nullifier(self.sender) for note in self.notes),
            *(c for note in self.out_notes for c in note.value_commitment.affine()),
            MAX_FEE,
            DEPOSIT,
            *(c for note in self.out_notes for c in note.stealth_address.note_pk.affine()),
            *self.sender_ciphertexts(),
        ]


def _leaf(value: int) -> bytes:
    return value.to_bytes(32, "little")


def build(seed: int, in_values: list[int], sent: int, *, transparent: bool = False) -> Transfer:
    """Notes of ``in_values`` (obfuscated, or transparent: blinder 0) owned by a fresh sender
    among random leaves of a depth-17 tree, spent to ``sent`` for a receiver and the change (the
    rest minus MAX_FEE and DEPOSIT) back to the sender."""
    rng = random.Random(seed)  # noqa: S311 - seeded test data, not keys of value
    rb = rng.randbytes
    sender = SecretKey.from_seed(rb(32))
    receiver = SecretKey.from_seed(rb(32))
    tree = NoteTree(State(MemoryStore()))
    for _ in range(rng.randrange(3, 7)):
        tree.append(_leaf(rng.randrange(MODULUS)), height=HEIGHT)
    notes = []
    for value in in_values:
        make = Note.transparent if transparent else Note.obfuscated
        note = make(sender.public_key(), sender.public_key(), value, pos=tree.size(), random_bytes=rb)
        assert tree.append(_leaf(note.hash()), height=HEIGHT) == note.pos
        notes.append(note)
        tree.append(_leaf(rng.randrange(MODULUS)), height=HEIGHT)  # a filled sibling after it
    change = sum(in_values) - sent - MAX_FEE - DEPOSIT
    assert change >= 0
    out_blinders = [rng.randrange(R_J), rng.randrange(R_J)]
    sender_blinders = [(rng.randrange(R_J), rng.randrange(R_J)) for _ in range(2)]
    out_notes = [
        Note.obfuscated(sender.public_key(), to.public_key(), v, b, sender_blinders=sb, random_bytes=rb)
        for to, v, b, sb in zip(
            (receiver, sender), (sent, change), out_blinders, sender_blinders, strict=True
        )
    ]
    transfer = Transfer(
        sender,
        receiver,
        notes,
        tree,
        rng.randrange(MODULUS),
        [sent, change],
        out_blinders,
        out_notes,
        sender_blinders,
    )
    transfer.inputs = _inputs(transfer, rb)
    return transfer


def _inputs(t: Transfer, random_bytes: RandomBytes) -> dict[str, object]:
    """The snarkjs input of ``t`` from the wallet's witness builder
    (:func:`chain.crypto.phoenix_circuit.transfer_witness`: each input opened with the sender's
    view key and signed by its note key, the sender's signatures and sender blinders), whose
    public signals must be the references' (``t.public_signals()``)."""
    witness_ = transfer_witness(
        t.sender,
        [SpentNote(note, t.tree.opening(note.pos)) for note in t.notes],
        [
            OutputNote(note, value, blinder, blinders)
            for note, value, blinder, blinders in zip(
                t.out_notes, t.out_values, t.out_blinders, t.sender_blinders, strict=True
            )
        ],
        root=t.root(),
        payload_hash=t.payload_hash,
        max_fee=MAX_FEE,
        deposit=DEPOSIT,
        random_bytes=random_bytes,
    )
    assert witness_.circuit == t.circuit
    assert witness_.public_signals == t.public_signals()
    return witness_.inputs


ONE_IN: Final = build(18, [5_000_000_000], 1_234_567_890)


def _refused(tmp_path: Path, inputs: dict[str, object], where: str = "PhoenixTransfer") -> None:
    """The witness generator refuses ``inputs``, first in a template whose name starts with
    ``where`` (PhoenixTransfer: one of its own equalities), so the refusal is the check under
    test and not a malformed input."""
    with pytest.raises(WitnessFailed, match=rf"ERROR:\s+\d+\s+Error in template {where}"):
        witness(tmp_path, "phoenix_transfer", inputs)


def _with_input(name: str, value: object, i: int = 0) -> dict[str, object]:
    inputs = dict(ONE_IN.inputs)
    items = list(inputs[name])  # type: ignore[call-overload]
    items[i] = value
    inputs[name] = items
    return inputs


# -- shape -----------------------------------------------------------------------------------------


def test_constraint_counts() -> None:
    """TxCircuit<17, 1>: 29 public inputs (no outputs), 82 private, 43,884 constraints (below
    2^16 = 65,536); TxCircuit<17, 2>: 30 public, 146 private, 60,169 (below 2^16)."""
    assert r1cs_header("phoenix_transfer")[1:] == (0, 29, 82, 43884)
    assert r1cs_header("phoenix_transfer_2")[1:] == (0, 30, 146, 60169)


def test_the_example_is_consistent_with_the_references() -> None:
    """The witness builder's own checks: the note is the tree's leaf at its position, the
    double public key's first half is note_pk, and value is conserved."""
    note = ONE_IN.notes[0]
    assert ONE_IN.tree.leaf(note.pos) == _leaf(note.hash())
    assert ONE_IN.inputs["nullifiers"] == [note.nullifier(ONE_IN.sender)]
    assert note.value(ONE_IN.sender.view_key()) == sum(ONE_IN.out_values) + MAX_FEE + DEPOSIT


# -- valid transfers -------------------------------------------------------------------------------


@needs_snarkjs
def test_valid_one_input_transfer_gives_the_reference_public_signals(tmp_path: Path) -> None:
    values = witness(tmp_path, "phoenix_transfer", ONE_IN.inputs)
    assert values[1:30] == ONE_IN.public_signals()


@needs_snarkjs
def test_valid_two_input_transfer_gives_the_reference_public_signals(tmp_path: Path) -> None:
    two = build(19, [3_000_000_000, 4_500_000_000], 6_000_000_000)
    values = witness(tmp_path, two.circuit, two.inputs)
    assert values[1:31] == two.public_signals()
    assert values[3] != values[4]  # two distinct nullifiers


@needs_snarkjs
def test_spending_everything_with_zero_change_is_satisfiable(tmp_path: Path) -> None:
    exact = build(20, [MAX_FEE + DEPOSIT + 10], 10)
    assert exact.out_values == [10, 0]
    values = witness(tmp_path, exact.circuit, exact.inputs)
    assert values[1:30] == exact.public_signals()


@needs_snarkjs
def test_spending_a_transparent_note_is_satisfiable(tmp_path: Path) -> None:
    """A transparent input note (type 0, blinder 0: its commitment is value·G)."""
    clear = build(22, [7_000_000_000], 5, transparent=True)
    assert clear.inputs["noteType"] == [0]
    assert clear.inputs["blinder"] == [0]
    values = witness(tmp_path, clear.circuit, clear.inputs)
    assert values[1:30] == clear.public_signals()


# -- membership ------------------------------------------------------------------------------------


@needs_snarkjs
def test_wrong_merkle_sibling_is_unsatisfiable(tmp_path: Path) -> None:
    siblings = [list(level) for level in ONE_IN.inputs["siblings"][0]]  # type: ignore[index]
    siblings[0][0] = (siblings[0][0] + 1) % MODULUS
    _refused(tmp_path, _with_input("siblings", siblings))


@needs_snarkjs
def test_stale_root_is_unsatisfiable_and_the_fresh_opening_is_not(tmp_path: Path) -> None:
    """After another append the old opening does not reach the new root; the new opening
    does (the same note, spent against the tree's current root)."""
    t = build(21, [5_000_000_000], 1_000)
    old_siblings = t.inputs["siblings"]
    old_root = t.root()
    t.tree.append(_leaf(7), height=HEIGHT + 1)
    assert t.root() != old_root
    stale = {**t.inputs, "root": t.root(), "siblings": old_siblings}
    _refused(tmp_path, stale)
    fresh_siblings = [[list(level) for level in t.tree.opening(t.notes[0].pos).siblings]]
    assert fresh_siblings != old_siblings
    values = witness(tmp_path, "phoenix_transfer", {**stale, "siblings": fresh_siblings})
    assert values[2] == t.root()


@needs_snarkjs
def test_another_position_is_unsatisfiable(tmp_path: Path) -> None:
    """The note hash commits to its position: the same opening digits claimed for pos + 1
    (with the nullifier of pos + 1) do not open."""
    note = ONE_IN.notes[0]
    inputs = _with_input("position", note.pos + 1)
    inputs["nullifiers"] = [note.with_pos(note.pos + 1).nullifier(ONE_IN.sender)]
    _refused(tmp_path, inputs)


@needs_snarkjs
def test_wrong_input_blinder_is_unsatisfiable(tmp_path: Path) -> None:
    blinder = ONE_IN.inputs["blinder"][0]  # type: ignore[index]
    _refused(tmp_path, _with_input("blinder", (blinder + 1) % R_J))


# -- nullifiers ------------------------------------------------------------------------------------


@needs_snarkjs
def test_nullifier_of_another_position_is_unsatisfiable(tmp_path: Path) -> None:
    note = ONE_IN.notes[0]
    other = note.with_pos(note.pos + 1).nullifier(ONE_IN.sender)
    assert other != note.nullifier(ONE_IN.sender)
    _refused(tmp_path, {**ONE_IN.inputs, "nullifiers": [other]})


@needs_snarkjs
def test_nullifier_from_another_key_is_unsatisfiable(tmp_path: Path) -> None:
    """notePkPrime of another note secret key: the double signature no longer holds."""
    other_sk = (ONE_IN.sender.note_secret_key(ONE_IN.notes[0].stealth_address) + 1) % R_J
    npk_prime = GENERATOR_NUMS * other_sk
    inputs = _with_input("notePkPrime", list(npk_prime.affine()))
    _refused(tmp_path, inputs, "SchnorrDoubleVerify")


# -- ownership -------------------------------------------------------------------------------------


@needs_snarkjs
def test_signature_by_another_key_is_unsatisfiable(tmp_path: Path) -> None:
    thief = SecretKey.from_seed(bytes(range(32)))
    thief_sk = thief.note_secret_key(ONE_IN.notes[0].stealth_address)
    sig = sign_double(thief_sk, ONE_IN.payload_hash, bytes(64))
    inputs = _with_input("sigU", sig.u)
    inputs["sigR"] = [list(sig.R.affine())]
    inputs["sigRPrime"] = [list(sig.R_prime.affine())]
    _refused(tmp_path, inputs, "SchnorrDoubleVerify")


@needs_snarkjs
def test_thief_with_own_consistent_keys_is_unsatisfiable(tmp_path: Path) -> None:
    """A thief signing with its own key pair and using its own note_pk, note_pk' and nullifier:
    every part holds except membership (the note hash carries the owner's note_pk)."""
    thief_sk = 123_456_789
    pk = public_key_double(thief_sk)
    sig = sign_double(thief_sk, ONE_IN.payload_hash, bytes(64))
    inputs = _with_input("notePk", list(pk[0].affine()))
    inputs["notePkPrime"] = [list(pk[1].affine())]
    inputs["sigU"] = [sig.u]
    inputs["sigR"] = [list(sig.R.affine())]
    inputs["sigRPrime"] = [list(sig.R_prime.affine())]
    inputs["nullifiers"] = [poseidon_hash([*pk[1].affine(), ONE_IN.notes[0].pos])]
    _refused(tmp_path, inputs)


@needs_snarkjs
def test_signature_over_another_payload_is_unsatisfiable(tmp_path: Path) -> None:
    _refused(
        tmp_path, {**ONE_IN.inputs, "payloadHash": (ONE_IN.payload_hash + 1) % MODULUS}, "SchnorrDoubleVerify"
    )


# -- outputs and conservation ----------------------------------------------------------------------


def _outputs(values: list[int], blinders: list[int]) -> dict[str, object]:
    commitments = [GENERATOR * (v % R_J) + GENERATOR_NUMS * b for v, b in zip(values, blinders, strict=True)]
    return {
        **ONE_IN.inputs,
        "outValue": [v % MODULUS for v in values],
        "outBlinder": blinders,
        "outCommitments": [list(c.affine()) for c in commitments],
    }


@needs_snarkjs
def test_outputs_exceeding_inputs_are_unsatisfiable(tmp_path: Path) -> None:
    """One more LUX out than in, with correct commitments to the claimed outputs."""
    sent, change = ONE_IN.out_values
    _refused(tmp_path, _outputs([sent + 1, change], ONE_IN.out_blinders))


@needs_snarkjs
def test_output_value_of_2_64_or_more_is_unsatisfiable(tmp_path: Path) -> None:
    """out0 = 2^64 + sent and out1 = change - 2^64 (mod p): the field sum is conserved, only the
    64-bit range check refuses it."""
    sent, change = ONE_IN.out_values
    values = [sent + (1 << 64), change - (1 << 64)]
    assert sum(v % MODULUS for v in values) % MODULUS == sent + change
    _refused(tmp_path, _outputs(values, ONE_IN.out_blinders), "Bits")


@needs_snarkjs
def test_fee_wrapping_the_field_is_unsatisfiable(tmp_path: Path) -> None:
    """max_fee = p - 1 with one more LUX of change: conserved mod p, refused by the range."""
    sent, change = ONE_IN.out_values
    inputs = _outputs([sent, change + MAX_FEE + 1], ONE_IN.out_blinders)
    inputs["maxFee"] = MODULUS - 1
    _refused(tmp_path, inputs, "Bits")


@needs_snarkjs
def test_wrong_output_commitment_is_unsatisfiable(tmp_path: Path) -> None:
    """The change's commitment with another blinder than the witness's."""
    change = ONE_IN.out_values[1]
    wrong = value_commitment(change, (ONE_IN.out_blinders[1] + 1) % R_J)
    _refused(tmp_path, _with_input("outCommitments", list(wrong.affine()), 1))


@needs_snarkjs
def test_output_note_pk_off_the_curve_is_unsatisfiable(tmp_path: Path) -> None:
    x, y = ONE_IN.out_notes[0].stealth_address.note_pk.affine()
    _refused(tmp_path, _with_input("outNotePks", [x, (y + 1) % MODULUS]), "JubjubOnCurve")


# -- sender encryption (item 6) --------------------------------------------------------------------


def _enc(values: list[int], j: int) -> Sender:
    """Output j's sender field from a one-input witness ``values`` (wire 0 is 1; the 16
    ciphertext coordinates are public signals 13 to 28)."""
    xs = values[14 + 8 * j : 22 + 8 * j]
    points = [Point.from_affine(xs[2 * i], xs[2 * i + 1]) for i in range(4)]
    return Sender(encryption=((points[0], points[1]), (points[2], points[3])))


@needs_snarkjs
def test_sender_ciphertexts_are_public_and_the_owners_decrypt_the_sender(tmp_path: Path) -> None:
    """The last 16 public signals are Sender.encrypt of the sender's key under each output's
    note_pk; each output's owner recovers (A, B) with its note secret key and Sender.decrypt."""
    values = witness(tmp_path, "phoenix_transfer", ONE_IN.inputs)
    for j, (note, owner) in enumerate(zip(ONE_IN.out_notes, (ONE_IN.receiver, ONE_IN.sender), strict=True)):
        expected = Sender.encrypt(
            note.stealth_address.note_pk, ONE_IN.sender.public_key(), ONE_IN.sender_blinders[j]
        )
        sender = _enc(values, j)
        assert sender == expected == note.sender
        assert sender.decrypt(owner.note_secret_key(note.stealth_address)) == ONE_IN.sender.public_key()
    assert _enc(values, 0) != _enc(values, 1)


def _with_enc(j: int, k: int, point: Point) -> dict[str, object]:
    enc = [[list(c) for c in out] for out in ONE_IN.inputs["senderEnc"]]  # type: ignore[attr-defined]
    enc[j][k] = list(point.affine())
    return {**ONE_IN.inputs, "senderEnc": enc}


@needs_snarkjs
@pytest.mark.parametrize(("j", "k"), [(0, 0), (0, 1), (1, 2), (1, 3)])
def test_wrong_sender_ciphertext_is_unsatisfiable(tmp_path: Path, j: int, k: int) -> None:
    """One ciphertext point (c1 or c2 of A or B, of either output) moved by G."""
    encryption = ONE_IN.out_notes[j].sender.encryption
    assert encryption is not None
    points = [p for pair in encryption for p in pair]
    _refused(tmp_path, _with_enc(j, k, points[k] + GENERATOR))


@needs_snarkjs
def test_wrong_sender_blinder_is_unsatisfiable(tmp_path: Path) -> None:
    blinders = [list(b) for b in ONE_IN.sender_blinders]
    blinders[1][1] = (blinders[1][1] + 1) % R_J
    _refused(tmp_path, {**ONE_IN.inputs, "senderBlinder": blinders})


@needs_snarkjs
def test_ciphertexts_of_another_sender_key_are_unsatisfiable(tmp_path: Path) -> None:
    """Consistent ciphertexts of an impostor's key under the right note_pks and blinders, with
    the impostor's key as senderPk: the signatures by the real a and b no longer verify."""
    impostor = SecretKey.from_seed(bytes(range(1, 33))).public_key()
    enc = []
    for note, blinders in zip(ONE_IN.out_notes, ONE_IN.sender_blinders, strict=True):
        forged = Sender.encrypt(note.stealth_address.note_pk, impostor, blinders).encryption
        assert forged is not None
        enc.append([list(p.affine()) for pair in forged for p in pair])
    pk = [list(impostor.A.affine()), list(impostor.B.affine())]
    _refused(tmp_path, {**ONE_IN.inputs, "senderEnc": enc, "senderPk": pk}, "SchnorrVerify")


@needs_snarkjs
def test_sender_key_off_the_curve_is_unsatisfiable(tmp_path: Path) -> None:
    x, y = ONE_IN.sender.public_key().B.affine()
    pk = [list(ONE_IN.sender.public_key().A.affine()), [x, (y + 1) % MODULUS]]
    _refused(tmp_path, {**ONE_IN.inputs, "senderPk": pk}, "Jubjub")
