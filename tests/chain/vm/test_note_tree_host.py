"""The note tree's host functions (docs/vm-abi.md "Note tree"; issue 17 item 7): ``note_push``
appends from contract memory, ``note_root`` and ``note_known_root`` read; a failed call takes
its appends back; refusals are negative codes; gas is charged first."""

from __future__ import annotations

import pytest

from chain.crypto.poseidon import MODULUS, merkle4_hash
from chain.state.exceptions import InvalidStateValue
from chain.state.note_tree import NoteTree, verify_opening
from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from chain.vm.session import (
    NOTE_KNOWN_ROOT_GAS,
    NOTE_PUSH_GAS,
    NOTE_PUSH_INVALID_LEAF,
    NOTE_PUSH_UNAUTHORISED,
    NOTE_ROOT_GAS,
    BlockInfo,
    VmSession,
)
from tests.chain.helpers import keypair
from tests.chain.vm.wat import wasm

OWNER = keypair("vm-owner")
GAS = 200_000_000

#: push(leaves[32·n]) -> position:i64 · n; push_then_trap(leaf) appends then traps;
#: root() -> root[32]; known(root[32]) -> u32; gas_push(leaf) -> gas:i64 ‖ position:i64, the
#: gas between two ``spent`` calls around ``note_push``; outside() pushes from past the end of
#: memory. Results are gathered at 70000 (outside the argument buffer) and copied back.
#: The nullifier set (tests/chain/vm/test_nullifier_host.py): spend(count:u32 ‖ nullifiers)
#: -> result:i32 of ``nullifier_spend``; spend_then_trap spends then traps; is_spent(n[32]) ->
#: i32; gas_spend(count ‖ nullifiers) -> gas:i64 ‖ result:i32; gas_is_spent(n) -> gas:i64;
#: spend_outside() spends one nullifier from past the end of memory.
NOTES = """(module
 (import "env" "spent" (func $spent (result i64)))
 (import "env" "note_push" (func $note_push (param i32) (result i64)))
 (import "env" "note_root" (func $note_root (result i32)))
 (import "env" "note_known_root" (func $note_known_root (param i32) (result i32)))
 (import "env" "nullifier_spend" (func $nullifier_spend (param i32 i32) (result i32)))
 (import "env" "nullifier_spent" (func $nullifier_spent (param i32) (result i32)))
 (memory (export "memory") 2 2)
 (global (export "A") i32 (i32.const 1024))
 (func (export "push") (param $len i32) (result i32)
   (local $i i32) (local $n i32)
   (local.set $n (i32.shr_u (local.get $len) (i32.const 5)))
   (block $done (loop $next
     (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
     (i64.store (i32.add (i32.const 70000) (i32.shl (local.get $i) (i32.const 3)))
       (call $note_push (i32.add (i32.const 1024) (i32.shl (local.get $i) (i32.const 5)))))
     (local.set $i (i32.add (local.get $i) (i32.const 1)))
     (br $next)))
   (memory.copy (i32.const 1024) (i32.const 70000) (i32.shl (local.get $n) (i32.const 3)))
   (i32.shl (local.get $n) (i32.const 3)))
 (func (export "push_then_trap") (param i32) (result i32)
   (drop (call $note_push (i32.const 1024)))
   unreachable)
 (func (export "root") (param i32) (result i32)
   (call $note_root))
 (func (export "known") (param i32) (result i32)
   (i32.store (i32.const 1024) (call $note_known_root (i32.const 1024)))
   (i32.const 4))
 (func (export "gas_push") (param i32) (result i32)
   (local $before i64) (local $position i64) (local $after i64)
   (local.set $before (call $spent))
   (local.set $position (call $note_push (i32.const 1024)))
   (local.set $after (call $spent))
   (i64.store (i32.const 1024) (i64.sub (local.get $after) (local.get $before)))
   (i64.store (i32.const 1032) (local.get $position))
   (i32.const 16))
 (func (export "gas_root") (param i32) (result i32)
   (local $before i64)
   (local.set $before (call $spent))
   (drop (call $note_root))
   (i64.store (i32.const 1024) (i64.sub (call $spent) (local.get $before)))
   (i32.const 8))
 (func (export "gas_known") (param i32) (result i32)
   (local $before i64)
   (local.set $before (call $spent))
   (drop (call $note_known_root (i32.const 1024)))
   (i64.store (i32.const 1024) (i64.sub (call $spent) (local.get $before)))
   (i32.const 8))
 (func (export "outside") (param i32) (result i32)
   (drop (call $note_push (i32.const 131050)))
   (i32.const 0))
 (func (export "spend") (param i32) (result i32)
   (i32.store (i32.const 1024) (call $nullifier_spend (i32.const 1028) (i32.load (i32.const 1024))))
   (i32.const 4))
 (func (export "spend_then_trap") (param i32) (result i32)
   (drop (call $nullifier_spend (i32.const 1028) (i32.load (i32.const 1024))))
   unreachable)
 (func (export "is_spent") (param i32) (result i32)
   (i32.store (i32.const 1024) (call $nullifier_spent (i32.const 1024)))
   (i32.const 4))
 (func (export "gas_spend") (param i32) (result i32)
   (local $before i64) (local $result i32)
   (local.set $before (call $spent))
   (local.set $result (call $nullifier_spend (i32.const 1028) (i32.load (i32.const 1024))))
   (i64.store (i32.const 1024) (i64.sub (call $spent) (local.get $before)))
   (i32.store (i32.const 1032) (local.get $result))
   (i32.const 12))
 (func (export "gas_is_spent") (param i32) (result i32)
   (local $before i64)
   (local.set $before (call $spent))
   (drop (call $nullifier_spent (i32.const 1024)))
   (i64.store (i32.const 1024) (i64.sub (call $spent) (local.get $before)))
   (i32.const 8))
 (func (export "spend_outside") (param i32) (result i32)
   (drop (call $nullifier_spend (i32.const 131050) (i32.const 1)))
   (i32.const 0))
)"""
#: ``spent`` itself and the few instructions between the two calls (test_verify_proof.py).
OVERHEAD = range(100, 130)


def block(height: int) -> BlockInfo:
    return BlockInfo(height=height, timestamp=1_700_000_000 + height, chain_id=3)


def leaf(value: int) -> bytes:
    return value.to_bytes(32, "little")


def deploy(state: State) -> ContractId:
    contract_id, _ = VmSession(state, block(1)).deploy(
        wasm(NOTES), owner=OWNER.public, nonce=0, init_args=None, deployer=OWNER.public, gas_limit=GAS
    )
    return contract_id


def call(state: State, contract: ContractId, fn: str, args: bytes = b"", *, height: int = 1) -> bytes:
    return VmSession(state, block(height)).call(contract, fn, args, caller=OWNER.public, gas_limit=GAS).data


def reference_root(leaves: list[int]) -> bytes:
    """Depth 17, empty subtree 0 (reference §2.3), from the definition."""

    def node(level: int, index: int) -> int:
        if index * 4**level >= len(leaves):
            return 0
        if level == 0:
            return leaves[index]
        return merkle4_hash([node(level - 1, 4 * index + j) for j in range(4)])

    return leaf(node(17, 0))


def note_rows(state: State) -> dict[bytes, bytes | None]:
    return {k: v for k, v in state.pending_writes().items() if k.startswith(b"note")}


def test_pushing_leaves_returns_positions_and_changes_the_root(state):
    contract = deploy(state)
    assert call(state, contract, "root") == bytes(32)
    values = [5, 6, MODULUS - 1]
    positions = call(state, contract, "push", b"".join(leaf(v) for v in values))
    assert [int.from_bytes(positions[i : i + 8], "little", signed=True) for i in range(0, 24, 8)] == [0, 1, 2]
    root = call(state, contract, "root")
    assert root == reference_root(values)
    tree = NoteTree(state)
    assert tree.root() == root
    assert tree.size() == 3
    assert verify_opening(root, leaf(6), 1, tree.opening(1))
    more = call(state, contract, "push", leaf(7), height=2)
    assert int.from_bytes(more, "little") == 3
    assert call(state, contract, "root", height=2) == reference_root([*values, 7])


def test_a_failed_call_leaves_the_tree_unchanged(state):
    contract = deploy(state)
    call(state, contract, "push", leaf(1))
    before_root, before_rows = NoteTree(state).root(), note_rows(state)
    with pytest.raises(CallFailed) as error:
        call(state, contract, "push_then_trap", leaf(2))
    assert error.value.reason == "trap"
    assert NoteTree(state).root() == before_root
    assert NoteTree(state).size() == 1
    assert note_rows(state) == before_rows


def test_invalid_leaf_is_refused_with_a_code_and_charged(state):
    contract = deploy(state)
    before = note_rows(state)
    data = call(state, contract, "gas_push", leaf(MODULUS))
    gas, position = int.from_bytes(data[:8], "little"), int.from_bytes(data[8:16], "little", signed=True)
    assert position == NOTE_PUSH_INVALID_LEAF == -1
    assert gas - NOTE_PUSH_GAS in OVERHEAD
    assert note_rows(state) == before
    assert NoteTree(state).size() == 0


def test_push_root_and_known_root_cost_the_documented_gas(state):
    contract = deploy(state)
    data = call(state, contract, "gas_push", leaf(9))
    assert int.from_bytes(data[8:16], "little") == 0
    assert int.from_bytes(data[:8], "little") - NOTE_PUSH_GAS in OVERHEAD
    assert int.from_bytes(call(state, contract, "gas_root"), "little") - NOTE_ROOT_GAS in OVERHEAD
    root = NoteTree(state).root()
    known_gas = int.from_bytes(call(state, contract, "gas_known", root), "little")
    assert known_gas - NOTE_KNOWN_ROOT_GAS in OVERHEAD


def test_known_root_follows_the_end_of_block_roots(state):
    contract = deploy(state)
    call(state, contract, "push", leaf(1), height=5)
    r5 = NoteTree(state).root()
    assert call(state, contract, "known", r5, height=5) == (0).to_bytes(4, "little")  # block 5 has not ended
    assert call(state, contract, "known", r5, height=6) == (1).to_bytes(4, "little")
    call(state, contract, "push", leaf(2), height=6)
    assert call(state, contract, "known", r5, height=7) == (1).to_bytes(4, "little")
    assert call(state, contract, "known", leaf(12345), height=7) == (0).to_bytes(4, "little")
    assert call(state, contract, "known", r5, height=5 + 4_320 + 1) == (0).to_bytes(4, "little")


def test_a_leaf_outside_memory_traps_and_changes_nothing(state):
    contract = deploy(state)
    before = state.compute_state_root()
    with pytest.raises(CallFailed) as error:
        call(state, contract, "outside")
    assert error.value.reason == "trap"
    assert state.compute_state_root() == before


def test_too_little_gas_for_a_push_runs_out_of_gas_and_appends_nothing(state):
    contract = deploy(state)
    with pytest.raises(CallFailed) as error:
        VmSession(state, block(1)).call(
            contract, "push", leaf(3), caller=OWNER.public, gas_limit=NOTE_PUSH_GAS // 2
        )
    assert error.value.reason == "out_of_gas"
    assert NoteTree(state).size() == 0


def test_only_the_note_authority_appends_once_one_is_set(state):
    """A chain whose genesis names a note authority (docs/zk.md "Note authority") refuses
    appends from every other contract with -4 and writes nothing; the authority appends."""
    contract = deploy(state)
    other, _ = VmSession(state, block(1)).deploy(
        wasm(NOTES), owner=OWNER.public, nonce=1, init_args=None, deployer=OWNER.public, gas_limit=GAS
    )
    NoteTree(state).set_authority(contract)
    with pytest.raises(InvalidStateValue):
        NoteTree(state).set_authority(other)
    refused = call(state, other, "push", leaf(3))
    assert int.from_bytes(refused, "little", signed=True) == NOTE_PUSH_UNAUTHORISED == -4
    assert NoteTree(state).size() == 0
    assert int.from_bytes(call(state, contract, "push", leaf(3)), "little") == 0
    assert NoteTree(state).authority() == contract
