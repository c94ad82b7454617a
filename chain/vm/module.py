"""Compiling and checking contract modules (docs/vm-abi.md, Module requirements;
reference/dusk-protocol.md §4: non-deterministic features off).

One :class:`wasmtime.Engine` per process with fuel metering and a deterministic
configuration: no threads, no SIMD (relaxed or not), no multi-memory, no GC or typed
function references, no exceptions, no tail calls, no memory64, NaN canonicalisation on
(reference types stay on: wasmtime's component model needs them, and they are
deterministic); compiled modules are cached by the BLAKE3 hash of their bytecode.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Final

import wasmtime

from chain.crypto.hashes import blake3_256
from chain.types.primitives import Hash32
from chain.vm.exceptions import InvalidModule
from chain.vm.instrument import DIRTY_GLOBAL_NAMES, instrument_module
from chain.vm.wasm_globals import find_mutable_globals

#: 16 MiB of linear memory at most.
MAX_MEMORY_PAGES: Final = 256
ARGBUF_BYTES: Final = 65_536
#: Native stack for wasm frames: bounds recursion inside one contract.
MAX_WASM_STACK_BYTES: Final = 512 * 1024

_I32 = wasmtime.ValType.i32()
_I64 = wasmtime.ValType.i64()

#: The host ABI: every import a contract may declare, with its exact type.
HOST_IMPORTS: Final[dict[str, tuple[tuple[wasmtime.ValType, ...], tuple[wasmtime.ValType, ...]]]] = {
    "c": ((_I32, _I32, _I32, _I32, _I64), (_I32,)),
    "hq": ((_I32, _I32, _I32), (_I32,)),
    "emit": ((_I32, _I32, _I32), ()),
    "caller": ((), (_I32,)),
    "callstack": ((), (_I32,)),
    "self_id": ((), ()),
    "owner": ((_I32,), (_I32,)),
    "limit": ((), (_I64,)),
    "spent": ((), (_I64,)),
    "panic": ((_I32,), ()),
    "verify_proof": ((_I32, _I32, _I32, _I32, _I32), (_I32,)),
    "proof_statement": ((), (_I32,)),
    # the note tree (docs/vm-abi.md, chain/state/note_tree.py)
    "note_push": ((_I32,), (_I64,)),
    "phoenix_note_push": ((_I32,), (_I64,)),
    "note_root": ((), (_I32,)),
    "note_known_root": ((_I32,), (_I32,)),
    # the licence tree (docs/vm-abi.md, chain/state/licence_tree.py)
    "licence_push": ((_I32,), (_I64,)),
    "licence_revoke": ((_I64,), (_I32,)),
    "licence_root": ((), (_I32,)),
    "licence_known_root": ((_I32,), (_I32,)),
    # the nullifier set (docs/vm-abi.md, chain/state/nullifiers.py)
    "nullifier_spend": ((_I32, _I32), (_I32,)),
    "nullifier_spent": ((_I32,), (_I32,)),
}


@functools.cache
def get_engine() -> wasmtime.Engine:
    """The process's engine (deterministic configuration, fuel on)."""
    config = wasmtime.Config()
    config.consume_fuel = True
    config.wasm_threads = False
    config.wasm_simd = False
    config.wasm_relaxed_simd = False
    config.wasm_multi_memory = False
    config.wasm_memory64 = False
    config.wasm_gc = False
    config.wasm_function_references = False
    config.wasm_tail_call = False
    config.wasm_exceptions = False
    config.cranelift_nan_canonicalization = True
    config.max_wasm_stack = MAX_WASM_STACK_BYTES
    config.parallel_compilation = False
    return wasmtime.Engine(config)


_cache: dict[Hash32, CompiledModule] = {}
_cache_lock = threading.Lock()
_MAX_CACHED_MODULES: Final = 512


def _signature(func_type: wasmtime.FuncType) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return tuple(str(p) for p in func_type.params), tuple(str(r) for r in func_type.results)


def _same(
    func_type: wasmtime.FuncType, params: tuple[wasmtime.ValType, ...], results: tuple[wasmtime.ValType, ...]
) -> bool:
    return _signature(func_type) == (tuple(str(p) for p in params), tuple(str(r) for r in results))


def validate_module(module: wasmtime.Module) -> None:
    """Check the module against the ABI's rules.

    Raises
    ------
    InvalidModule
        ``forbidden_import``, ``missing_export``, ``bad_export`` or ``memory_too_large``.
    """
    for item in module.imports:
        expected = HOST_IMPORTS.get(item.name or "") if item.module == "env" else None
        if (
            expected is None
            or not isinstance(item.type, wasmtime.FuncType)
            or not _same(item.type, *expected)
        ):
            raise InvalidModule(
                f"import {item.module}.{item.name} is not part of the host ABI", reason="forbidden_import"
            )
    exports = {item.name: item.type for item in module.exports}
    memory = exports.get("memory")
    if not isinstance(memory, wasmtime.MemoryType):
        raise InvalidModule("the module exports no memory named 'memory'", reason="missing_export")
    limits = memory.limits
    if memory.is_64 or limits.max is None or limits.min > MAX_MEMORY_PAGES or limits.max > MAX_MEMORY_PAGES:
        raise InvalidModule(
            f"memory must declare a maximum of at most {MAX_MEMORY_PAGES} pages", reason="memory_too_large"
        )
    argbuf = exports.get("A")
    if not isinstance(argbuf, wasmtime.GlobalType) or str(argbuf.content) != "i32" or argbuf.mutable:
        raise InvalidModule(
            "the module exports no immutable i32 global 'A' (the argument buffer)", reason="missing_export"
        )
    for name, item_type in exports.items():
        if name in ("memory", "A") or (isinstance(item_type, wasmtime.GlobalType) and item_type.mutable):
            continue  # mutable globals are exported so that each call can start from them reset
        if not isinstance(item_type, wasmtime.FuncType) or not _same(item_type, (_I32,), (_I32,)):
            raise InvalidModule(f"export {name!r} is not a function (i32) -> i32", reason="bad_export")


@dataclass(frozen=True, slots=True)
class CompiledModule:
    code_hash: Hash32
    """BLAKE3 of the bytecode (as deployed, before instrumentation)."""
    module: wasmtime.Module
    """The instrumented module (:mod:`chain.vm.instrument`): it also exports the dirty-page
    bitmap globals ``DIRTY_GLOBAL_NAMES``."""
    mutable_globals: tuple[str, ...]
    """Export names of the contract's own mutable globals, reset before each call (the
    bitmap globals are not among them: the session zeroes those)."""


def compile_module(bytecode: bytes) -> CompiledModule:
    """Validate ``bytecode``, instrument it for dirty-page tracking
    (:func:`chain.vm.instrument.instrument_module`), compile the result and check it against
    the ABI (cached by the BLAKE3 hash of ``bytecode``).

    Raises
    ------
    InvalidModule
        ``malformed`` if it is not valid WebAssembly under the engine's features,
        ``unexported_mutable_global`` if a mutable global is not exported (it would be state
        outside memory: :mod:`chain.vm.wasm_globals`), ``bad_export`` or ``forbidden_import``
        for a name reserved by the instrumentation, or a reason of :func:`validate_module`.
    """
    code_hash = blake3_256(bytecode)
    with _cache_lock:
        cached = _cache.get(code_hash)
    if cached is not None:
        return cached
    try:
        wasmtime.Module.validate(get_engine(), bytecode)
    except wasmtime.WasmtimeError as exc:
        raise InvalidModule(f"not a valid module: {str(exc).splitlines()[0]}", reason="malformed") from exc
    instrumented = instrument_module(bytecode)
    try:
        module = wasmtime.Module(get_engine(), instrumented)
    except wasmtime.WasmtimeError as exc:  # pragma: no cover - an instrumentation bug
        raise InvalidModule(
            f"instrumentation failed: {str(exc).splitlines()[0]}", reason="malformed"
        ) from exc
    validate_module(module)
    mutable = find_mutable_globals(instrumented)
    hidden = sorted(index for index, name in mutable.items() if name is None)
    if hidden:
        raise InvalidModule(
            f"mutable globals {hidden} are not exported: their values would be state outside memory",
            reason="unexported_mutable_global",
        )
    own = tuple(str(name) for name in mutable.values() if name not in DIRTY_GLOBAL_NAMES)
    compiled = CompiledModule(code_hash, module, own)
    with _cache_lock:
        if len(_cache) >= _MAX_CACHED_MODULES:
            _cache.pop(next(iter(_cache)))
        _cache[code_hash] = compiled
    return compiled
