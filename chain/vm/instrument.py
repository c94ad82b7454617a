"""Dirty-page tracking by rewriting a contract module (docs/vm-abi.md, "Dirty-page tracking";
WebAssembly Core Specification 2.0, chapter 5, binary format).

A contract's memory is its state, and after every call frame the host must know which
64 KiB pages the call changed. Comparing the whole memory with a copy costs time in
proportion to the memory; the OS cannot tell which pages were written (no soft-dirty bits
here, and wasmtime-py has no custom memory creator). So the module is rewritten before it is
compiled, such that every write to linear memory first marks the page(s) it touches in a
256-bit bitmap the host reads after the call:

- four mutable ``i64`` globals, initialised to 0 and exported as ``__gloam_dirty0`` …
  ``__gloam_dirty3``, are appended after the module's globals: bit ``p & 63`` of global
  ``p >> 6`` stands for page ``p`` (``MAX_MEMORY_PAGES`` is 256);
- three functions are appended after the module's functions: ``$set_bit(page)`` (pages
  from 256 on mark nothing: no access there can succeed), ``$mark(ea, last)`` (pages
  ``ea >> 16`` and ``(ea + last) >> 16``) and ``$mark_range(dest, len)`` (every page of
  ``[dest, dest + len)``, nothing for ``len`` 0, at most 256 pages);
- before each store (``i32.store`` … ``i64.store32``) the value is kept in a scratch local,
  the address is kept in another, ``$mark(address + offset, size - 1)`` is called and both
  are pushed back for the original store; before ``memory.fill``, ``memory.copy`` and
  ``memory.init`` the three operands are kept in scratch locals and
  ``$mark_range(dest, n)`` is called.

Nothing existing moves: appended globals, functions, types and locals take the next free
indices of their index spaces (§2.5.1; imports come first, so existing function and global
indices, and with them the element, start and export sections, stay right), and no block is
added inside existing code, so branch depths are unchanged. A store that traps may have
marked a page it did not write; the host compares marked pages with its copy, so a mark
too many costs a comparison, never a wrong page. The marks cost fuel, which is gas: the
same on every node.

The decoder knows every instruction of the features :func:`chain.vm.module.get_engine`
enables (MVP, sign extension, non-trapping float-to-int, bulk memory, reference types,
multi-value block types) and refuses the opcodes of the disabled ones (SIMD, threads,
exceptions, tail calls, typed function references, GC) with ``InvalidModule``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chain.vm.exceptions import InvalidModule
from chain.vm.wasm_globals import WasmReader, skip_constant_expression

#: Export names of the four bitmap globals; a module may not export or import these names.
DIRTY_GLOBAL_NAMES: Final = ("__gloam_dirty0", "__gloam_dirty1", "__gloam_dirty2", "__gloam_dirty3")
#: Bits per bitmap global, and pages the bitmap covers (``MAX_MEMORY_PAGES``).
BITS_PER_GLOBAL: Final = 64
TRACKED_PAGES: Final = BITS_PER_GLOBAL * len(DIRTY_GLOBAL_NAMES)
#: log2 of the 64 KiB page (core spec §4.2.8).
PAGE_SHIFT: Final = 16

# Section ids (§5.5.2) and their required order (§5.5.16; the tag section of the exception
# proposal sits between memory and global).
_CUSTOM, _TYPE, _IMPORT, _FUNCTION, _GLOBAL, _EXPORT, _CODE = 0, 1, 2, 3, 6, 7, 10
_SECTION_ORDER: Final = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13}
_FUNC_KIND, _TABLE_KIND, _MEMORY_KIND, _GLOBAL_KIND = 0, 1, 2, 3

# Value types (§5.3.1-§5.3.3) allowed by the engine's features, one byte each.
_I32, _I64, _F32, _F64, _V128, _FUNCREF, _EXTERNREF = 0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F
_VALUE_TYPES: Final = frozenset({_I32, _I64, _F32, _F64, _FUNCREF, _EXTERNREF})
_FUNC_TYPE: Final = b"\x60"

#: Store opcodes (§5.4.6) -> (type of the stored value, bytes written).
STORES: Final[dict[int, tuple[int, int]]] = {
    0x36: (_I32, 4),  # i32.store
    0x37: (_I64, 8),  # i64.store
    0x38: (_F32, 4),  # f32.store
    0x39: (_F64, 8),  # f64.store
    0x3A: (_I32, 1),  # i32.store8
    0x3B: (_I32, 2),  # i32.store16
    0x3C: (_I64, 1),  # i64.store8
    0x3D: (_I64, 2),  # i64.store16
    0x3E: (_I64, 4),  # i64.store32
}
#: 0xFC sub-opcodes (§5.4.6) that write memory, all taking (dest i32, x i32, n i32).
_MEMORY_INIT, _MEMORY_COPY, _MEMORY_FILL = 8, 10, 11
_BULK_WRITES: Final = frozenset({_MEMORY_INIT, _MEMORY_COPY, _MEMORY_FILL})

# Immediates of the one-byte opcodes (§5.4.1-§5.4.7).
_NO_IMMEDIATE, _INDEX, _TWO_INDICES, _BLOCK_TYPE, _BR_TABLE, _MEMARG = range(6)
_SELECT_TYPES, _REF_TYPE, _I32_CONST, _I64_CONST, _F32_CONST, _F64_CONST = range(6, 12)
_IMMEDIATES: Final[dict[int, int]] = {
    0x00: _NO_IMMEDIATE,  # unreachable
    0x01: _NO_IMMEDIATE,  # nop
    0x02: _BLOCK_TYPE,  # block
    0x03: _BLOCK_TYPE,  # loop
    0x04: _BLOCK_TYPE,  # if
    0x05: _NO_IMMEDIATE,  # else
    0x0B: _NO_IMMEDIATE,  # end
    0x0C: _INDEX,  # br
    0x0D: _INDEX,  # br_if
    0x0E: _BR_TABLE,  # br_table
    0x0F: _NO_IMMEDIATE,  # return
    0x10: _INDEX,  # call
    0x11: _TWO_INDICES,  # call_indirect typeidx tableidx
    0x1A: _NO_IMMEDIATE,  # drop
    0x1B: _NO_IMMEDIATE,  # select
    0x1C: _SELECT_TYPES,  # select t*
    0x20: _INDEX,  # local.get
    0x21: _INDEX,  # local.set
    0x22: _INDEX,  # local.tee
    0x23: _INDEX,  # global.get
    0x24: _INDEX,  # global.set
    0x25: _INDEX,  # table.get
    0x26: _INDEX,  # table.set
    **dict.fromkeys(range(0x28, 0x3F), _MEMARG),  # loads and stores
    0x3F: _INDEX,  # memory.size (memory index 0)
    0x40: _INDEX,  # memory.grow
    0x41: _I32_CONST,
    0x42: _I64_CONST,
    0x43: _F32_CONST,
    0x44: _F64_CONST,
    **dict.fromkeys(range(0x45, 0xC5), _NO_IMMEDIATE),  # numeric, incl. sign extension
    0xD0: _REF_TYPE,  # ref.null t
    0xD1: _NO_IMMEDIATE,  # ref.is_null
    0xD2: _INDEX,  # ref.func
}
#: 0xFC sub-opcodes -> number of index immediates (§5.4.5-§5.4.7).
_FC_INDICES: Final[dict[int, int]] = {
    **dict.fromkeys(range(8), 0),  # i32/i64.trunc_sat_f32/f64_s/u
    8: 2,  # memory.init dataidx 0x00
    9: 1,  # data.drop
    10: 2,  # memory.copy 0x00 0x00
    11: 1,  # memory.fill 0x00
    12: 2,  # table.init
    13: 1,  # elem.drop
    14: 2,  # table.copy
    15: 1,  # table.grow
    16: 1,  # table.size
    17: 1,  # table.fill
}
#: Opcodes of the features the engine disables, with the feature's name.
_DISABLED: Final[dict[int, str]] = {
    **dict.fromkeys((0x06, 0x07, 0x08, 0x09, 0x0A, 0x18, 0x19, 0x1F), "exception handling"),
    **dict.fromkeys((0x12, 0x13), "tail calls"),
    **dict.fromkeys((0x14, 0x15, 0xD3, 0xD4, 0xD5, 0xD6), "typed function references"),
    0xFB: "GC",
    0xFD: "SIMD",
    0xFE: "threads (atomics)",
}

#: Scratch locals appended to an instrumented function, after its own: three i32 (address
#: or bulk operands, and an i32 store's value), then one each of i64, f32, f64.
_SCRATCH_LOCALS: Final = ((3, _I32), (1, _I64), (1, _F32), (1, _F64))
_SCRATCH_OF_TYPE: Final = {_I32: 1, _I64: 3, _F32: 4, _F64: 5}


def encode_u32(value: int) -> bytes:
    """Unsigned LEB128 of ``value`` (core spec §5.2.2)."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def encode_i32(value: int) -> bytes:
    """Signed LEB128 of ``value`` taken as an i32 (0 ≤ value < 2**32 wraps to negative)."""
    if value >= 1 << 31:
        value -= 1 << 32
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        if (value == 0 and not byte & 0x40) or (value == -1 and byte & 0x40):
            out.append(byte)
            return bytes(out)
        out.append(byte | 0x80)


def _vec(items: list[bytes]) -> bytes:
    return encode_u32(len(items)) + b"".join(items)


def _name(text: str) -> bytes:
    raw = text.encode("utf-8")
    return encode_u32(len(raw)) + raw


@dataclass(frozen=True, slots=True)
class _Layout:
    """Indices the rewriter appends at (the first free ones of each index space)."""

    set_bit: int
    mark: int
    mark_range: int
    first_dirty_global: int


def instrument_module(bytecode: bytes) -> bytes:
    """``bytecode`` rewritten so that every memory write marks its pages in the exported
    bitmap globals ``DIRTY_GLOBAL_NAMES`` (module docstring).

    The input should already be valid under the engine's features (wasmtime validates it
    first); the output is valid whenever the input is. Sections are rewritten as in the core
    spec §5.5: type (§5.5.4), import (§5.5.5), function (§5.5.6), global (§5.5.9), export
    (§5.5.10) and code (§5.5.13, instructions §5.4); missing ones are created in their
    place; all others, custom sections included, are kept byte for byte.

    Raises
    ------
    InvalidModule
        ``malformed`` for bytes that do not parse or an opcode, value type or type form of
        a disabled feature (SIMD, threads, exceptions, tail calls, typed function
        references, GC, multi-memory); ``bad_export`` or ``forbidden_import`` for a module
        that exports or imports one of ``DIRTY_GLOBAL_NAMES``.
    """
    reader = WasmReader(bytecode)
    sections = reader.sections()
    unknown = [section for section, _, _ in sections if section != _CUSTOM and section not in _SECTION_ORDER]
    if unknown:
        raise InvalidModule(f"unknown section id {unknown[0]}", reason="malformed")
    payloads = {section: bytecode[start:end] for section, start, end in sections if section != _CUSTOM}

    types = _read_types(payloads.get(_TYPE, b""))
    imported_funcs, imported_globals = _read_imports(payloads.get(_IMPORT, b""))
    func_types = _read_function_types(payloads.get(_FUNCTION, b""))
    defined_globals = _count_globals(payloads.get(_GLOBAL, b""))
    exports = _read_exports(payloads.get(_EXPORT, b""))
    reserved = sorted(set(exports) & set(DIRTY_GLOBAL_NAMES))
    if reserved:
        raise InvalidModule(f"the export name {reserved[0]!r} is reserved by the VM", reason="bad_export")

    first_new_func = imported_funcs + len(func_types)
    layout = _Layout(
        set_bit=first_new_func,
        mark=first_new_func + 1,
        mark_range=first_new_func + 2,
        first_dirty_global=imported_globals + defined_globals,
    )
    set_bit_type, mark_type = len(types), len(types) + 1
    param_counts = []
    for type_index in func_types:
        if type_index >= len(types):
            raise InvalidModule(f"function type {type_index} does not exist", reason="malformed")
        param_counts.append(types[type_index])

    new_payloads = {
        _TYPE: _append_items(
            payloads.get(_TYPE, b""),
            [
                _FUNC_TYPE + _vec([bytes([_I32])]) + _vec([]),
                _FUNC_TYPE + _vec([bytes([_I32])] * 2) + _vec([]),
            ],
        ),
        _FUNCTION: _append_items(
            payloads.get(_FUNCTION, b""),
            [encode_u32(set_bit_type), encode_u32(mark_type), encode_u32(mark_type)],
        ),
        _GLOBAL: _append_items(
            payloads.get(_GLOBAL, b""),
            [bytes([_I64, 0x01, 0x42, 0x00, 0x0B])] * len(DIRTY_GLOBAL_NAMES),  # mut i64 = 0
        ),
        _EXPORT: _append_items(
            payloads.get(_EXPORT, b""),
            [
                _name(name) + bytes([_GLOBAL_KIND]) + encode_u32(layout.first_dirty_global + k)
                for k, name in enumerate(DIRTY_GLOBAL_NAMES)
            ],
        ),
        _CODE: _rewrite_code(payloads.get(_CODE, b""), param_counts, layout),
    }
    return _assemble(bytecode, sections, new_payloads)


# -- sections ----------------------------------------------------------------------------
def _value_type(reader: WasmReader) -> int:
    """One value type (§5.3.4); v128 and typed references are disabled features."""
    at = reader.pos
    value_type = reader.byte()
    if value_type == _V128:
        raise InvalidModule(f"SIMD is disabled (v128 at byte {at})", reason="malformed")
    if value_type not in _VALUE_TYPES:
        raise InvalidModule(f"value type {value_type:#x} at byte {at} is not allowed", reason="malformed")
    return value_type


def _read_types(payload: bytes) -> list[int]:
    """The number of parameters of each function type (§5.5.4)."""
    reader = WasmReader(payload)
    params = []
    for _ in range(reader.leb() if payload else 0):
        form = reader.byte()
        if form != _FUNC_TYPE[0]:
            raise InvalidModule(f"type form {form:#x} (GC) is disabled", reason="malformed")
        count = reader.leb()
        for _ in range(count):
            _value_type(reader)
        for _ in range(reader.leb()):
            _value_type(reader)
        params.append(count)
    return params


def _read_imports(payload: bytes) -> tuple[int, int]:
    """(imported functions, imported globals) (§5.5.5); a reserved name is refused."""
    reader = WasmReader(payload)
    funcs = globals_ = 0
    for _ in range(reader.leb() if payload else 0):
        module, name = reader.name(), reader.name()
        if name in DIRTY_GLOBAL_NAMES:
            raise InvalidModule(
                f"the import name {module}.{name} is reserved by the VM", reason="forbidden_import"
            )
        kind = reader.byte()
        if kind == _FUNC_KIND:
            reader.leb()
            funcs += 1
        elif kind == _TABLE_KIND:
            reader.byte()
            reader.limits()
        elif kind == _MEMORY_KIND:
            reader.limits()
        elif kind == _GLOBAL_KIND:
            _value_type(reader)
            reader.byte()
            globals_ += 1
        else:
            raise InvalidModule(f"import kind {kind:#x} is not allowed", reason="malformed")
    return funcs, globals_


def _read_function_types(payload: bytes) -> list[int]:
    """The type index of each defined function (§5.5.6)."""
    reader = WasmReader(payload)
    return [reader.leb() for _ in range(reader.leb() if payload else 0)]


def _count_globals(payload: bytes) -> int:
    """The number of defined globals (§5.5.9)."""
    reader = WasmReader(payload)
    count = reader.leb() if payload else 0
    for _ in range(count):
        _value_type(reader)
        reader.byte()
        skip_constant_expression(reader)
    return count


def _read_exports(payload: bytes) -> list[str]:
    """The export names (§5.5.10)."""
    reader = WasmReader(payload)
    names = []
    for _ in range(reader.leb() if payload else 0):
        names.append(reader.name())
        reader.byte()
        reader.leb()
    return names


def _append_items(payload: bytes, items: list[bytes]) -> bytes:
    """A section payload that is one vector (§5.1.3, §5.5.2) with ``items`` appended to it."""
    reader = WasmReader(payload)
    count = reader.leb() if payload else 0
    return encode_u32(count + len(items)) + payload[reader.pos :] + b"".join(items)


def _assemble(bytecode: bytes, sections: list[tuple[int, int, int]], new_payloads: dict[int, bytes]) -> bytes:
    """The module with each section of ``new_payloads`` replacing (or, where missing, added
    in its place among) the original sections; the others are copied byte for byte."""
    out = bytearray(bytecode[:8])
    pending = sorted(
        set(new_payloads) - {section for section, _, _ in sections}, key=_SECTION_ORDER.__getitem__
    )

    def emit(section: int, payload: bytes) -> None:
        out.append(section)
        out.extend(encode_u32(len(payload)))
        out.extend(payload)

    for section, start, end in sections:
        if section != _CUSTOM:
            while pending and _SECTION_ORDER[pending[0]] < _SECTION_ORDER[section]:
                added = pending.pop(0)
                emit(added, new_payloads[added])
        emit(section, new_payloads.get(section, bytecode[start:end]))
    for added in pending:
        emit(added, new_payloads[added])
    return bytes(out)


# -- code ----------------------------------------------------------------------------------
def _rewrite_code(payload: bytes, param_counts: list[int], layout: _Layout) -> bytes:
    """The code section (§5.5.13) with every body instrumented and the helpers appended."""
    reader = WasmReader(payload)
    count = reader.leb() if payload else 0
    if count != len(param_counts):
        raise InvalidModule("the function and code sections disagree", reason="malformed")
    bodies = []
    for params in param_counts:
        size = reader.leb()
        start = reader.pos
        reader.skip(size)
        bodies.append(_rewrite_body(payload[start : reader.pos], params, layout))
    bodies.extend(_helper_bodies(layout))
    return _vec([encode_u32(len(body)) + body for body in bodies])


def _rewrite_body(body: bytes, params: int, layout: _Layout) -> bytes:
    """One function body (§5.5.13: locals, then an expression) with marks before its writes;
    the scratch locals are declared only if it writes memory."""
    reader = WasmReader(body)
    local_count = params
    for _ in range(reader.leb()):
        local_count += reader.leb()
        _value_type(reader)
    locals_end = reader.pos
    s0 = local_count  # the address (or dest) scratch local; the others follow
    out = bytearray()
    copied = locals_end
    while reader.pos < len(body):
        at = reader.pos
        op = reader.byte()
        if op in STORES:
            offset = _memarg(reader)
            value_type, size = STORES[op]
            value = s0 + _SCRATCH_OF_TYPE[value_type]
            out += body[copied:at]
            out += _store_prologue(s0, value, offset, size, layout.mark)
            out += body[at : reader.pos]
            copied = reader.pos
        elif op == 0xFC:
            sub = reader.leb()
            if sub not in _FC_INDICES:
                raise InvalidModule(f"unknown opcode 0xfc {sub} at byte {at}", reason="malformed")
            for _ in range(_FC_INDICES[sub]):
                reader.leb()
            if sub in _BULK_WRITES:
                out += body[copied:at]
                out += _bulk_prologue(s0, layout.mark_range)
                out += body[at : reader.pos]
                copied = reader.pos
        else:
            _skip_immediates(reader, op, at)
    if body[-1:] != b"\x0b":
        raise InvalidModule("a function body does not end with 'end'", reason="malformed")
    if copied == locals_end:
        return body  # writes no memory: unchanged
    head = WasmReader(body)
    entries = head.leb()
    locals_vec = encode_u32(entries + len(_SCRATCH_LOCALS)) + body[head.pos : locals_end]
    locals_vec += b"".join(encode_u32(n) + bytes([t]) for n, t in _SCRATCH_LOCALS)
    return locals_vec + bytes(out) + body[copied:]


def _memarg(reader: WasmReader) -> int:
    """A memarg (§5.4.6): alignment, then the offset, returned; a memory index
    (multi-memory) is refused."""
    at = reader.pos
    if reader.leb() & 0x40:
        raise InvalidModule(f"multi-memory is disabled (memarg at byte {at})", reason="malformed")
    return reader.leb()


def _skip_immediates(reader: WasmReader, op: int, at: int) -> None:
    """Move past the immediates of the one-byte opcode ``op`` (§5.4)."""
    kind = _IMMEDIATES.get(op)
    if kind is None:
        feature = _DISABLED.get(op)
        if feature is not None:
            raise InvalidModule(f"{feature} is disabled (opcode {op:#x} at byte {at})", reason="malformed")
        raise InvalidModule(f"unknown opcode {op:#x} at byte {at}", reason="malformed")
    if kind in (_INDEX, _I32_CONST, _I64_CONST):
        reader.leb()
    elif kind == _TWO_INDICES:
        reader.leb()
        reader.leb()
    elif kind == _MEMARG:
        _memarg(reader)
    elif kind == _BLOCK_TYPE:
        _block_type(reader)
    elif kind == _BR_TABLE:
        for _ in range(reader.leb() + 1):  # the labels, then the default
            reader.leb()
    elif kind == _SELECT_TYPES:
        for _ in range(reader.leb()):
            _value_type(reader)
    elif kind == _REF_TYPE:
        _value_type(reader)
    elif kind == _F32_CONST:
        reader.skip(4)
    elif kind == _F64_CONST:
        reader.skip(8)


def _block_type(reader: WasmReader) -> None:
    """A block type (§5.4.1): empty (0x40), one value type, or a type index as an s33."""
    first = reader.data[reader.pos] if reader.pos < len(reader.data) else None
    if first == 0x40:
        reader.byte()
    elif first is not None and (first & 0xC0) == 0x40:  # a one-byte negative s33: a value type
        _value_type(reader)
    else:
        reader.leb()  # a type index (multi-value)


def _store_prologue(s0: int, value: int, offset: int, size: int, mark: int) -> bytes:
    """Before a store of ``size`` bytes at ``address + offset`` (stack: address, value):
    keep the value and the address, ``$mark(address + offset, size - 1)``, push both back."""
    code = bytearray(b"\x21" + encode_u32(value))  # local.set value
    code += b"\x22" + encode_u32(s0)  # local.tee s0 (the address)
    if offset:
        code += b"\x41" + encode_i32(offset) + b"\x6a"  # i32.const offset; i32.add
    code += b"\x41" + encode_i32(size - 1)  # i32.const last
    code += b"\x10" + encode_u32(mark)  # call $mark
    code += b"\x20" + encode_u32(s0) + b"\x20" + encode_u32(value)  # local.get s0; local.get value
    return bytes(code)


def _bulk_prologue(s0: int, mark_range: int) -> bytes:
    """Before ``memory.fill``/``copy``/``init`` (stack: dest, x, n): keep the three,
    ``$mark_range(dest, n)``, push them back."""
    s1, s2 = s0 + 1, s0 + 2
    code = bytearray(b"\x21" + encode_u32(s2) + b"\x21" + encode_u32(s1))  # local.set n; local.set x
    code += b"\x22" + encode_u32(s0) + b"\x20" + encode_u32(s2)  # local.tee dest; local.get n
    code += b"\x10" + encode_u32(mark_range)  # call $mark_range
    code += b"\x20" + encode_u32(s0) + b"\x20" + encode_u32(s1) + b"\x20" + encode_u32(s2)
    return bytes(code)


def _helper_bodies(layout: _Layout) -> list[bytes]:
    """The bodies of ``$set_bit``, ``$mark`` and ``$mark_range`` (module docstring)."""
    get0, i32_const, shr_u, call = b"\x20\x00", b"\x41", b"\x76", b"\x10"

    def set_bit_in(k: int) -> bytes:
        # dirty_k |= 1 << page (i64.shl takes the shift modulo 64: bit page & 63)
        dirty = encode_u32(layout.first_dirty_global + k)
        return b"\x23" + dirty + b"\x42\x01" + get0 + b"\xad\x86\x84" + b"\x24" + dirty

    # (func $set_bit (param $page i32)
    #   block block block block block
    #     (br_table 0 1 2 3 4 (i32.shr_u (local.get $page) (i32.const 6)))
    #   end dirty0 |= bit; br 3
    #   end dirty1 |= bit; br 2
    #   end dirty2 |= bit; br 1
    #   end dirty3 |= bit
    #   end)  ;; pages >= 256 take the default label 4 and mark nothing
    set_bit = (
        b"\x00"  # no locals
        + b"\x02\x40" * 5
        + get0
        + i32_const
        + b"\x06"
        + shr_u
        + b"\x0e\x04\x00\x01\x02\x03\x04"
        + b"\x0b"
        + set_bit_in(0)
        + b"\x0c\x03\x0b"
        + set_bit_in(1)
        + b"\x0c\x02\x0b"
        + set_bit_in(2)
        + b"\x0c\x01\x0b"
        + set_bit_in(3)
        + b"\x0b"
        + b"\x0b"
    )
    to_set_bit = call + encode_u32(layout.set_bit)
    # (func $mark (param $ea i32) (param $last i32) (local $first i32)
    #   (call $set_bit (local.tee $first (i32.shr_u (local.get $ea) (i32.const 16))))
    #   (if (i32.ne (local.tee $last (i32.shr_u (i32.add $ea $last) (i32.const 16))) $first)
    #     (then (call $set_bit (local.get $last)))))
    mark = (
        b"\x01\x01\x7f"
        + get0
        + i32_const
        + b"\x10"
        + shr_u
        + b"\x22\x02"
        + to_set_bit
        + get0
        + b"\x20\x01\x6a"
        + i32_const
        + b"\x10"
        + shr_u
        + b"\x22\x01\x20\x02\x47"
        + b"\x04\x40\x20\x01"
        + to_set_bit
        + b"\x0b"
        + b"\x0b"
    )
    # (func $mark_range (param $dest i32) (param $len i32) (local $page i32) (local $last i32)
    #   (br_if 0 (i32.eqz (local.get $len)))
    #   (local.set $last (i32.shr_u (i32.sub (i32.add $dest $len) (i32.const 1)) (i32.const 16)))
    #   (local.set $page (i32.shr_u (local.get $dest) (i32.const 16)))
    #   (block (loop
    #     (br_if 1 (i32.gt_u $page $last)) (br_if 1 (i32.gt_u $page (i32.const 255)))
    #     (call $set_bit $page) (local.set $page (i32.add $page (i32.const 1))) (br 0))))
    mark_range = (
        b"\x01\x02\x7f"
        + b"\x20\x01\x45\x0d\x00"
        + get0
        + b"\x20\x01\x6a"
        + i32_const
        + b"\x01\x6b"
        + i32_const
        + b"\x10"
        + shr_u
        + b"\x21\x03"
        + get0
        + i32_const
        + b"\x10"
        + shr_u
        + b"\x21\x02"
        + b"\x02\x40\x03\x40"
        + b"\x20\x02\x20\x03\x4b\x0d\x01"
        + b"\x20\x02"
        + i32_const
        + encode_i32(TRACKED_PAGES - 1)
        + b"\x4b\x0d\x01"
        + b"\x20\x02"
        + to_set_bit
        + b"\x20\x02"
        + i32_const
        + b"\x01\x6a\x21\x02"
        + b"\x0c\x00"
        + b"\x0b\x0b"
        + b"\x0b"
    )
    return [set_bit, mark, mark_range]
