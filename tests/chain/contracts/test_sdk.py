"""The test contracts and the SDK helpers they use (``chain/contracts/sdk/gloam.h``), run on
wasmtime with a stub host: arguments in and results out of the argument buffer, the exact
bytes each host function receives, panics with their messages. The real host's semantics
(gas, revert, nested calls) are tested with ``chain/vm``."""

from __future__ import annotations

import struct

import blake3
import pytest
import wasmtime

from tests.chain.contracts.wasm import HostFn, Panicked, StubHost

CALLEE = bytes(range(32))
SELF_ID = bytes(range(100, 132))
SENDER = bytes(range(200, 248))


def u64(value: int) -> bytes:
    return struct.pack("<Q", value)


def i32(value: int) -> bytes:
    return struct.pack("<i", value)


def test_counter_init_increment_get() -> None:
    host = StubHost("counter")
    assert host.call("init", u64(41)) == b""
    assert host.call("get") == u64(41)
    assert host.call("increment") == u64(42)
    assert host.call("get") == u64(42)
    assert host.call("init") == b""
    assert host.call("get") == u64(0)


def test_invalid_counter_init_panics_with_its_message() -> None:
    with pytest.raises(Panicked, match="^counter: init takes a u64 or nothing$"):
        StubHost("counter").call("init", b"\x01\x02\x03")


def test_echo_returns_its_arguments() -> None:
    host = StubHost("echo")
    assert host.call("echo", b"hello, gloam") == b"hello, gloam"
    assert host.call("echo", bytes(65536)) == bytes(65536)
    assert host.call("echo") == b""


def test_echo_hash_asks_the_host_for_blake3_256() -> None:
    queries: list[tuple[str, bytes]] = []

    def hq(host: StubHost, name_ofs: int, name_len: int, arg_len: int) -> int:
        data = host.read_argbuf(arg_len)
        queries.append((host.read(name_ofs, name_len).decode(), data))
        host.write_argbuf(blake3.blake3(data).digest())
        return 32

    host = StubHost("echo", {"hq": hq})
    assert host.call("hash", b"abc") == blake3.blake3(b"abc").digest()
    assert queries == [("blake3_256", b"abc")]
    queries.clear()
    assert host.call("query", b"\x0cblock_height") == blake3.blake3(b"").digest()
    assert host.call("query", b"\x06sha256xyz") == blake3.blake3(b"xyz").digest()
    assert queries == [("block_height", b""), ("sha256", b"xyz")]


def test_fail_panic_now() -> None:
    with pytest.raises(Panicked, match="^fail: panic_now$"):
        StubHost("fail").call("panic_now")


def test_fail_write_then_panic_writes_before_panicking() -> None:
    # The stub host keeps what the contract wrote; the real host must revert it.
    host = StubHost("fail")
    assert host.call("read") == u64(0) + u64(0)
    with pytest.raises(Panicked, match="^fail: write_then_panic$"):
        host.call("write_then_panic", u64(7))
    assert host.call("read") == u64(7) + u64(1)
    with pytest.raises(Panicked):
        host.call("write_then_panic")
    assert host.call("read") == u64(0xDEADBEEF) + u64(2)


def test_fail_grow_memory_is_refused_past_256_pages() -> None:
    host = StubHost("fail")
    pages = host.memory.size(host.store)
    assert host.call("grow_memory") == i32(-1)
    assert host.memory.size(host.store) == pages
    assert host.call("grow_memory", struct.pack("<I", 1)) == i32(pages)
    assert host.memory.size(host.store) == pages + 1
    assert host.call("grow_memory", struct.pack("<I", 256 - pages)) == i32(-1)


def test_fail_loop_forever_runs_out_of_fuel() -> None:
    host = StubHost("fail", fuel=100_000)
    with pytest.raises(wasmtime.Trap, match="fuel"):
        host.call("loop_forever")


def test_caller_probe_passes_on_what_the_host_writes() -> None:
    owners: list[bytes] = []

    def caller(host: StubHost) -> int:
        host.write_argbuf(SENDER)
        return 48

    def self_id(host: StubHost) -> None:
        host.write_argbuf(SELF_ID)

    def callstack(host: StubHost) -> int:
        host.write_argbuf(SELF_ID + CALLEE)
        return 2

    def owner(host: StubHost, id_ofs: int) -> int:
        owners.append(host.read(id_ofs, 32))
        host.write_argbuf(SENDER)
        return 48

    overrides: dict[str, HostFn] = {
        "caller": caller,
        "self_id": self_id,
        "callstack": callstack,
        "owner": owner,
        "limit": lambda host: 1_000_000,
        "spent": lambda host: 1_234,
    }
    host = StubHost("caller_probe", overrides)
    assert host.call("get_caller") == SENDER
    assert host.call("get_self_id") == SELF_ID
    assert host.call("get_callstack") == SELF_ID + CALLEE
    assert host.call("get_owner") == SENDER
    assert owners == [SELF_ID]
    assert host.call("gas") == u64(1_000_000) + u64(1_234)


def test_proxy_call_forwards_callee_name_args_and_gas() -> None:
    calls: list[tuple[bytes, str, bytes, int]] = []
    answer: list[int] = [3]

    def c(host: StubHost, callee_ofs: int, name_ofs: int, name_len: int, arg_len: int, gas: int) -> int:
        calls.append(
            (
                host.read(callee_ofs, 32),
                host.read(name_ofs, name_len).decode(),
                host.read_argbuf(arg_len),
                gas,
            )
        )
        host.write_argbuf(b"ok!")
        return answer[0]

    host = StubHost("proxy", {"c": c})
    request = CALLEE + u64(50_000) + b"\x09increment" + b"args"
    assert host.call("call", request) == i32(3) + b"ok!"
    assert calls == [(CALLEE, "increment", b"args", 50_000)]
    answer[0] = -1
    assert host.call("call", CALLEE + u64(0) + b"\x03get") == i32(-1)
    assert calls[1] == (CALLEE, "get", b"", 0)
    assert host.call("calls") == u64(2)
    answer[0] = 0
    with pytest.raises(Panicked, match="^proxy: call_then_panic$"):
        host.call("call_then_panic", request)
    assert len(calls) == 3


def test_invalid_proxy_call_short_arguments_panic() -> None:
    with pytest.raises(Panicked, match="^proxy: call wants"):
        StubHost("proxy").call("call", CALLEE + u64(0))


def test_events_emit_topic_and_data() -> None:
    events: list[tuple[str, bytes]] = []

    def emit(host: StubHost, topic_ofs: int, topic_len: int, data_len: int) -> None:
        events.append((host.read(topic_ofs, topic_len).decode(), host.read_argbuf(data_len)))

    host = StubHost("events", {"emit": emit})
    assert host.call("emit", b"\x08transfer" + b"\x01\x02") == b""
    assert host.call("ping", b"pong") == b""
    with pytest.raises(Panicked, match="^events: emit_then_panic$"):
        host.call("emit_then_panic", b"x")
    assert events == [("transfer", b"\x01\x02"), ("ping", b"pong"), ("ping", b"x")]
