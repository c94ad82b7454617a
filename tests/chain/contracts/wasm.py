"""Shared helpers for the contract tests: where the contracts are, the ABI of docs/vm-abi.md
restated independently of the host (``chain/vm``), and a host made of stubs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import wasmtime

ROOT = Path(__file__).resolve().parents[3]
CONTRACTS = ROOT / "chain" / "contracts"
BUILD = CONTRACTS / "build"

MAX_MEMORY_PAGES = 256
PAGE = 65536
ARGBUF_LEN = 65536

#: docs/vm-abi.md, "Host functions": name -> (params, results).
HOST_IMPORTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "c": (("i32", "i32", "i32", "i32", "i64"), ("i32",)),
    "hq": (("i32", "i32", "i32"), ("i32",)),
    "emit": (("i32", "i32", "i32"), ()),
    "caller": ((), ("i32",)),
    "callstack": ((), ("i32",)),
    "self_id": ((), ()),
    "owner": (("i32",), ("i32",)),
    "limit": ((), ("i64",)),
    "spent": ((), ("i64",)),
    "panic": (("i32",), ()),
    "verify_proof": (("i32", "i32", "i32", "i32", "i32"), ("i32",)),
    "proof_statement": ((), ("i32",)),
    "note_push": (("i32",), ("i64",)),
    "phoenix_note_push": (("i32",), ("i64",)),
    "note_root": ((), ("i32",)),
    "note_known_root": (("i32",), ("i32",)),
    "licence_push": (("i32",), ("i64",)),
    "licence_revoke": (("i64",), ("i32",)),
    "licence_root": ((), ("i32",)),
    "licence_known_root": (("i32",), ("i32",)),
    "nullifier_spend": (("i32", "i32"), ("i32",)),
    "nullifier_spent": (("i32",), ("i32",)),
}


def source_names() -> list[str]:
    """Contracts with a source ``chain/contracts/<name>/<name>.c``."""
    return sorted(d.name for d in CONTRACTS.iterdir() if (d / f"{d.name}.c").is_file())


def built_names() -> list[str]:
    return sorted(p.stem for p in BUILD.glob("*.wasm"))


def read_leb_u32(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7


def sections(data: bytes) -> list[tuple[int, bytes]]:
    """The (id, payload) sections of a binary module, in order."""
    assert data[:8] == b"\0asm\x01\0\0\0", "not a wasm32 MVP binary"
    out = []
    pos = 8
    while pos < len(data):
        section_id = data[pos]
        size, pos = read_leb_u32(data, pos + 1)
        out.append((section_id, data[pos : pos + size]))
        pos += size
    assert pos == len(data)
    return out


class Panicked(Exception):
    """Raised by the stub ``panic`` with the contract's message."""


HostFn = Callable[..., Any]


class StubHost:
    """Instantiates a contract with every host import stubbed: ``panic`` raises
    :class:`Panicked`, the others raise unless a test provides them in ``overrides``
    (called as ``fn(host, *args)``)."""

    def __init__(
        self, name: str, overrides: dict[str, HostFn] | None = None, fuel: int | None = None
    ) -> None:
        config = wasmtime.Config()
        config.consume_fuel = fuel is not None
        self.engine = wasmtime.Engine(config)
        self.store = wasmtime.Store(self.engine)
        if fuel is not None:
            self.store.set_fuel(fuel)
        module = wasmtime.Module.from_file(self.engine, str(BUILD / f"{name}.wasm"))
        linker = wasmtime.Linker(self.engine)
        overrides = overrides or {}
        for item in module.imports:
            assert isinstance(item.type, wasmtime.FuncType)
            linker.define_func("env", item.name or "", item.type, self._stub(item.name or "", overrides))
        self.instance = linker.instantiate(self.store, module)
        exports = self.instance.exports(self.store)
        memory = exports["memory"]
        argbuf = exports["A"]
        assert isinstance(memory, wasmtime.Memory)
        assert isinstance(argbuf, wasmtime.Global)
        self.memory = memory
        self.argbuf = int(argbuf.value(self.store))

    def _stub(self, name: str, overrides: dict[str, HostFn]) -> HostFn:
        def panic(msg_len: int) -> None:
            raise Panicked(self.read_argbuf(msg_len).decode())

        def missing(*args: object) -> None:
            raise AssertionError(f"unexpected host call {name}{args}")

        if name in overrides:
            fn = overrides[name]
            return lambda *args: fn(self, *args)
        return panic if name == "panic" else missing

    def read(self, address: int, length: int) -> bytes:
        return bytes(self.memory.read(self.store, address, address + length))

    def read_argbuf(self, length: int) -> bytes:
        return self.read(self.argbuf, length)

    def write_argbuf(self, data: bytes) -> None:
        self.memory.write(self.store, data, self.argbuf)

    def call(self, fn: str, args: bytes = b"") -> bytes:
        """Calls export ``fn`` with ``args`` the way the host does; returns the result bytes."""
        export = self.instance.exports(self.store)[fn]
        assert isinstance(export, wasmtime.Func)
        self.write_argbuf(args)
        ret_len = export(self.store, len(args))
        assert isinstance(ret_len, int)
        assert 0 <= ret_len <= ARGBUF_LEN
        return self.read_argbuf(ret_len)
