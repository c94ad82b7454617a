"""Which globals of a WebAssembly module are mutable, and under which export names
(WebAssembly core spec, binary format §5.5: import, global and export sections).

A contract's state must be its memory alone (docs/vm-abi.md): a mutable global that kept a
value from one call to the next would be state no page hash covers, and a node that
re-instantiated the contract (after a restart) would disagree with one that did not. So the
VM requires every mutable global to be exported and resets them to their initial values
before each call; wasmtime's API cannot reach globals that are not exported.
"""

from __future__ import annotations

from chain.vm.exceptions import InvalidModule

_IMPORT_SECTION, _GLOBAL_SECTION, _EXPORT_SECTION = 2, 6, 7
_GLOBAL_KIND = 3
# Opcodes of constant expressions, with the length of their immediate (None: a LEB128).
_CONST_OPS: dict[int, int | None] = {
    0x41: None,  # i32.const
    0x42: None,  # i64.const
    0x43: 4,  # f32.const
    0x44: 8,  # f64.const
    0x23: None,  # global.get
    0xD0: 1,  # ref.null
    0xD2: None,  # ref.func
    0x6A: 0,  # i32.add (extended constant expressions)
    0x6B: 0,  # i32.sub
    0x6C: 0,  # i32.mul
    0x7C: 0,  # i64.add
    0x7D: 0,  # i64.sub
    0x7E: 0,  # i64.mul
}


class WasmReader:
    """A cursor over WebAssembly binary data (core spec §5.1, §5.2): bytes, LEB128 integers,
    names, limits and the section headers of §5.5.2. Every read past the end raises
    ``InvalidModule`` (``malformed``). Shared by this module and :mod:`chain.vm.instrument`."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data, self.pos = data, pos

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise InvalidModule("truncated module", reason="malformed")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def leb(self) -> int:
        """An unsigned LEB128 (§5.2.2); also skips a signed one (the caller keeps its bytes)."""
        result = shift = 0
        while True:
            byte = self.byte()
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return result
            if shift > 70:
                raise InvalidModule("LEB128 too long", reason="malformed")

    def skip(self, count: int) -> None:
        self.pos += count
        if self.pos > len(self.data):
            raise InvalidModule("truncated module", reason="malformed")

    def name(self) -> str:
        length = self.leb()
        start = self.pos
        self.skip(length)
        return self.data[start : self.pos].decode("utf-8", errors="replace")

    def limits(self) -> None:
        flags = self.byte()
        self.leb()
        if flags & 1:
            self.leb()

    def sections(self) -> list[tuple[int, int, int]]:
        """From the module header on: every section as (id, payload start, payload end), in
        order (§5.5.2). The magic and version (§5.5.16) must be those of WebAssembly 1.0/2.0."""
        if self.data[:8] != b"\0asm\x01\0\0\0":
            raise InvalidModule("not a WebAssembly 1.0 module", reason="malformed")
        self.pos = 8
        found = []
        while self.pos < len(self.data):
            section, size = self.byte(), self.leb()
            start = self.pos
            self.skip(size)
            found.append((section, start, self.pos))
        return found


def find_mutable_globals(bytecode: bytes) -> dict[int, str | None]:
    """Every mutable global of the module (index in the global index space) with its export
    name, or None if it is not exported. Assumes ``bytecode`` already validated.

    Raises
    ------
    InvalidModule
        ``malformed`` for bytes that do not parse.
    """
    reader = WasmReader(bytecode)
    imported_globals = 0
    mutable: dict[int, str | None] = {}
    for section, start, _end in reader.sections():
        reader.pos = start
        if section == _IMPORT_SECTION:
            for _ in range(reader.leb()):
                reader.name()
                reader.name()
                kind = reader.byte()
                if kind == 0:
                    reader.leb()
                elif kind == 1:
                    reader.byte()
                    reader.limits()
                elif kind == 2:
                    reader.limits()
                elif kind == _GLOBAL_KIND:
                    reader.byte()
                    if reader.byte():
                        mutable[imported_globals] = None
                    imported_globals += 1
                else:
                    reader.leb()  # tags (exceptions): a type index
        elif section == _GLOBAL_SECTION:
            for index in range(reader.leb()):
                reader.byte()  # value type
                if reader.byte():
                    mutable[imported_globals + index] = None
                skip_constant_expression(reader)
        elif section == _EXPORT_SECTION:
            for _ in range(reader.leb()):
                name = reader.name()
                kind, index = reader.byte(), reader.leb()
                if kind == _GLOBAL_KIND and index in mutable:
                    mutable[index] = name
    return mutable


def skip_constant_expression(reader: WasmReader) -> None:
    """Move past a constant expression and its ``end`` (§5.4.9; extended constants).

    Raises
    ------
    InvalidModule
        ``malformed`` for an opcode a constant expression may not hold.
    """
    while True:
        op = reader.byte()
        if op == 0x0B:
            return
        if op not in _CONST_OPS:
            raise InvalidModule(f"unexpected opcode {op:#x} in a global initialiser", reason="malformed")
        immediate = _CONST_OPS[op]
        if immediate is None:
            reader.leb()
        else:
            reader.skip(immediate)
