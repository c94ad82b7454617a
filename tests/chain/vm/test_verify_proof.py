"""The host function ``verify_proof`` (docs/vm-abi.md, issue 17 item 5): a contract gets 1 for
the committed Groth16 fixture proof, 0 for any refusal (changed input, garbage, wrong
lengths), a trap for a range outside its memory, and pays the documented gas."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from chain.crypto import groth16
from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from chain.vm.session import PROOF_INPUT_GAS, PROOF_VERIFY_GAS, BlockInfo, VmSession
from tests.chain.helpers import keypair
from tests.chain.vm.wat import wasm

CIRCUITS = Path(__file__).resolve().parents[3] / "circuits"
VK = (CIRCUITS / "build" / "range_product.vk").read_bytes()
PROOF = groth16.proof_from_snarkjs(
    json.loads((CIRCUITS / "fixtures" / "range_product.proof.json").read_text())
)
PUBLIC = groth16.public_inputs_from_snarkjs(
    json.loads((CIRCUITS / "fixtures" / "range_product.public.json").read_text())
)
OWNER = keypair("vm-owner")
BLOCK = BlockInfo(height=7, timestamp=1_700_000_000, chain_id=3)
GAS = 50_000_000

#: verify(vk_len:u32 ‖ inputs_len:u32 ‖ proof_len:u32 ‖ vk ‖ inputs ‖ proof) -> result:u32 ‖
#: gas:u64, the gas between two ``spent`` calls around ``verify_proof`` (the second ``spent``
#: included). outside() calls it with a proof range past the end of memory.
VERIFIER = """(module
 (import "env" "spent" (func $spent (result i64)))
 (import "env" "verify_proof" (func $verify_proof (param i32 i32 i32 i32 i32 i32) (result i32)))
 (memory (export "memory") 2 2)
 (global (export "A") i32 (i32.const 1024))
 (func (export "verify") (param i32) (result i32)
   (local $vk i32) (local $inputs i32) (local $before i64) (local $result i32)
   (local.set $vk (i32.load (i32.const 1024)))
   (local.set $inputs (i32.load (i32.const 1028)))
   (local.set $before (call $spent))
   (local.set $result
     (call $verify_proof
       (i32.const 1036) (local.get $vk)
       (i32.add (i32.const 1036) (local.get $vk)) (local.get $inputs)
       (i32.add (i32.add (i32.const 1036) (local.get $vk)) (local.get $inputs)) (i32.load (i32.const 1032))))
   (i64.store (i32.const 1028) (i64.sub (call $spent) (local.get $before)))
   (i32.store (i32.const 1024) (local.get $result))
   (i32.const 12))
 (func (export "outside") (param i32) (result i32)
   (drop (call $verify_proof (i32.const 1024) (i32.const 484) (i32.const 1024) (i32.const 64)
     (i32.const 131000) (i32.const 192)))
   (i32.const 0))
)"""
#: What ``spent`` itself costs, and the instructions between the two calls: the measured gas
#: is the host function's plus this much at most.
OVERHEAD = range(100, 130)


def _deploy(state: State) -> ContractId:
    contract_id, _ = VmSession(state, BLOCK).deploy(
        wasm(VERIFIER), owner=OWNER.public, nonce=0, init_args=None, deployer=OWNER.public, gas_limit=GAS
    )
    return contract_id


def _verify(state: State, contract: ContractId, vk: bytes, inputs: bytes, proof: bytes) -> tuple[int, int]:
    header = b"".join(len(part).to_bytes(4, "little") for part in (vk, inputs, proof))
    data = (
        VmSession(state, BLOCK)
        .call(contract, "verify", header + vk + inputs + proof, caller=OWNER.public, gas_limit=GAS)
        .data
    )
    return int.from_bytes(data[:4], "little"), int.from_bytes(data[4:12], "little")


def _expected_gas(inputs_len: int) -> int:
    return PROOF_VERIFY_GAS + PROOF_INPUT_GAS * -(-inputs_len // 32)


def test_the_committed_fixture_proof_verifies_and_costs_the_documented_gas(state):
    contract = _deploy(state)
    result, gas = _verify(state, contract, VK, PUBLIC, PROOF)
    assert result == 1
    assert gas - 1_880_000 in OVERHEAD  # docs/vm-abi.md: 1,750,000 + 65,000 · 2 inputs
    assert gas - _expected_gas(len(PUBLIC)) in OVERHEAD


def test_a_changed_public_input_is_refused(state):
    contract = _deploy(state)
    changed = bytes([PUBLIC[0] ^ 1]) + PUBLIC[1:]
    result, gas = _verify(state, contract, VK, changed, PROOF)
    assert result == 0
    assert gas - _expected_gas(len(PUBLIC)) in OVERHEAD


@pytest.mark.parametrize(
    ("vk_len", "inputs_len", "proof_len"),
    [(484, 64, 192), (484, 64, 191), (484, 63, 192), (436, 64, 192), (0, 0, 0), (20, 3000, 5)],
)
def test_garbage_bytes_are_refused_with_0_and_charged_by_length(state, vk_len, inputs_len, proof_len):
    contract = _deploy(state)
    rng = random.Random(vk_len * 7 + inputs_len * 3 + proof_len)  # noqa: S311 - seeded test data
    parts = [rng.randbytes(length) for length in (vk_len, inputs_len, proof_len)]
    result, gas = _verify(state, contract, *parts)
    assert result == 0
    assert gas - _expected_gas(inputs_len) in OVERHEAD


def test_garbage_proof_with_the_real_key_and_inputs_is_refused(state):
    contract = _deploy(state)
    rng = random.Random(5)  # noqa: S311 - seeded test data
    for _ in range(5):
        assert _verify(state, contract, VK, PUBLIC, rng.randbytes(192))[0] == 0
    assert _verify(state, contract, VK, PUBLIC, PROOF[96:] + PROOF[:96])[0] == 0


def test_a_range_outside_memory_traps_and_changes_nothing(state):
    contract = _deploy(state)
    before = state.compute_state_root()
    with pytest.raises(CallFailed) as error:
        VmSession(state, BLOCK).call(contract, "outside", b"", caller=OWNER.public, gas_limit=GAS)
    assert error.value.reason == "trap"
    assert state.compute_state_root() == before


def test_too_little_gas_for_the_verification_runs_out_of_gas(state):
    contract = _deploy(state)
    header = b"".join(len(part).to_bytes(4, "little") for part in (VK, PUBLIC, PROOF))
    with pytest.raises(CallFailed) as error:
        VmSession(state, BLOCK).call(
            contract, "verify", header + VK + PUBLIC + PROOF, caller=OWNER.public, gas_limit=1_000_000
        )
    assert error.value.reason == "out_of_gas"
