"""Dirty-page instrumentation (chain/vm/instrument.py, docs/vm-abi.md "Dirty-page tracking"):
every built contract still validates with its ABI intact; the bitmap marks exactly the
pages a successful write touches; disabled features and reserved names are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import wasmtime
from hypothesis import given, settings
from hypothesis import strategies as st

from chain.vm.exceptions import InvalidModule
from chain.vm.instrument import DIRTY_GLOBAL_NAMES, encode_i32, encode_u32, instrument_module
from chain.vm.module import compile_module, get_engine
from tests.chain.vm.wat import IMPORTS, wasm

BUILD = Path(__file__).resolve().parents[3] / "chain" / "contracts" / "build"
BUILT = sorted(BUILD.glob("*.wasm"))
PAGE = 65_536

#: (opcode name, bytes written, value type) of every store.
STORES = [
    ("i32.store", 4, "i32"),
    ("i64.store", 8, "i64"),
    ("f32.store", 4, "f32"),
    ("f64.store", 8, "f64"),
    ("i32.store8", 1, "i32"),
    ("i32.store16", 2, "i32"),
    ("i64.store8", 1, "i64"),
    ("i64.store16", 2, "i64"),
    ("i64.store32", 4, "i64"),
]
OFFSETS = [0, 1, 65_535, 65_536, 131_071]
_VALUE = {
    "i32": "(local.get $v)",
    "i64": "(i64.extend_i32_u (local.get $v))",
    "f32": "(f32.reinterpret_i32 (local.get $v))",
    "f64": "(f64.reinterpret_i64 (i64.extend_i32_u (local.get $v)))",
}


def _writer_module(min_pages: int = 4, max_pages: int = 8) -> str:
    """Exports ``s<k>_<o>(addr, value)`` for store ``k`` with offset ``o``, ``fill``,
    ``copy``, ``init`` (from a 70,000-byte passive segment) and ``grow``."""
    funcs = [
        f'(func (export "s{k}_{o}") (param $a i32) (param $v i32)'
        f" ({name} offset={o} (local.get $a) {_VALUE[kind]}))"
        for k, (name, _, kind) in enumerate(STORES)
        for o in OFFSETS
    ]
    return f"""(module
      (memory (export "memory") {min_pages} {max_pages})
      (data $seg "{"x" * 70_000}")
      {" ".join(funcs)}
      (func (export "fill") (param i32 i32 i32) (memory.fill (local.get 0) (local.get 1) (local.get 2)))
      (func (export "copy") (param i32 i32 i32) (memory.copy (local.get 0) (local.get 1) (local.get 2)))
      (func (export "init") (param i32 i32 i32) (memory.init $seg (local.get 0) (local.get 1) (local.get 2)))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))"""


class _Instance:
    """An instrumented module instantiated on its own, with its bitmap readable."""

    def __init__(self, text: str, fuel: int = 10**9) -> None:
        module = wasmtime.Module(get_engine(), instrument_module(wasm(text)))
        self.store = wasmtime.Store(get_engine())
        self.store.set_fuel(fuel)
        self.instance = wasmtime.Instance(self.store, module, [])
        self.exports = self.instance.exports(self.store)

    def call(self, name: str, *args: int) -> object:
        func = self.exports[name]
        assert isinstance(func, wasmtime.Func)
        return func(self.store, *args)

    def marked(self) -> set[int]:
        pages = set()
        for k, name in enumerate(DIRTY_GLOBAL_NAMES):
            word = self.exports[name]
            assert isinstance(word, wasmtime.Global)
            bits = int(word.value(self.store)) & (1 << 64) - 1
            pages |= {64 * k + b for b in range(64) if bits >> b & 1}
        return pages

    def clear(self) -> None:
        for name in DIRTY_GLOBAL_NAMES:
            word = self.exports[name]
            assert isinstance(word, wasmtime.Global)
            word.set_value(self.store, 0)

    def memory(self) -> bytes:
        memory = self.exports["memory"]
        assert isinstance(memory, wasmtime.Memory)
        return bytes(memory.read(self.store, 0, memory.data_len(self.store)))


def _describe(item: object) -> tuple[object, ...]:
    if isinstance(item, wasmtime.FuncType):
        return ("func", [str(t) for t in item.params], [str(t) for t in item.results])
    if isinstance(item, wasmtime.GlobalType):
        return ("global", str(item.content), item.mutable)
    if isinstance(item, wasmtime.MemoryType):
        return ("memory", item.limits.min, item.limits.max)
    return (type(item).__name__,)


def _pages(first: int, last: int) -> set[int]:
    return set(range(first // PAGE, last // PAGE + 1))


def _changed(before: bytes, after: bytes) -> set[int]:
    before = before + bytes(len(after) - len(before))
    return {
        p
        for p in range(len(after) // PAGE)
        if before[p * PAGE : (p + 1) * PAGE] != after[p * PAGE : (p + 1) * PAGE]
    }


@pytest.mark.parametrize("path", BUILT, ids=[p.stem for p in BUILT])
def test_every_built_contract_round_trips(path):
    """The instrumented contract validates, keeps every import and export (with its type),
    adds the four bitmap globals, and compiles through compile_module."""
    original = path.read_bytes()
    instrumented = instrument_module(original)
    assert instrument_module(original) == instrumented  # deterministic
    before = wasmtime.Module(get_engine(), original)
    after = wasmtime.Module(get_engine(), instrumented)
    assert [(i.module, i.name, _describe(i.type)) for i in after.imports] == [
        (i.module, i.name, _describe(i.type)) for i in before.imports
    ]
    exports = {e.name: e.type for e in after.exports}
    for item in before.exports:
        assert _describe(exports.pop(item.name)) == _describe(item.type)
    assert sorted(exports) == list(DIRTY_GLOBAL_NAMES)
    for word in exports.values():
        assert isinstance(word, wasmtime.GlobalType)
        assert word.mutable
        assert str(word.content) == "i64"
    assert compile_module(original).mutable_globals == ("__stack_pointer",)


def test_a_function_that_writes_no_memory_is_copied_unchanged():
    text = (
        "(module (memory 1)"
        ' (func (export "f") (param i32) (result i32) (i32.add (local.get 0) (i32.const 1))))'
    )
    original = wasm(text)
    body = original[original.index(b"\x20\x00\x41\x01\x6a\x0b") - 1 :][:7]
    assert body in instrument_module(original)


@settings(max_examples=60, deadline=None)
@given(
    store=st.integers(0, len(STORES) - 1),
    offset=st.sampled_from(OFFSETS),
    address=st.one_of(
        st.integers(0, 4 * PAGE),
        st.integers(PAGE - 8, PAGE + 8),  # unaligned, across the first page boundary
        st.integers(0, 2**32 - 1),  # mostly out of bounds: traps
    ),
    value=st.integers(0, 2**32 - 1),
)
def test_a_store_marks_exactly_the_pages_it_writes(writer, store, offset, address, value):
    name, size, _ = STORES[store]
    writer.clear()
    before = writer.memory()
    effective = address + offset
    try:
        writer.call(f"s{store}_{offset}", encode_signed(address), encode_signed(value))
    except wasmtime.Trap:
        assert effective + size > 4 * PAGE
        assert writer.memory() == before  # a trapping store writes nothing
        return
    assert writer.marked() == _pages(effective, effective + size - 1)
    assert _changed(before, writer.memory()) <= writer.marked()


@settings(max_examples=60, deadline=None)
@given(
    op=st.sampled_from(["fill", "copy", "init"]),
    dest=st.integers(0, 4 * PAGE + 10),
    source=st.integers(0, 4 * PAGE),
    length=st.one_of(st.integers(0, 3 * PAGE), st.integers(0, 70), st.just(0), st.integers(2**31, 2**32 - 1)),
)
def test_bulk_writes_mark_every_page_of_their_range(writer, op, dest, source, length):
    writer.clear()
    before = writer.memory()
    try:
        writer.call(op, dest, source if op != "init" else source % 70_001, encode_signed(length))
    except wasmtime.Trap:
        assert writer.memory() == before
        return
    expected = _pages(dest, dest + length - 1) if length else set()
    assert writer.marked() == expected
    assert _changed(before, writer.memory()) <= writer.marked()


def test_writes_to_grown_pages_and_every_bitmap_word(writer_256):
    """Pages 63/64, 127/128, 191/192 and 255 fall in different bitmap words; a fill across
    a word boundary marks both sides; a range past page 255 marks at most page 255."""
    assert writer_256.call("grow", 252) == 4
    for page in (63, 64, 127, 128, 191, 192, 255):
        writer_256.clear()
        writer_256.call("s0_0", page * PAGE + 5, 7)
        assert writer_256.marked() == {page}
    writer_256.clear()
    writer_256.call("s1_0", 64 * PAGE - 4, 1)  # an i64 across pages 63 and 64
    assert writer_256.marked() == {63, 64}
    writer_256.clear()
    writer_256.call("fill", 62 * PAGE + 1, 9, 4 * PAGE)
    assert writer_256.marked() == {62, 63, 64, 65, 66}
    writer_256.clear()
    writer_256.call("fill", 0, 1, 256 * PAGE)
    assert writer_256.marked() == set(range(256))
    writer_256.clear()
    with pytest.raises(wasmtime.Trap):
        writer_256.call("fill", 255 * PAGE, 1, encode_signed(2**32 - 1))
    assert writer_256.marked() <= {255}


def test_indices_stay_right_with_imports_tables_start_and_multi_value():
    """Imported functions and globals come first in their index spaces; the element
    segment, call_indirect, the start function and multi-value blocks keep working."""
    text = """(module
      (import "host" "g" (global $g i32))
      (import "host" "f" (func $f (param i32) (result i32)))
      (type $pair (func (result i32 i32)))
      (memory (export "memory") 1 2)
      (global $counter (export "counter") (mut i32) (i32.const 0))
      (table 2 funcref)
      (elem (i32.const 0) $double $f)
      (start $boot)
      (func $boot (i32.store (i32.const 16) (global.get $g)))
      (func $double (param i32) (result i32) (i32.mul (local.get 0) (i32.const 2)))
      (func (export "run") (param $x i32) (result i32) (local $y i64)
        (block $b (type $pair) (i32.const 1) (i32.const 2))
        i32.add
        (i64.store offset=8 (i32.const 0) (i64.const 5))
        (global.set $counter (call_indirect (param i32) (result i32) (local.get $x) (i32.const 0)))
        (call_indirect (param i32) (result i32) (global.get $counter) (i32.const 1))
        i32.add))"""
    original = wasm(text)
    results = []
    for module_bytes in (original, instrument_module(original)):
        store = wasmtime.Store(get_engine())
        store.set_fuel(10**6)
        module = wasmtime.Module(get_engine(), module_bytes)
        host_g = wasmtime.Global(store, wasmtime.GlobalType(wasmtime.ValType.i32(), False), 70_000)
        host_f = wasmtime.Func(
            store,
            wasmtime.FuncType([wasmtime.ValType.i32()], [wasmtime.ValType.i32()]),
            lambda x: x + 100,
        )
        instance = wasmtime.Instance(store, module, [host_g, host_f])
        exports = instance.exports(store)
        run = exports["run"]
        assert isinstance(run, wasmtime.Func)
        memory = exports["memory"]
        assert isinstance(memory, wasmtime.Memory)
        results.append((run(store, 21), bytes(memory.read(store, 0, 32))))
        if module_bytes is not original:
            word = exports[DIRTY_GLOBAL_NAMES[0]]
            assert isinstance(word, wasmtime.Global)
            assert int(word.value(store)) == 1  # the start function and run wrote page 0
    assert results[0] == results[1]
    assert results[0][0] == 3 + 142


def test_a_module_with_no_functions_gets_its_sections_created():
    instrumented = instrument_module(wasm('(module (memory (export "memory") 1 2) (data (i32.const 0) "x"))'))
    module = wasmtime.Module(get_engine(), instrumented)
    assert sorted(e.name for e in module.exports) == sorted(["memory", *DIRTY_GLOBAL_NAMES])


@pytest.mark.parametrize("kind", ["global", "func"])
def test_invalid_module_exporting_a_reserved_name(kind):
    item = (
        '(global (export "__gloam_dirty0") (mut i64) (i64.const 0))'
        if kind == "global"
        else '(func (export "__gloam_dirty0") (param i32) (result i32) (i32.const 0))'
    )
    text = f'(module {IMPORTS} (memory (export "memory") 1 2) (global (export "A") i32 (i32.const 0)) {item})'
    for refuse in (instrument_module, compile_module):
        with pytest.raises(InvalidModule) as error:
            refuse(wasm(text))
        assert error.value.reason == "bad_export"
        assert "reserved" in str(error.value)


def test_invalid_module_importing_a_reserved_name():
    text = '(module (import "env" "__gloam_dirty3" (global i64)) (memory (export "memory") 1 2))'
    with pytest.raises(InvalidModule) as error:
        instrument_module(wasm(text))
    assert error.value.reason == "forbidden_import"


@pytest.mark.parametrize(
    ("body", "feature"),
    [
        ("(drop (v128.const i64x2 0 0))", "SIMD"),
        ("(drop (i32.atomic.load (i32.const 0)))", "threads"),
        ("(drop (i32.atomic.rmw.add (i32.const 0) (i32.const 1)))", "threads"),
    ],
)
def test_invalid_modules_with_disabled_feature_opcodes(body, feature):
    text = f'(module (memory 1 2 shared) (func (export "f") {body}))'
    with pytest.raises(InvalidModule) as error:
        instrument_module(wasm(text))
    assert error.value.reason == "malformed"
    assert feature in str(error.value)
    with pytest.raises(InvalidModule) as error:
        compile_module(wasm(text))
    assert error.value.reason == "malformed"


def test_invalid_bytes_are_malformed():
    for data in (
        b"",
        b"\0asm\x01\0\0\0\x01\x05\x01",
        b"\0asm\x02\0\0\0",
        b"\0asm\x01\0\0\0\x0a\x04\x01\x02\x00\xff",
        b"\0asm\x01\0\0\0\x0e\x00",
    ):
        with pytest.raises(InvalidModule) as error:
            instrument_module(data)
        assert error.value.reason == "malformed"


@pytest.mark.parametrize(
    ("value", "unsigned", "signed"),
    [
        (0, b"\x00", b"\x00"),
        (63, b"\x3f", b"\x3f"),
        (64, b"\x40", b"\xc0\x00"),
        (2**32 - 1, b"\xff\xff\xff\xff\x0f", b"\x7f"),
    ],
)
def test_leb128_encodings(value, unsigned, signed):
    assert encode_u32(value) == unsigned
    assert encode_i32(value) == signed


def encode_signed(value: int) -> int:
    """An u32 as the i32 wasmtime-py passes."""
    return value - 2**32 if value >= 2**31 else value


@pytest.fixture(scope="module")
def writer() -> _Instance:
    return _Instance(_writer_module())


@pytest.fixture
def writer_256() -> _Instance:
    return _Instance(_writer_module(4, 256))
