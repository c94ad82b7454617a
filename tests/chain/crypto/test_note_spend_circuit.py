"""The transfer-sized circuit note_spend (circuits/src/note_spend.circom) against the Python
references (chain.tools.note_spend_fixture builds its inputs from chain.crypto's Pedersen,
Poseidon, Merkle4 and Schnorr code).

A satisfying input must give the public signals the references predict; each broken part of
the statement (root, range of the value, fee and change, signature, key, nullifier secret,
position, note contents) must make the witness generator refuse. The committed fixture must be
the generator's output, and its proof (made by scripts/ceremony.sh) must carry these signals.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chain.crypto import groth16
from chain.crypto.exceptions import ProofCheckFailed
from chain.crypto.jubjub import GENERATOR
from chain.crypto.poseidon import MODULUS
from chain.tools import note_spend_fixture
from tests.chain.crypto.circuit_witness import CIRCUITS, WitnessFailed, needs_snarkjs, r1cs_header, witness

EXAMPLE = note_spend_fixture.example()


def test_constraint_count() -> None:
    """3 public outputs, 3 public inputs, 62 private inputs; 14,073 constraints (below 2^14)."""
    assert r1cs_header("note_spend")[1:] == (3, 3, 62, 14073)


def test_committed_fixture_is_the_generator_output() -> None:
    committed = (CIRCUITS / "fixtures" / "note_spend.input.json").read_text()
    assert committed == note_spend_fixture.to_json(EXAMPLE.inputs)


def test_committed_proof_carries_the_reference_public_signals() -> None:
    public = CIRCUITS / "fixtures" / "note_spend.public.json"
    if not public.exists():
        pytest.skip("no setup for note_spend yet: run scripts/ceremony.sh")
    assert [int(v) for v in json.loads(public.read_text())] == note_spend_fixture.public_signals(EXAMPLE)


@needs_snarkjs
@pytest.mark.parametrize("seed", [17, 18])
def test_public_signals_match_the_reference(tmp_path: Path, seed: int) -> None:
    ex = note_spend_fixture.example(seed)
    values = witness(tmp_path, "note_spend", ex.inputs)
    assert values[1:7] == note_spend_fixture.public_signals(ex)


def _tampered(name: str) -> dict[str, object]:
    inputs = dict(EXAMPLE.inputs)
    value = int(str(inputs["value"]))
    changes: dict[str, object] = {
        "root": (EXAMPLE.root + 1) % MODULUS,
        "fee_above_value": value + 1,
        "fee_negative": MODULUS - 1,
        "message": (EXAMPLE.message + 1) % MODULUS,
        "value": value + 1,
        "blinder": int(str(inputs["blinder"])) + 1,
        "noteSecret": int(str(inputs["noteSecret"])) + 1,
        "position": int(str(inputs["position"])) ^ 1,
        "notePk": list((GENERATOR * 5).affine()),
        "sigU": (int(str(inputs["sigU"])) + 1),
        "noteType": 2,
    }
    key = {"fee_above_value": "fee", "fee_negative": "fee"}.get(name, name)
    inputs[key] = changes[name]
    return inputs


@needs_snarkjs
@pytest.mark.parametrize(
    "name",
    [
        "root",
        "fee_above_value",
        "fee_negative",
        "message",
        "value",
        "blinder",
        "noteSecret",
        "position",
        "notePk",
        "sigU",
        "noteType",
    ],
)
def test_broken_statements_are_unsatisfiable(tmp_path: Path, name: str) -> None:
    with pytest.raises(WitnessFailed):
        witness(tmp_path, "note_spend", _tampered(name))


def test_committed_proof_verifies_in_the_node_and_a_changed_fee_does_not() -> None:
    """The fixture proof against build/note_spend.vk with chain.crypto.groth16 (what a node
    runs); the same proof with the fee one higher is refused by the pairing check."""
    proof_path = CIRCUITS / "fixtures" / "note_spend.proof.json"
    if not proof_path.exists():
        pytest.skip("no setup for note_spend yet: run scripts/ceremony.sh")
    vk = (CIRCUITS / "build" / "note_spend.vk").read_bytes()
    proof = groth16.proof_from_snarkjs(json.loads(proof_path.read_text()))
    signals = note_spend_fixture.public_signals(EXAMPLE)
    groth16.verify(vk, groth16.encode_public_inputs(signals), proof)
    signals[4] += 1  # the fee
    with pytest.raises(ProofCheckFailed):
        groth16.verify(vk, groth16.encode_public_inputs(signals), proof)
