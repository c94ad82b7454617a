"""The C test contracts (chain/contracts, built with clang) on the real host: the SDK and the
host agree on the ABI (docs/vm-abi.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chain.crypto.hashes import blake3_256
from chain.state.state import State
from chain.types.primitives import ContractId
from chain.vm.exceptions import CallFailed
from chain.vm.session import BlockInfo, VmSession
from tests.chain.helpers import keypair

BUILD = Path(__file__).resolve().parents[3] / "chain" / "contracts" / "build"
OWNER, USER = keypair("c-owner"), keypair("c-user")
BLOCK = BlockInfo(height=11, timestamp=1_800_000_000, chain_id=5)
GAS = 50_000_000


def deploy(state: State, name: str, *, nonce: int = 0, init_args: bytes | None = None) -> ContractId:
    contract_id, _ = VmSession(state, BLOCK).deploy(
        (BUILD / f"{name}.wasm").read_bytes(),
        owner=OWNER.public,
        nonce=nonce,
        init_args=init_args,
        deployer=OWNER.public,
        gas_limit=GAS,
    )
    return contract_id


def call(state: State, contract: ContractId, fn: str, args: bytes = b"", gas: int = GAS):
    return VmSession(state, BLOCK).call(contract, fn, args, caller=USER.public, gas_limit=gas)


def u64(data: bytes, at: int = 0) -> int:
    return int.from_bytes(data[at : at + 8], "little")


def test_counter_keeps_its_value_between_calls(state):
    counter = deploy(state, "counter", init_args=(5).to_bytes(8, "little"))
    assert u64(call(state, counter, "increment").data) == 6
    assert u64(call(state, counter, "get").data) == 6


def test_echo_and_host_queries(state):
    echo = deploy(state, "echo")
    assert call(state, echo, "echo", b"abc").data == b"abc"
    assert call(state, echo, "hash", b"abc").data == bytes(blake3_256(b"abc"))
    height = call(state, echo, "query", bytes([12]) + b"block_height").data
    assert u64(height) == BLOCK.height


def test_caller_self_id_and_owner(state):
    probe = deploy(state, "caller_probe")
    assert call(state, probe, "get_caller").data == bytes(USER.public)
    assert call(state, probe, "get_self_id").data == bytes(probe)
    assert call(state, probe, "get_owner", bytes(probe)).data == bytes(OWNER.public)


def test_failures_keep_nothing(state):
    fail = deploy(state, "fail")
    root = state.compute_state_root()
    for fn, reason in (("panic_now", "panic"), ("loop_forever", "out_of_gas"), ("write_then_panic", "panic")):
        with pytest.raises(CallFailed) as error:
            call(state, fail, fn, gas=3_000_000)
        assert error.value.reason == reason
    assert call(state, fail, "read").data == bytes(16)
    refused = call(state, fail, "grow_memory").data
    assert int.from_bytes(refused, "little", signed=True) == -1  # past 256 pages: refused, no trap
    assert state.compute_state_root() == root


def _proxy_args(callee: ContractId, name: str, args: bytes = b"", gas_limit: int = 0) -> bytes:
    return bytes(callee) + gas_limit.to_bytes(8, "little") + bytes([len(name)]) + name.encode() + args


def test_proxy_calls_and_nested_failures_revert(state):
    counter = deploy(state, "counter")
    fail = deploy(state, "fail")
    proxy = deploy(state, "proxy")
    result = call(state, proxy, "call", _proxy_args(counter, "increment")).data
    assert int.from_bytes(result[:4], "little", signed=True) == 8
    assert u64(result, 4) == 1
    failed = call(state, proxy, "call", _proxy_args(fail, "write_then_panic")).data
    assert int.from_bytes(failed[:4], "little", signed=True) == -1
    assert call(state, fail, "read").data == bytes(16)
    with pytest.raises(CallFailed):
        call(state, proxy, "call_then_panic", _proxy_args(counter, "increment"))
    assert u64(call(state, counter, "get").data) == 1
    assert u64(call(state, proxy, "calls").data) == 2


def test_events_and_a_panic_drops_them(state):
    events = deploy(state, "events")
    result = call(state, events, "ping", b"hi")
    assert [(e.source, e.topic, e.data) for e in result.events] == [(events, "ping", b"hi")]
    with pytest.raises(CallFailed):
        call(state, events, "emit_then_panic", b"hi")
