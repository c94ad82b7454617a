"""Capacity of the securities contracts (docs/contracts.md): 100,000 holders in the security
token and 100,000 subjects with 4 claims each in the identity registry fit the 256-page
memory. Run on the stub host (wasmtime alone), which keeps one instance, so 100,000 calls
take minutes rather than hours on the real host (its per-call restore of every page). About
3 minutes: marked ``slow`` (``make test`` and CI run it, ``make test-fast`` does not)."""

from __future__ import annotations

import struct

import pytest

from tests.chain.contracts.wasm import MAX_MEMORY_PAGES, StubHost

pytestmark = pytest.mark.slow

T0 = 1_800_000_000
AGENT = bytes(range(48))


def host(name: str) -> StubHost:
    def caller(h: StubHost) -> int:
        h.write_argbuf(AGENT)
        return 48

    def hq(h: StubHost, name_ofs: int, name_len: int, arg_len: int) -> int:
        assert h.read(name_ofs, name_len) == b"block_timestamp"
        h.write_argbuf(struct.pack("<Q", T0))
        return 8

    return StubHost(name, {"caller": caller, "hq": hq, "emit": lambda h, *a: None})


def subject(i: int) -> bytes:
    return b"\x00" + i.to_bytes(4, "little") * 12


def test_security_token_holds_100000_holders() -> None:
    token = host("security_token")
    token.call("init", AGENT + AGENT + bytes(32) + b"DE000A0B1C23" + bytes(32) + b"\x00")
    for i in range(100_000):
        token.call("issue", subject(i) + struct.pack("<Q", i + 1))
    assert token.call("holder_count") == struct.pack("<I", 100_000)
    assert token.call("total_supply") == struct.pack("<Q", 100_000 * 100_001 // 2)
    for i in (0, 54_321, 99_999):
        assert token.call("balance_of", subject(i)) == struct.pack("<Q", i + 1)
    assert token.memory.size(token.store) <= MAX_MEMORY_PAGES


def test_identity_registry_holds_100000_subjects_with_4_claims() -> None:
    registry = host("identity_registry")
    registry.call("init", AGENT)
    registry.call("add_trusted_issuer", AGENT + struct.pack("<I", 0b11110))
    expiry = struct.pack("<Q", T0 + 1)
    for i in range(100_000):
        for topic in (1, 2, 3, 4):
            registry.call(
                "add_claim", subject(i) + bytes([topic]) + struct.pack("<H", 1) + expiry + bytes(32)
            )
    for i in (0, 77_777, 99_999):
        assert registry.call("claims_of", subject(i))[0] == 4
    assert registry.memory.size(registry.store) <= MAX_MEMORY_PAGES
