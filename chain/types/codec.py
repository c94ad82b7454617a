"""Byte-exact, fixed-layout encoding helpers: little-endian integers, fixed byte strings and
length-prefixed variable byte strings (DESIGN.md, Chain decisions: Encoding).

``Writer`` appends; ``Reader`` consumes and raises :class:`DecodeError` on short input,
and :meth:`Reader.finish` rejects trailing bytes.
"""

from __future__ import annotations

from typing import TypeVar

from chain.types.exceptions import DecodeError, OutOfRange
from chain.types.primitives import FixedBytes, Uint

U = TypeVar("U", bound=Uint)
F = TypeVar("F", bound=FixedBytes)


class Writer:
    """Accumulates an encoding."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def uint(self, value: Uint) -> Writer:
        self._buffer += int(value).to_bytes(type(value).BITS // 8, "little")
        return self

    def u8(self, value: int) -> Writer:
        self._buffer.append(value)
        return self

    def u32(self, value: int) -> Writer:
        self._buffer += value.to_bytes(4, "little")
        return self

    def fixed(self, value: FixedBytes) -> Writer:
        self._buffer += value
        return self

    def var_bytes(self, value: bytes, *, max_length: int) -> Writer:
        """``len:u32 ‖ bytes``; rejects more than ``max_length`` bytes."""
        if len(value) > max_length:
            raise OutOfRange(f"{len(value)} bytes exceed the maximum of {max_length}")
        self.u32(len(value))
        self._buffer += value
        return self

    def raw(self, value: bytes) -> Writer:
        self._buffer += value
        return self

    def to_bytes(self) -> bytes:
        return bytes(self._buffer)


class Reader:
    """Consumes an encoding from the front."""

    def __init__(self, data: bytes) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise DecodeError("input must be bytes", reason="invalid_value")
        self._data = memoryview(bytes(data))
        self._offset = 0

    def take(self, length: int) -> bytes:
        end = self._offset + length
        if end > len(self._data):
            raise DecodeError(
                f"short input: needed {length} bytes at offset {self._offset}, "
                f"{len(self._data) - self._offset} left",
                reason="short_input",
            )
        chunk = bytes(self._data[self._offset : end])
        self._offset = end
        return chunk

    def uint(self, kind: type[U]) -> U:
        raw = self.take(kind.BITS // 8)
        return kind(int.from_bytes(raw, "little"))

    def u8(self) -> int:
        return self.take(1)[0]

    def u32(self) -> int:
        return int.from_bytes(self.take(4), "little")

    def fixed(self, kind: type[F]) -> F:
        return kind(self.take(kind.LENGTH))

    def var_bytes(self, *, max_length: int) -> bytes:
        length = self.u32()
        if length > max_length:
            raise DecodeError(f"length {length} exceeds the maximum of {max_length}", reason="out_of_range")
        return self.take(length)

    def finish(self) -> None:
        """Raise ``DecodeError(reason="trailing_bytes")`` unless all input was consumed."""
        left = len(self._data) - self._offset
        if left:
            raise DecodeError(f"{left} trailing bytes", reason="trailing_bytes")

    @property
    def remaining(self) -> int:
        return len(self._data) - self._offset
