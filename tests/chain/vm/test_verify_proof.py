"""The host functions ``verify_proof`` and ``proof_statement`` (docs/vm-abi.md, issue 17 item
5): a contract names a registered key by its 32-byte id and gets 1 for the committed Groth16
fixture proof, 0 for any refusal (changed input, garbage, wrong lengths), -1 for an unknown
id, a trap for a range outside its memory, and pays the documented gas; ``proof_statement``
gives the top-level frame the statement of the transaction's proof, -1 otherwise."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from chain.crypto import groth16
from chain.state.state import State
from chain.state.verifying_keys import register_verifying_key
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from chain.vm.session import (
    NO_PROOF_STATEMENT,
    PROOF_INPUT_GAS,
    PROOF_UNKNOWN_KEY,
    PROOF_VERIFY_GAS,
    BlockInfo,
    VmSession,
)
from tests.chain.helpers import keypair
from tests.chain.vm.wat import wasm

CIRCUITS = Path(__file__).resolve().parents[3] / "circuits"
VK = (CIRCUITS / "build" / "range_product.vk").read_bytes()
VK_ID = groth16.compute_vk_id(VK)
PROOF = groth16.proof_from_snarkjs(
    json.loads((CIRCUITS / "fixtures" / "range_product.proof.json").read_text())
)
PUBLIC = groth16.public_inputs_from_snarkjs(
    json.loads((CIRCUITS / "fixtures" / "range_product.public.json").read_text())
)
OWNER = keypair("vm-owner")
BLOCK = BlockInfo(height=7, timestamp=1_700_000_000, chain_id=3)
GAS = 50_000_000

#: verify(vk_id[32] ‖ inputs_len:u32 ‖ proof_len:u32 ‖ inputs ‖ proof) -> result:i32 ‖ gas:u64,
#: the gas between two ``spent`` calls around ``verify_proof`` (the second ``spent``
#: included). outside() calls it with a proof range past the end of memory; statement()
#: returns what ``proof_statement`` wrote, or its negative answer as an i32; nested() calls
#: its own statement() through contract ``c`` on the contract whose id is in its arguments.
VERIFIER = """(module
 (import "env" "spent" (func $spent (result i64)))
 (import "env" "verify_proof" (func $verify_proof (param i32 i32 i32 i32 i32) (result i32)))
 (import "env" "proof_statement" (func $proof_statement (result i32)))
 (import "env" "c" (func $c (param i32 i32 i32 i32 i64) (result i32)))
 (memory (export "memory") 2 2)
 (global (export "A") i32 (i32.const 1024))
 (data (i32.const 512) "statement")
 (func (export "verify") (param i32) (result i32)
   (local $inputs i32) (local $before i64) (local $result i32)
   (local.set $inputs (i32.load (i32.const 1056)))
   (local.set $before (call $spent))
   (local.set $result
     (call $verify_proof
       (i32.const 1024)
       (i32.const 1064) (local.get $inputs)
       (i32.add (i32.const 1064) (local.get $inputs)) (i32.load (i32.const 1060))))
   (i64.store (i32.const 1028) (i64.sub (call $spent) (local.get $before)))
   (i32.store (i32.const 1024) (local.get $result))
   (i32.const 12))
 (func (export "outside") (param i32) (result i32)
   (drop (call $verify_proof (i32.const 1024) (i32.const 1024) (i32.const 64)
     (i32.const 131000) (i32.const 192)))
   (i32.const 0))
 (func (export "statement") (param i32) (result i32)
   (local $n i32)
   (local.set $n (call $proof_statement))
   (if (i32.lt_s (local.get $n) (i32.const 0))
     (then (i32.store (i32.const 1024) (local.get $n)) (return (i32.const 4))))
   (local.get $n))
 (func (export "nested") (param i32) (result i32)
   (memory.copy (i32.const 0) (i32.const 1024) (i32.const 32))
   (call $c (i32.const 0) (i32.const 512) (i32.const 9) (i32.const 0) (i64.const 0)))
)"""
#: What ``spent`` itself costs, and the instructions between the two calls: the measured gas
#: is the host function's plus this much at most.
OVERHEAD = range(100, 130)


@pytest.fixture
def registered(state: State) -> State:
    assert register_verifying_key(state, VK) == VK_ID
    return state


def _deploy(state: State, nonce: int = 0) -> ContractId:
    contract_id, _ = VmSession(state, BLOCK).deploy(
        wasm(VERIFIER), owner=OWNER.public, nonce=nonce, init_args=None, deployer=OWNER.public, gas_limit=GAS
    )
    return contract_id


def _verify(state: State, contract: ContractId, vk_id: bytes, inputs: bytes, proof: bytes) -> tuple[int, int]:
    header = len(inputs).to_bytes(4, "little") + len(proof).to_bytes(4, "little")
    data = (
        VmSession(state, BLOCK)
        .call(contract, "verify", vk_id + header + inputs + proof, caller=OWNER.public, gas_limit=GAS)
        .data
    )
    return int.from_bytes(data[:4], "little", signed=True), int.from_bytes(data[4:12], "little")


def _expected_gas(inputs_len: int) -> int:
    return PROOF_VERIFY_GAS + PROOF_INPUT_GAS * -(-inputs_len // 32)


def test_the_committed_fixture_proof_verifies_by_key_id_and_costs_the_documented_gas(registered):
    contract = _deploy(registered)
    result, gas = _verify(registered, contract, VK_ID, PUBLIC, PROOF)
    assert result == 1
    assert gas - 2_670_000 in OVERHEAD  # docs/vm-abi.md: 2,600,000 + 35,000 · 2 inputs
    assert gas - _expected_gas(len(PUBLIC)) in OVERHEAD


def test_an_unknown_key_id_answers_minus_1_after_charging_by_length(registered):
    contract = _deploy(registered)
    result, gas = _verify(registered, contract, bytes(32), PUBLIC, PROOF)
    assert result == PROOF_UNKNOWN_KEY == -1
    assert gas - _expected_gas(len(PUBLIC)) in OVERHEAD


def test_a_key_id_is_unknown_in_a_state_that_did_not_register_it(state):
    contract = _deploy(state)
    assert _verify(state, contract, VK_ID, PUBLIC, PROOF)[0] == PROOF_UNKNOWN_KEY


def test_a_changed_public_input_is_refused(registered):
    contract = _deploy(registered)
    changed = bytes([PUBLIC[0] ^ 1]) + PUBLIC[1:]
    result, gas = _verify(registered, contract, VK_ID, changed, PROOF)
    assert result == 0
    assert gas - _expected_gas(len(PUBLIC)) in OVERHEAD


@pytest.mark.parametrize(("inputs_len", "proof_len"), [(64, 191), (63, 192), (32, 192), (96, 192), (0, 0)])
def test_wrong_lengths_are_refused_with_0_and_charged_by_length(registered, inputs_len, proof_len):
    contract = _deploy(registered)
    rng = random.Random(inputs_len * 3 + proof_len)  # noqa: S311 - seeded test data
    inputs = (PUBLIC + rng.randbytes(64))[:inputs_len]
    result, gas = _verify(registered, contract, VK_ID, inputs, (PROOF + bytes(8))[:proof_len])
    assert result == 0
    assert gas - _expected_gas(inputs_len) in OVERHEAD


def test_garbage_proof_with_the_real_key_and_inputs_is_refused(registered):
    contract = _deploy(registered)
    rng = random.Random(5)  # noqa: S311 - seeded test data
    for _ in range(5):
        assert _verify(registered, contract, VK_ID, PUBLIC, rng.randbytes(192))[0] == 0
    assert _verify(registered, contract, VK_ID, PUBLIC, PROOF[96:] + PROOF[:96])[0] == 0


def test_a_range_outside_memory_traps_and_changes_nothing(registered):
    contract = _deploy(registered)
    before = registered.compute_state_root()
    with pytest.raises(CallFailed) as error:
        VmSession(registered, BLOCK).call(contract, "outside", b"", caller=OWNER.public, gas_limit=GAS)
    assert error.value.reason == "trap"
    assert registered.compute_state_root() == before


def test_too_little_gas_for_the_verification_runs_out_of_gas(registered):
    contract = _deploy(registered)
    header = len(PUBLIC).to_bytes(4, "little") + len(PROOF).to_bytes(4, "little")
    with pytest.raises(CallFailed) as error:
        VmSession(registered, BLOCK).call(
            contract, "verify", VK_ID + header + PUBLIC + PROOF, caller=OWNER.public, gas_limit=1_000_000
        )
    assert error.value.reason == "out_of_gas"


def _statement(
    session: VmSession, contract: ContractId, fn_name: str = "statement", args: bytes = b""
) -> bytes:
    return session.call(contract, fn_name, args, caller=OWNER.public, gas_limit=GAS).data


def test_proof_statement_gives_the_top_level_frame_the_transactions_statement(registered):
    contract = _deploy(registered)
    statement = VK_ID + PUBLIC
    assert _statement(VmSession(registered, BLOCK, statement=statement), contract) == statement


def test_proof_statement_is_minus_1_without_a_statement_and_in_a_nested_call(registered):
    contract, other = _deploy(registered), _deploy(registered, nonce=1)
    minus_one = NO_PROOF_STATEMENT.to_bytes(4, "little", signed=True)
    assert _statement(VmSession(registered, BLOCK), contract) == minus_one
    nested = _statement(
        VmSession(registered, BLOCK, statement=VK_ID + PUBLIC), contract, "nested", bytes(other)
    )
    assert nested == minus_one
