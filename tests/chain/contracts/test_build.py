"""The committed contracts (``chain/contracts/build/*.wasm``) against the module rules of
docs/vm-abi.md, checked with wasmtime alone (no host), and a rebuild from the C sources that
must give exactly the committed bytes (DESIGN.md, VM)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import wasmtime

from tests.chain.contracts.wasm import (
    ARGBUF_LEN,
    BUILD,
    CONTRACTS,
    HOST_IMPORTS,
    MAX_MEMORY_PAGES,
    PAGE,
    StubHost,
    built_names,
    sections,
    source_names,
)

#: The functions each test contract exports (besides ``memory``, ``A`` and the stack pointer).
EXPORTS = {
    "cash_token": {
        "init",
        "info",
        "total_supply",
        "balance_of",
        "is_frozen",
        "allowance",
        "check_transfer_from",
        "approve",
        "transfer",
        "transfer_from",
        "mint",
        "burn",
        "freeze",
    },
    "ballot": {"init", "vote", "tally", "vote_of", "weight_of", "info"},
    "caller_probe": {"get_caller", "get_self_id", "get_callstack", "get_owner", "gas"},
    "counter": {"init", "increment", "get"},
    "dvp": {
        "create",
        "affirm",
        "settle",
        "settle_batch",
        "status_of",
        "bind_shielded_cash",
        "settle_shielded",
    },
    "phoenix": {"init", "transfer", "shield", "info"},
    "citadel": {
        "init",
        "add_provider",
        "remove_provider",
        "issue",
        "revoke",
        "use_licence",
        "session_of",
        "has_session",
        "provider_of",
        "info",
    },
    "echo": {"echo", "hash", "query"},
    "events": {"emit", "ping", "emit_then_panic"},
    "fail": {"panic_now", "loop_forever", "grow_memory", "write_then_panic", "read"},
    "identity_registry": {
        "init",
        "add_trusted_issuer",
        "remove_trusted_issuer",
        "is_trusted_issuer",
        "add_claim",
        "revoke_claim",
        "claims_of",
    },
    "proxy": {"call", "call_then_panic", "calls"},
    "security_token": {
        "init",
        "balance_of",
        "total_supply",
        "approve",
        "allowance",
        "transfer",
        "transfer_from",
        "check_transfer_from",
        "check_transfer",
        "issue",
        "redeem",
        "burn",
        "pause",
        "unpause",
        "freeze",
        "is_frozen",
        "force_transfer",
        "set_conditions",
        "set_limits",
        "checkpoint",
        "split",
        "balance_at",
        "holders_at",
        "holder_count",
        "info",
    },
}

SECTION_CUSTOM, SECTION_TABLE, SECTION_START = 0, 4, 8


def load(name: str) -> tuple[bytes, wasmtime.Module]:
    data = (BUILD / f"{name}.wasm").read_bytes()
    return data, wasmtime.Module(wasmtime.Engine(), data)


def valtypes(types: list[wasmtime.ValType]) -> tuple[str, ...]:
    return tuple(str(t) for t in types)


def test_every_source_is_built_and_nothing_else() -> None:
    assert source_names() == sorted(EXPORTS)
    assert built_names() == source_names()


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_module_validates(name: str) -> None:
    data = (BUILD / f"{name}.wasm").read_bytes()
    wasmtime.Module.validate(wasmtime.Engine(), data)


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_imports_only_the_host_abi(name: str) -> None:
    _, module = load(name)
    for item in module.imports:
        assert item.module == "env", f"{name} imports from {item.module!r}"
        assert item.name in HOST_IMPORTS, f"{name} imports env.{item.name}, not a host function"
        assert isinstance(item.type, wasmtime.FuncType)
        signature = (valtypes(item.type.params), valtypes(item.type.results))
        assert signature == HOST_IMPORTS[item.name], f"{name}: env.{item.name} has type {signature}"


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_exports_memory_argbuf_and_abi_functions(name: str) -> None:
    _, module = load(name)
    exports = {item.name: item.type for item in module.exports}
    assert set(exports) == {"memory", "A", "__stack_pointer"} | EXPORTS[name]
    memory = exports["memory"]
    assert isinstance(memory, wasmtime.MemoryType)
    assert not memory.is_64
    assert not memory.is_shared
    assert memory.limits.max is not None
    assert memory.limits.min <= memory.limits.max <= MAX_MEMORY_PAGES
    argbuf = exports["A"]
    assert isinstance(argbuf, wasmtime.GlobalType)
    assert str(argbuf.content) == "i32"
    assert not argbuf.mutable
    stack_pointer = exports["__stack_pointer"]  # mutable: exported so the VM can reset it
    assert isinstance(stack_pointer, wasmtime.GlobalType)
    assert stack_pointer.mutable
    for export, ty in exports.items():
        if export in ("memory", "A", "__stack_pointer"):
            continue
        assert isinstance(ty, wasmtime.FuncType), f"{name}: export {export} is not a function"
        assert (valtypes(ty.params), valtypes(ty.results)) == (("i32",), ("i32",)), export


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_argbuf_lies_inside_initial_memory(name: str) -> None:
    host = StubHost(name)
    assert host.argbuf % 8 == 0
    assert host.argbuf + ARGBUF_LEN <= host.memory.size(host.store) * PAGE


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_no_start_function_custom_section_or_extra_table(name: str) -> None:
    data, _ = load(name)
    ids = [section_id for section_id, _ in sections(data)]
    assert SECTION_START not in ids, "a start function would run at deploy, outside the ABI"
    assert SECTION_CUSTOM not in ids, "custom sections (names, producers, debug) are stripped"
    assert ids.count(SECTION_TABLE) <= 1
    for marker in (b"/work/", b"/home/", b"/tmp/", b"/usr/", b"/root/"):
        assert marker not in data


def test_rebuild_from_another_directory_gives_the_committed_bytes(tmp_path: Path) -> None:
    if shutil.which("clang") is None or shutil.which("wasm-ld") is None:
        pytest.skip("clang and wasm-ld (Debian clang, lld) are not on PATH; CI installs them")
    # A copy at another absolute path: the bytes must not depend on where the tree lives.
    copy = tmp_path / "elsewhere" / "contracts"
    shutil.copytree(CONTRACTS, copy, ignore=shutil.ignore_patterns("build"))
    out = tmp_path / "out"
    subprocess.run([str(copy / "build.sh"), str(out)], check=True, capture_output=True, cwd=tmp_path)
    rebuilt = sorted(p.name for p in out.glob("*.wasm"))
    assert rebuilt == [f"{name}.wasm" for name in built_names()]
    differ = [name for name in rebuilt if (out / name).read_bytes() != (BUILD / name).read_bytes()]
    assert differ == [], f"rebuilt contracts differ from the committed ones: {differ}; run `make contracts`"
