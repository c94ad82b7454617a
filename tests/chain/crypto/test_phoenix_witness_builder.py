"""The wallet's Phoenix transfer witness builder (chain/crypto/phoenix_circuit.py) refuses what
the circuit would refuse, before signing anything: a note the sender does not own, an opening
of another leaf or against another root, values that do not balance, bad shapes. The valid
paths are checked against the circuit itself in test_phoenix_transfer_circuit.py."""

from __future__ import annotations

import random

import pytest

from chain.crypto.exceptions import InvalidInput
from chain.crypto.phoenix import Note, SecretKey
from chain.crypto.phoenix_circuit import SpentNote, make_output, transfer_witness
from chain.state import MemoryStore
from chain.state.note_tree import NoteTree
from chain.state.state import State

RNG = random.Random(7)  # noqa: S311 - seeded test data
OWNER = SecretKey.from_seed(RNG.randbytes(32))
OTHER = SecretKey.from_seed(RNG.randbytes(32))


def _placed(tree: NoteTree, owner: SecretKey, value: int) -> Note:
    note = Note.obfuscated(
        owner.public_key(), owner.public_key(), value, pos=tree.size(), random_bytes=RNG.randbytes
    )
    tree.append(note.hash().to_bytes(32, "little"), height=1)
    return note


def _setup() -> tuple[NoteTree, Note, Note]:
    tree = NoteTree(State(MemoryStore()))
    mine = _placed(tree, OWNER, 100)
    theirs = _placed(tree, OTHER, 100)
    return tree, mine, theirs


def _outputs(a: int, b: int) -> list:
    pk = OWNER.public_key()
    return [
        make_output(pk, OTHER.public_key(), a, random_bytes=RNG.randbytes),
        make_output(pk, pk, b, random_bytes=RNG.randbytes),
    ]


def _root(tree: NoteTree) -> int:
    return int.from_bytes(tree.root(), "little")


def test_a_balanced_spend_gives_the_public_signals_in_circuit_order():
    tree, mine, _ = _setup()
    outs = _outputs(60, 30)
    w = transfer_witness(
        OWNER, [SpentNote(mine, tree.opening(0))], outs, root=_root(tree), payload_hash=5, max_fee=10
    )
    assert w.circuit == "phoenix_transfer"
    assert len(w.public_signals) == 29
    assert w.public_signals[:3] == [5, _root(tree), mine.nullifier(OWNER)]
    assert w.public_signals[7:9] == [10, 0]
    assert w.public_signals[3:5] == list(outs[0].note.value_commitment.affine())


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("not_mine", "not_owner"),
        ("other_leaf", "wrong_leaf"),
        ("stale_root", "wrong_root"),
        ("unbalanced", "value_not_conserved"),
        ("three_inputs", "wrong_input_count"),
        ("one_output", "wrong_output_count"),
        ("fee_too_big", "out_of_range"),
    ],
)
def test_refusals(case, reason):
    tree, mine, theirs = _setup()
    spends = [SpentNote(mine, tree.opening(0))]
    outs = _outputs(60, 40)
    root, fee = _root(tree), 0
    if case == "not_mine":
        spends = [SpentNote(theirs, tree.opening(1))]
    elif case == "other_leaf":
        spends = [SpentNote(mine, tree.opening(1))]
    elif case == "stale_root":
        root = 12345
    elif case == "unbalanced":
        outs = _outputs(60, 41)
    elif case == "three_inputs":
        spends = spends * 3
    elif case == "one_output":
        outs = outs[:1]
    elif case == "fee_too_big":
        fee = 2**64
    with pytest.raises(InvalidInput) as refused:
        transfer_witness(OWNER, spends, outs, root=root, payload_hash=5, max_fee=fee)
    assert refused.value.reason == reason
