"""The committed range_product key and fixture proof (circuits/), in the chain's byte forms,
mutations of them that the chain must refuse, and a contract that reads what was proven."""

from __future__ import annotations

import json
from pathlib import Path

from chain.crypto import groth16
from chain.crypto.exceptions import ProofRefused
from chain.types.primitives import Hash32
from tests.chain.vm.wat import wasm

CIRCUITS = Path(__file__).resolve().parents[2] / "circuits"
VK = (CIRCUITS / "build" / "range_product.vk").read_bytes()
VK_ID: Hash32 = groth16.compute_vk_id(VK)
PROOF = groth16.proof_from_snarkjs(
    json.loads((CIRCUITS / "fixtures" / "range_product.proof.json").read_text())
)
PUBLIC = groth16.public_inputs_from_snarkjs(
    json.loads((CIRCUITS / "fixtures" / "range_product.public.json").read_text())
)


def _g1_with_reason(reason: str) -> bytes:
    """The first compressed x (flag 0x80, x = 1, 2, …) that the decoder refuses with ``reason``."""
    for x in range(1, 10_000):
        candidate = (x.to_bytes(48, "big")[0] | 0x80).to_bytes(1, "big") + x.to_bytes(48, "big")[1:]
        try:
            groth16.decode_proof(candidate + PROOF[48:])
        except ProofRefused as exc:
            if exc.reason == reason:
                return candidate
    raise AssertionError(f"no x found for {reason}")


OFF_CURVE_G1 = _g1_with_reason("not_on_curve")
OUT_OF_SUBGROUP_G1 = _g1_with_reason("not_in_subgroup")

#: (label, vk_id, public inputs, proof, the ProofRefused reason or "unknown_verifying_key").
REFUSED_ATTACHMENTS = [
    ("wrong_proof", VK_ID, PUBLIC, PROOF[:144] + PROOF[:48], "proof_refused:pairing_check_failed"),
    (
        "wrong_public_input",
        VK_ID,
        bytes([PUBLIC[0] ^ 1]) + PUBLIC[1:],
        PROOF,
        "proof_refused:pairing_check_failed",
    ),
    ("one_input_missing", VK_ID, PUBLIC[:32], PROOF, "proof_refused:wrong_public_input_count"),
    ("one_input_too_many", VK_ID, PUBLIC + bytes(32), PROOF, "proof_refused:wrong_public_input_count"),
    ("unknown_key", Hash32(bytes(32)), PUBLIC, PROOF, "unknown_verifying_key"),
    ("a_off_curve", VK_ID, PUBLIC, OFF_CURVE_G1 + PROOF[48:], "proof_refused:not_on_curve"),
    ("a_out_of_subgroup", VK_ID, PUBLIC, OUT_OF_SUBGROUP_G1 + PROOF[48:], "proof_refused:not_in_subgroup"),
    ("c_off_curve", VK_ID, PUBLIC, PROOF[:144] + OFF_CURVE_G1, "proof_refused:not_on_curve"),
    (
        "b_not_compressed",
        VK_ID,
        PUBLIC,
        PROOF[:48] + bytes([PROOF[48] & 0x7F]) + PROOF[49:],
        "proof_refused:invalid_encoding",
    ),
    ("zeros", VK_ID, PUBLIC, bytes(192), "proof_refused:invalid_encoding"),
]

#: prove(): reads ``proof_statement`` and emits it under topic "proven" (panics on -1).
PROVER_WAT = """(module
 (import "env" "proof_statement" (func $proof_statement (result i32)))
 (import "env" "emit" (func $emit (param i32 i32 i32)))
 (import "env" "panic" (func $panic (param i32)))
 (memory (export "memory") 2 2)
 (global (export "A") i32 (i32.const 1024))
 (data (i32.const 512) "proven")
 (func (export "prove") (param i32) (result i32)
   (local $n i32)
   (local.set $n (call $proof_statement))
   (if (i32.lt_s (local.get $n) (i32.const 0)) (then (call $panic (i32.const 0)) (unreachable)))
   (call $emit (i32.const 512) (i32.const 6) (local.get $n))
   (i32.const 0))
)"""


def prover_wasm() -> bytes:
    return wasm(PROVER_WAT)
