"""The licence tree's host functions (docs/vm-abi.md "Licence tree"): ``licence_push`` and
``licence_revoke`` change the tree from contract memory, ``licence_root`` and
``licence_known_root`` read it; only the licence authority changes it; refusals are negative
codes and write nothing; a failed call takes its changes back; gas is charged first."""

from __future__ import annotations

import pytest

from chain.crypto.poseidon import MODULUS, merkle4_hash
from chain.state.licence_tree import LicenceTree
from chain.state.note_tree import NoteTree
from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from chain.vm.session import (
    LICENCE_KNOWN_ROOT_GAS,
    LICENCE_PUSH_GAS,
    LICENCE_PUSH_INVALID_LEAF,
    LICENCE_REFUSED,
    LICENCE_REVOKE_ALREADY,
    LICENCE_REVOKE_GAS,
    LICENCE_REVOKE_NOT_FOUND,
    LICENCE_ROOT_GAS,
    LICENCE_UNAUTHORISED,
    BlockInfo,
    VmSession,
)
from tests.chain.helpers import keypair
from tests.chain.vm.wat import wasm

OWNER = keypair("vm-owner")
GAS = 200_000_000

#: push(leaf) -> position:i64; revoke(pos:i64) -> i32; push_then_trap / revoke_then_trap change
#: then trap; root() -> root[32]; known(root) -> u32; gas_push(leaf) / gas_revoke(pos) ->
#: gas:i64 ‖ result:i64, the gas between two ``spent`` calls around the host call;
#: gas_root / gas_known(root) -> gas:i64; outside() pushes from past the end of memory.
LICENCES = """(module
 (import "env" "spent" (func $spent (result i64)))
 (import "env" "licence_push" (func $push (param i32) (result i64)))
 (import "env" "licence_revoke" (func $revoke (param i64) (result i32)))
 (import "env" "licence_root" (func $root (result i32)))
 (import "env" "licence_known_root" (func $known (param i32) (result i32)))
 (memory (export "memory") 2 2)
 (global (export "A") i32 (i32.const 1024))
 (func (export "push") (param i32) (result i32)
   (i64.store (i32.const 1024) (call $push (i32.const 1024)))
   (i32.const 8))
 (func (export "revoke") (param i32) (result i32)
   (i64.store (i32.const 1024) (i64.extend_i32_s (call $revoke (i64.load (i32.const 1024)))))
   (i32.const 8))
 (func (export "push_then_trap") (param i32) (result i32)
   (drop (call $push (i32.const 1024)))
   unreachable)
 (func (export "revoke_then_trap") (param i32) (result i32)
   (drop (call $revoke (i64.load (i32.const 1024))))
   unreachable)
 (func (export "root") (param i32) (result i32)
   (call $root))
 (func (export "known") (param i32) (result i32)
   (i32.store (i32.const 1024) (call $known (i32.const 1024)))
   (i32.const 4))
 (func (export "gas_push") (param i32) (result i32)
   (local $before i64) (local $result i64)
   (local.set $before (call $spent))
   (local.set $result (call $push (i32.const 1024)))
   (i64.store (i32.const 1024) (i64.sub (call $spent) (local.get $before)))
   (i64.store (i32.const 1032) (local.get $result))
   (i32.const 16))
 (func (export "gas_revoke") (param i32) (result i32)
   (local $before i64) (local $result i64)
   (local.set $before (call $spent))
   (local.set $result (i64.extend_i32_s (call $revoke (i64.load (i32.const 1024)))))
   (i64.store (i32.const 1024) (i64.sub (call $spent) (local.get $before)))
   (i64.store (i32.const 1032) (local.get $result))
   (i32.const 16))
 (func (export "gas_root") (param i32) (result i32)
   (local $before i64)
   (local.set $before (call $spent))
   (drop (call $root))
   (i64.store (i32.const 1024) (i64.sub (call $spent) (local.get $before)))
   (i32.const 8))
 (func (export "gas_known") (param i32) (result i32)
   (local $before i64)
   (local.set $before (call $spent))
   (drop (call $known (i32.const 1024)))
   (i64.store (i32.const 1024) (i64.sub (call $spent) (local.get $before)))
   (i32.const 8))
 (func (export "outside") (param i32) (result i32)
   (drop (call $push (i32.const 131050)))
   (i32.const 0))
)"""
#: ``spent`` itself and the few instructions between the two calls (test_note_tree_host.py).
OVERHEAD = range(100, 140)


def block(height: int) -> BlockInfo:
    return BlockInfo(height=height, timestamp=1_700_000_000 + height, chain_id=3)


def leaf(value: int) -> bytes:
    return value.to_bytes(32, "little")


def i64(value: int) -> bytes:
    return value.to_bytes(8, "little", signed=True)


def as_i64(data: bytes) -> int:
    return int.from_bytes(data[:8], "little", signed=True)


def deploy(state: State, nonce: int = 0) -> ContractId:
    contract_id, _ = VmSession(state, block(1)).deploy(
        wasm(LICENCES), owner=OWNER.public, nonce=nonce, init_args=None, deployer=OWNER.public, gas_limit=GAS
    )
    return contract_id


def call(state: State, contract: ContractId, fn: str, args: bytes = b"", *, height: int = 1) -> bytes:
    return VmSession(state, block(height)).call(contract, fn, args, caller=OWNER.public, gas_limit=GAS).data


def reference_root(leaves: list[int]) -> bytes:
    """Depth 17, empty subtree 0, a revoked position filled with 0 (the definition)."""

    def node(level: int, index: int) -> int:
        if index * 4**level >= len(leaves):
            return 0
        if level == 0:
            return leaves[index]
        return merkle4_hash([node(level - 1, 4 * index + j) for j in range(4)])

    return leaf(node(17, 0))


def licence_rows(state: State) -> dict[bytes, bytes | None]:
    return {k: v for k, v in state.pending_writes().items() if k.startswith(b"lict")}


def test_push_revoke_and_root_follow_the_definition(state):
    contract = deploy(state)
    assert call(state, contract, "root") == bytes(32)
    assert [as_i64(call(state, contract, "push", leaf(v), height=2)) for v in (5, 6, 7)] == [0, 1, 2]
    assert call(state, contract, "root", height=2) == reference_root([5, 6, 7])
    assert as_i64(call(state, contract, "revoke", i64(1), height=3)) == 0
    assert call(state, contract, "root", height=3) == reference_root([5, 0, 7])
    assert LicenceTree(state).root() == reference_root([5, 0, 7])
    assert LicenceTree(state).last_revocation() == 3
    assert NoteTree(state).size() == 0


def test_refusals_are_codes_and_write_nothing(state):
    contract = deploy(state)
    call(state, contract, "push", leaf(5), height=2)
    call(state, contract, "revoke", i64(0), height=3)
    before = licence_rows(state)
    assert as_i64(call(state, contract, "push", leaf(0), height=4)) == LICENCE_PUSH_INVALID_LEAF == -1
    assert as_i64(call(state, contract, "push", leaf(MODULUS), height=4)) == LICENCE_PUSH_INVALID_LEAF
    assert as_i64(call(state, contract, "revoke", i64(0), height=4)) == LICENCE_REVOKE_ALREADY == -2
    assert as_i64(call(state, contract, "revoke", i64(1), height=4)) == LICENCE_REVOKE_NOT_FOUND == -1
    assert as_i64(call(state, contract, "revoke", i64(-1), height=4)) == LICENCE_REVOKE_NOT_FOUND
    assert as_i64(call(state, contract, "push", leaf(9), height=2)) == LICENCE_REFUSED == -3  # below block 3
    assert licence_rows(state) == before


def test_a_failed_call_takes_its_push_and_revocation_back(state):
    contract = deploy(state)
    call(state, contract, "push", leaf(1), height=2)
    root, before = LicenceTree(state).root(), licence_rows(state)
    for fn, args in (("push_then_trap", leaf(2)), ("revoke_then_trap", i64(0))):
        with pytest.raises(CallFailed) as error:
            call(state, contract, fn, args, height=3)
        assert error.value.reason == "trap"
    assert LicenceTree(state).root() == root
    assert LicenceTree(state).last_revocation() is None
    assert licence_rows(state) == before


def test_known_root_is_refused_for_roots_before_a_revocation(state):
    contract = deploy(state)
    call(state, contract, "push", leaf(1), height=5)
    call(state, contract, "push", leaf(2), height=5)
    r5 = LicenceTree(state).root()
    yes, no = (1).to_bytes(4, "little"), (0).to_bytes(4, "little")
    assert call(state, contract, "known", r5, height=5) == no  # block 5 has not ended
    assert call(state, contract, "known", r5, height=6) == yes
    call(state, contract, "revoke", i64(0), height=7)
    r7 = LicenceTree(state).root()
    assert call(state, contract, "known", r5, height=7) == no
    assert call(state, contract, "known", r5, height=8) == no
    assert call(state, contract, "known", r7, height=8) == yes
    assert call(state, contract, "known", leaf(12345), height=8) == no


def test_gas_is_the_documented_price_charged_first(state):
    contract = deploy(state)
    data = call(state, contract, "gas_push", leaf(9), height=2)
    assert (as_i64(data[8:]), as_i64(data) - LICENCE_PUSH_GAS in OVERHEAD) == (0, True)
    refused = call(state, contract, "gas_push", leaf(0), height=2)
    assert as_i64(refused[8:]) == LICENCE_PUSH_INVALID_LEAF
    assert as_i64(refused) - LICENCE_PUSH_GAS in OVERHEAD
    data = call(state, contract, "gas_revoke", i64(0), height=3)
    assert as_i64(data[8:]) == 0
    assert as_i64(data) - LICENCE_REVOKE_GAS in OVERHEAD
    assert as_i64(call(state, contract, "gas_root", height=3)) - LICENCE_ROOT_GAS in OVERHEAD
    known = call(state, contract, "gas_known", LicenceTree(state).root(), height=4)
    assert as_i64(known) - LICENCE_KNOWN_ROOT_GAS in OVERHEAD
    with pytest.raises(CallFailed) as error:
        VmSession(state, block(4)).call(
            contract, "push", leaf(3), caller=OWNER.public, gas_limit=LICENCE_PUSH_GAS // 2
        )
    assert error.value.reason == "out_of_gas"
    assert LicenceTree(state).size() == 1


def test_a_leaf_outside_memory_traps_and_changes_nothing(state):
    contract = deploy(state)
    before = state.compute_state_root()
    with pytest.raises(CallFailed) as error:
        call(state, contract, "outside")
    assert error.value.reason == "trap"
    assert state.compute_state_root() == before


def test_only_the_licence_authority_pushes_and_revokes_once_one_is_set(state):
    contract, other = deploy(state), deploy(state, nonce=1)
    call(state, other, "push", leaf(4), height=2)  # no authority yet: any contract may (test chains)
    LicenceTree(state).set_authority(contract)
    before = licence_rows(state)
    assert as_i64(call(state, other, "push", leaf(3), height=3)) == LICENCE_UNAUTHORISED == -4
    assert as_i64(call(state, other, "revoke", i64(0), height=3)) == LICENCE_UNAUTHORISED
    assert licence_rows(state) == before
    assert as_i64(call(state, contract, "push", leaf(3), height=3)) == 1
    assert as_i64(call(state, contract, "revoke", i64(0), height=3)) == 0
    # the note authority is another row: naming one does not name the other
    assert NoteTree(state).authority() is None
