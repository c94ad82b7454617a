"""The contract VM (docs/vm-abi.md, reference §4, §2.4): deploy, calls, memory as state with
its commitment, gas, nested calls with revert, and every bad input failing cleanly with the
state unchanged."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chain.state.contracts import PAGE_BYTES, compute_memory_commitment, compute_page_hash
from chain.state.memory import MemoryStore
from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed, InvalidModule
from chain.vm.ids import compute_contract_id
from chain.vm.session import BlockInfo, VmSession
from tests.chain.helpers import keypair
from tests.chain.vm.wat import COUNTER, FAILER, IMPORTS, PROXY, wasm

OWNER = keypair("vm-owner")
USER = keypair("vm-user")
BLOCK = BlockInfo(height=7, timestamp=1_700_000_000, chain_id=3)
GAS = 50_000_000


def _deploy(state: State, text: str, *, nonce: int = 0, init_args: bytes | None = None) -> ContractId:
    contract_id, _ = VmSession(state, BLOCK).deploy(
        wasm(text), owner=OWNER.public, nonce=nonce, init_args=init_args, deployer=OWNER.public, gas_limit=GAS
    )
    return contract_id


def _call(state: State, contract: ContractId, fn: str, args: bytes = b"", gas: int = GAS):
    return VmSession(state, BLOCK).call(contract, fn, args, caller=USER.public, gas_limit=gas)


def _u64(data: bytes) -> int:
    return int.from_bytes(data[:8], "little")


def test_deploy_runs_init_and_the_memory_is_the_state(state):
    counter = _deploy(state, COUNTER, init_args=(41).to_bytes(8, "little"))
    assert counter == compute_contract_id(wasm(COUNTER), 0, OWNER.public)
    assert _u64(_call(state, counter, "increment").data) == 42
    assert _u64(_call(state, counter, "increment").data) == 43
    record = state.get_contract_record(counter)
    assert record is not None
    assert record.page_count == 2
    assert record.page_hash(0) == compute_page_hash(state.get_contract_page(counter, 0))
    assert state.get_contract_commitment(counter) == compute_memory_commitment(record.page_hashes)
    # A read-only query sees the state and changes nothing.
    before = state.compute_state_root()
    assert _u64(VmSession(state, BLOCK).query(counter, "increment", b"")) == 44
    assert state.compute_state_root() == before
    assert _u64(_call(state, counter, "get").data) == 43


def test_only_changed_pages_are_written_and_charged(state):
    counter = _deploy(state, COUNTER)
    state.pending_writes()
    first = _call(state, counter, "increment")
    get = _call(state, counter, "get")
    # increment dirties page 0 (4 gas per byte); get writes nothing.
    assert first.gas_spent - get.gas_spent >= 4 * PAGE_BYTES
    assert get.gas_spent < 10_000


def test_two_deploys_with_another_nonce_are_two_contracts(state):
    first = _deploy(state, COUNTER, nonce=1)
    second = _deploy(state, COUNTER, nonce=2)
    assert first != second
    _call(state, first, "increment")
    assert _u64(_call(state, second, "get").data) == 0
    with pytest.raises(CallFailed) as error:
        _deploy(state, COUNTER, nonce=1)
    assert error.value.reason == "contract_exists"


def test_events_caller_and_host_queries(state):
    counter = _deploy(state, COUNTER)
    _call(state, counter, "increment")
    result = _call(state, counter, "emit_count")
    assert [(e.source, e.topic, _u64(e.data)) for e in result.events] == [(counter, "count", 1)]
    assert _call(state, counter, "whoami").data == bytes(USER.public)
    from chain.crypto.hashes import blake3_256

    assert _call(state, counter, "hash", b"gloam").data == bytes(blake3_256(b"gloam"))
    assert _u64(_call(state, counter, "height").data) == BLOCK.height


@pytest.mark.parametrize(
    ("fn", "reason"),
    [
        ("panic_now", "panic"),
        ("write_then_panic", "panic"),
        ("loop", "out_of_gas"),
        ("grow", "trap"),
        ("bad_return", "bad_return"),
        ("query_unknown", "panic"),
        ("no_such_function", "function_not_found"),
        ("memory", "function_not_found"),
    ],
)
def test_invalid_calls_fail_cleanly_charged_and_change_nothing(state, fn, reason):
    failer = _deploy(state, FAILER)
    before = state.compute_state_root()
    with pytest.raises(CallFailed) as error:
        _call(state, failer, fn, gas=2_000_000)
    assert error.value.reason == reason
    assert error.value.gas_spent > 0 or reason == "function_not_found"
    assert state.compute_state_root() == before
    assert _u64(_call(state, failer, "get").data) == 0
    if reason == "out_of_gas":
        assert error.value.gas_spent == 2_000_000


def test_invalid_call_to_a_contract_not_found_and_oversize_arguments(state):
    with pytest.raises(CallFailed) as error:
        _call(state, ContractId(b"\x09" * 32), "get")
    assert error.value.reason == "contract_not_found"
    counter = _deploy(state, COUNTER)
    with pytest.raises(CallFailed) as error:
        _call(state, counter, "hash", bytes(65_537))
    assert error.value.reason == "argument_too_large"


def _proxy_for(state: State, target: ContractId, nonce: int = 9) -> ContractId:
    return _deploy(state, PROXY, nonce=nonce, init_args=bytes(target))


def _code(data: bytes) -> int:
    return int.from_bytes(data, "little", signed=True)


def _args(name: str, payload: bytes = b"") -> bytes:
    return bytes([len(name)]) + name.encode() + payload


def test_nested_call_returns_the_callee_result_and_commits_both(state):
    counter = _deploy(state, COUNTER)
    proxy = _proxy_for(state, counter)
    assert _u64(_call(state, proxy, "call", _args("increment")).data) == 1
    assert _u64(_call(state, counter, "get").data) == 1
    # The callee sees the proxy as its caller, and the call stack holds both.
    assert _call(state, proxy, "call", _args("whoami")).data == bytes(proxy)


def test_a_failed_nested_call_is_reverted_and_reported_to_the_caller(state):
    failer = _deploy(state, FAILER)
    proxy = _proxy_for(state, failer)
    root = state.compute_state_root()
    code = _call(state, proxy, "call", _args("write_then_panic")).data
    assert int.from_bytes(code, "little", signed=True) == -1
    assert _u64(_call(state, failer, "get").data) == 0
    assert (
        int.from_bytes(_call(state, proxy, "call_limited", _args("loop")).data, "little", signed=True) == -2
    )
    assert int.from_bytes(_call(state, proxy, "call", _args("nothing")).data, "little", signed=True) == -3
    assert state.compute_state_root() == root


def test_a_nested_gas_limit_bounds_the_callee_only(state):
    failer = _deploy(state, FAILER)
    proxy = _proxy_for(state, failer)
    result = _call(state, proxy, "call_limited", _args("loop"), gas=3_000_000)
    assert int.from_bytes(result.data, "little", signed=True) == -2
    assert result.gas_spent < 100_000  # the loop only burnt its 5,000


def test_a_callee_without_a_gas_limit_can_spend_the_callers_gas(state):
    """Gas limit 0 hands the callee everything left: a looping callee burns the whole call's
    gas, and the caller, left with none, runs out of gas too. (Before dirty-page tracking the
    caller could still store the -2 it learnt: wasmtime checks fuel on function entries and
    loop headers, and that store ran without either; now every store first calls the
    instrumentation's ``$mark``, whose entry finds no fuel.)"""
    failer = _deploy(state, FAILER)
    proxy = _proxy_for(state, failer)
    root = state.compute_state_root()
    with pytest.raises(CallFailed) as error:
        _call(state, proxy, "call", _args("loop"), gas=1_000_000)
    assert error.value.reason == "out_of_gas"
    assert error.value.gas_spent == 1_000_000
    assert state.compute_state_root() == root


def test_when_the_caller_fails_after_a_successful_nested_call_both_are_reverted(state):
    counter = _deploy(state, COUNTER)
    proxy = _proxy_for(state, counter)
    root = state.compute_state_root()
    with pytest.raises(CallFailed) as error:
        _call(state, proxy, "call_then_panic", _args("increment"))
    assert error.value.reason == "panic"
    assert _u64(_call(state, counter, "get").data) == 0
    assert state.compute_state_root() == root


def test_reentrancy_is_refused(state):
    proxy = _proxy_for(state, ContractId(b"\x00" * 32))
    assert int.from_bytes(_call(state, proxy, "reenter").data, "little", signed=True) == -4


def test_a_callee_that_cannot_pay_for_its_page_writes_is_reverted(state):
    counter = _deploy(state, COUNTER)
    proxy = _proxy_for(state, counter)
    root = state.compute_state_root()
    # The callee gets 5,000 gas, and its page write needs 262,144. (With all the caller's gas,
    # the caller would be left with none for its own next store: see the test above.)
    result = _call(state, proxy, "call_limited", _args("increment"), gas=200_000)
    assert int.from_bytes(result.data, "little", signed=True) == -2
    assert state.compute_state_root() == root
    with pytest.raises(CallFailed) as error:
        _call(state, counter, "increment", gas=200_000)
    assert error.value.reason == "out_of_gas"
    assert state.compute_state_root() == root


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("(module)", "missing_export"),
        (
            '(module (import "env" "exit" (func (param i32))) (memory (export "memory") 1))',
            "forbidden_import",
        ),
        (
            '(module (import "wasi" "c" (func (param i32 i32 i32 i32 i64) (result i32)))'
            ' (memory (export "memory") 1) (global (export "A") i32 (i32.const 0)))',
            "forbidden_import",
        ),
        (
            '(module (import "env" "panic" (func (param i64))) (memory (export "memory") 1)'
            ' (global (export "A") i32 (i32.const 0)))',
            "forbidden_import",
        ),
        (
            '(module (memory (export "memory") 1 2) (global (export "A") i32 (i32.const 0))'
            ' (func (export "f") (param i64) (result i32) (i32.const 0)))',
            "bad_export",
        ),
        ('(module (memory (export "memory") 1) (global (export "A") i32 (i32.const 0)))', "memory_too_large"),
        (
            '(module (memory (export "memory") 1 2) (global (export "A") (mut i32) (i32.const 0)))',
            "missing_export",
        ),
        (
            '(module (memory (export "memory") 300) (global (export "A") i32 (i32.const 0)))',
            "memory_too_large",
        ),
    ],
)
def test_invalid_modules_are_refused_at_deploy(state, text, reason):
    root = state.compute_state_root()
    with pytest.raises(InvalidModule) as error:
        _deploy(state, text)
    assert error.value.reason == reason
    assert state.compute_state_root() == root


def test_invalid_argument_buffer_outside_memory_fails_the_deploy(state):
    text = f"""(module {IMPORTS} (memory (export "memory") 1 2) (global (export "A") i32 (i32.const 65000))
      (func (export "f") (param i32) (result i32) (i32.const 0)))"""
    root = state.compute_state_root()
    with pytest.raises(CallFailed) as error:
        _deploy(state, text)
    assert error.value.reason == "trap"
    assert state.compute_state_root() == root


def test_invalid_bytes_and_disabled_features_are_malformed(state):
    with pytest.raises(InvalidModule) as error:
        VmSession(state, BLOCK).deploy(
            b"\x00asm garbage",
            owner=OWNER.public,
            nonce=0,
            init_args=None,
            deployer=OWNER.public,
            gas_limit=GAS,
        )
    assert error.value.reason == "malformed"
    simd = f"""(module {IMPORTS} (memory (export "memory") 1 2) (global (export "A") i32 (i32.const 0))
      (func (export "f") (param i32) (result i32) (drop (v128.const i64x2 0 0)) (i32.const 0)))"""
    with pytest.raises(InvalidModule) as error:
        _deploy(state, simd)
    assert error.value.reason == "malformed"


@pytest.mark.parametrize(
    ("message", "reason", "code"),
    [
        ("insufficient_balance: 5 needed", "panic", "panic.insufficient_balance"),
        ("Something Odd", "panic", "panic"),
        ("a" * 41 + ": too long for a code", "panic", "panic"),
        ("not_authorised: x", "out_of_gas", "out_of_gas"),
    ],
)
def test_receipt_error_code_of_a_failed_call(message, reason, code):
    assert CallFailed(message, reason=reason).error_code == code


def test_invalid_module_with_a_mutable_global_it_does_not_export(state):
    """A mutable global the host cannot reset would be state outside memory."""
    text = f"""(module {IMPORTS} (memory (export "memory") 1 2) (global (export "A") i32 (i32.const 0))
      (global $hidden (mut i32) (i32.const 0))
      (func (export "f") (param i32) (result i32) (global.get $hidden)))"""
    with pytest.raises(InvalidModule) as error:
        _deploy(state, text)
    assert error.value.reason == "unexported_mutable_global"


def test_mutable_globals_start_every_call_from_their_initial_value(state):
    """A live instance is reused between calls; its mutable globals are reset, so a call
    sees the same values on a node that kept the instance and on one that just started."""
    text = f"""(module {IMPORTS} (memory (export "memory") 2 2) (global (export "A") i32 (i32.const 1024))
      (global $calls (export "calls") (mut i64) (i64.const 7))
      (func (export "bump") (param i32) (result i32)
        (global.set $calls (i64.add (global.get $calls) (i64.const 1)))
        (i64.store (i32.const 1024) (global.get $calls)) (i32.const 8)))"""
    contract = _deploy(state, text)
    assert [_u64(_call(state, contract, "bump").data) for _ in range(3)] == [8, 8, 8]


# -- dirty-page tracking: the tracked path against the full-scan reference ------------------
_STORE_OPS = [
    ("i32.store", "(local.get $x)"),
    ("i64.store", "(i64.mul (i64.extend_i32_u (local.get $x)) (i64.const 0x100000001))"),
    ("f32.store", "(f32.reinterpret_i32 (local.get $x))"),
    ("f64.store", "(f64.reinterpret_i64 (i64.extend_i32_u (local.get $x)))"),
    ("i32.store8", "(local.get $x)"),
    ("i32.store16", "(local.get $x)"),
    ("i64.store8", "(i64.extend_i32_u (local.get $x))"),
    ("i64.store16", "(i64.extend_i32_u (local.get $x))"),
    ("i64.store32", "(i64.extend_i32_u (local.get $x))"),
]
#: Kinds: 0-8 the stores at (a), 9-17 the same at offset=65533 (a + 65533), 18 fill(a, x, n),
#: 19 copy(a, x, n), 20 init(a, x, n) from a 70,000-byte passive segment, 21 grow(n).
_OPS = (
    [f"({name} (local.get $a) {value})" for name, value in _STORE_OPS]
    + [f"({name} offset=65533 (local.get $a) {value})" for name, value in _STORE_OPS]
    + [
        "(memory.fill (local.get $a) (local.get $x) (local.get $n))",
        "(memory.copy (local.get $a) (local.get $x) (local.get $n))",
        "(memory.init $seg (local.get $a) (local.get $x) (local.get $n))",
        "(drop (memory.grow (local.get $n)))",
    ]
)
#: run(ops): each op is kind:u32 ‖ a:u32 ‖ x:u32 ‖ n:u32 in the argument buffer (page 0);
#: the ops are read before any write, so a write into the buffer changes none of them.
WRITER = f"""(module {IMPORTS}
 (memory (export "memory") 3 6)
 (global (export "A") i32 (i32.const 0))
 (data $seg "{"w" * 70_000}")
 (func (export "run") (param $len i32) (result i32) (local $p i32) (local $k i32) (local $a i32)
   (local $x i32) (local $n i32)
   (memory.copy (i32.const 60000) (i32.const 0) (local.get $len))
   (local.set $p (i32.const 60000))
   (block $done (loop $next
     (br_if $done (i32.ge_u (local.get $p) (i32.add (i32.const 60000) (local.get $len))))
     (local.set $k (i32.load (local.get $p)))
     (local.set $a (i32.load offset=4 (local.get $p)))
     (local.set $x (i32.load offset=8 (local.get $p)))
     (local.set $n (i32.load offset=12 (local.get $p)))
     {" ".join(f"(if (i32.eq (local.get $k) (i32.const {k})) (then {op}))" for k, op in enumerate(_OPS))}
     (local.set $p (i32.add (local.get $p) (i32.const 16)))
     (br $next)))
   (i32.const 0)))"""

_op = st.one_of(
    st.tuples(st.integers(0, 17), st.integers(0, 4 * PAGE_BYTES), st.integers(0, 2**32 - 1), st.just(0)),
    st.tuples(  # unaligned, around a page boundary
        st.integers(0, 17),
        st.sampled_from([PAGE_BYTES, 2 * PAGE_BYTES, 3 * PAGE_BYTES]).flatmap(
            lambda b: st.integers(b - 9, b + 2)
        ),
        st.integers(0, 255),
        st.just(0),
    ),
    st.tuples(
        st.just(18), st.integers(0, 4 * PAGE_BYTES), st.integers(0, 255), st.integers(0, 2 * PAGE_BYTES)
    ),
    st.tuples(
        st.just(19),
        st.integers(0, 4 * PAGE_BYTES),
        st.integers(0, 3 * PAGE_BYTES),
        st.integers(0, 2 * PAGE_BYTES),
    ),
    st.tuples(st.just(20), st.integers(0, 4 * PAGE_BYTES), st.integers(0, 70_000), st.integers(0, 70_000)),
    st.tuples(st.just(21), st.just(0), st.just(0), st.integers(0, 2)),
)


@pytest.fixture
def compare_paths(monkeypatch):
    """Every save on the tracked path also runs the full-scan reference; returns the
    (tracked, reference, pages compared) of each."""
    from chain.vm import session as vm_session

    pairs: list[tuple[list[int], list[int], list[int]]] = []
    tracked = vm_session._changed_marked_pages

    def both(base, shadow_base, count, marked):
        result = tracked(base, shadow_base, count, marked)
        pairs.append((result, vm_session._changed_pages(base, shadow_base, count), list(marked)))
        return result

    monkeypatch.setattr(vm_session, "_changed_marked_pages", both)
    return pairs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=st.lists(st.lists(_op, min_size=1, max_size=6), min_size=1, max_size=5))
def test_tracked_dirty_pages_equal_the_full_scan(compare_paths, calls):
    """Random stores (every kind, unaligned, across page boundaries, out of bounds),
    fills, copies, inits and grows: after every call, the pages the bitmap path finds
    changed are those the full-scan reference finds, and failed calls change nothing."""
    store = MemoryStore()
    with store.read_view() as view:
        state = State(view)
        contract = _deploy(state, WRITER)
        compare_paths.clear()
        for ops in calls:
            root = state.compute_state_root()
            args = b"".join(b"".join(v.to_bytes(4, "little") for v in op) for op in ops)
            try:
                _call(state, contract, "run", args)
            except CallFailed as error:
                assert error.reason == "trap"
                assert state.compute_state_root() == root
        for tracked, reference, _ in compare_paths:
            assert tracked == reference


def test_tracked_path_is_used_after_the_first_save_and_sees_host_writes(state, compare_paths):
    """The deploy's save scans everything (data segments are unmarked); later calls take
    the tracked path, which compares the marked pages and the argument buffer's (the host
    writes there; it is cleared before the comparison, so it changes nothing)."""
    contract = _deploy(state, WRITER)
    assert compare_paths == []
    op = (0, 2 * PAGE_BYTES + 5, 7, 0)
    _call(state, contract, "run", b"".join(v.to_bytes(4, "little") for v in op))
    assert compare_paths == [([2], [2], [0, 2])]  # page 0: the buffer (and the ops' copy at 60,000)
    _call(state, contract, "run", b"")
    assert compare_paths[-1] == ([], [], [0])
    assert _u64(state.get_contract_page(contract, 2)[5:13]) == 7


@pytest.mark.parametrize(
    ("type_name", "value"), [("i32", -7), ("i32", 2**31 - 1), ("i64", -(2**63)), ("i64", 2**40)]
)
def test_globals_through_the_c_api_match_the_public_api(type_name, value):
    """The frame's fast global reset and bitmap read (wasmtime's C API) against
    wasmtime-py's ``Global.set_value`` and ``Global.value``, the reference."""
    import wasmtime

    from chain.vm import session as vm_session
    from chain.vm.module import get_engine

    store = wasmtime.Store(get_engine())
    text = f'(module (global (export "g") (mut {type_name}) ({type_name}.const 3)))'
    global_ = wasmtime.Instance(store, wasmtime.Module(get_engine(), wasm(text)), []).exports(store)["g"]
    assert isinstance(global_, wasmtime.Global)
    raw = vm_session._raw_integer(type_name, value)
    assert raw is not None
    vm_session._set_global(store, global_, raw)
    assert global_.value(store) == value
    if type_name == "i64":
        global_.set_value(store, value + 1)
        assert vm_session._get_global_i64(store, global_) == value + 1
        vm_session._set_global(store, global_, vm_session._RAW_ZERO_I64)
        assert global_.value(store) == 0
    assert vm_session._raw_integer("f64", 1.5) is None
