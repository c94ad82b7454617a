"""Newtypes for every quantity on chain: fixed-width integers and fixed-length byte strings.

Each constructor validates its input and raises :class:`~chain.types.exceptions.OutOfRange`.
Units: ``Lux`` is the base unit of the native token (1 DUSK-equivalent = 10^9 Lux,
reference/dusk-protocol.md preamble); ``Timestamp`` is seconds since the Unix epoch;
``Gas`` counts VM fuel units.
"""

from __future__ import annotations

from typing import ClassVar, Self

from chain.types.exceptions import OutOfRange


class Uint(int):
    """An unsigned integer of ``BITS`` bits."""

    BITS: ClassVar[int] = 64

    def __new__(cls, value: int) -> Self:
        if isinstance(value, bool) or not isinstance(value, int):
            raise OutOfRange(f"{cls.__name__} must be an int, not {type(value).__name__}")
        if not 0 <= value < (1 << cls.BITS):
            raise OutOfRange(f"{cls.__name__} {value} is outside [0, 2^{cls.BITS})")
        return super().__new__(cls, value)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self)})"


class U8(Uint):
    BITS = 8


class U16(Uint):
    BITS = 16


class U32(Uint):
    BITS = 32


class U64(Uint):
    BITS = 64


class Height(U64):
    """Block height; genesis is 0."""


class Timestamp(U64):
    """Seconds since the Unix epoch (UTC)."""


class Lux(U64):
    """Amount of the native token in its base unit (10^-9 of one unit)."""


class Gas(U64):
    """Units of VM fuel."""


class Nonce(U64):
    """An account's transaction counter: the next transaction carries stored + 1."""


class Iteration(U8):
    """Consensus iteration within a round (reference §1.4)."""


class ChainId(U8):
    """Network identifier signed into every transaction (reference §2.2)."""


class FixedBytes(bytes):
    """A byte string of exactly ``LENGTH`` bytes."""

    LENGTH: ClassVar[int] = 32

    def __new__(cls, value: bytes) -> Self:
        if not isinstance(value, bytes | bytearray | memoryview):
            raise OutOfRange(f"{cls.__name__} must be bytes, not {type(value).__name__}")
        raw = bytes(value)
        if len(raw) != cls.LENGTH:
            raise OutOfRange(f"{cls.__name__} must be {cls.LENGTH} bytes, got {len(raw)}")
        return super().__new__(cls, raw)

    @classmethod
    def zero(cls) -> Self:
        return cls(bytes(cls.LENGTH))

    @classmethod
    def from_hex(cls, text: str) -> Self:
        try:
            return cls(bytes.fromhex(text.removeprefix("0x")))
        except ValueError as exc:
            raise OutOfRange(f"{cls.__name__}: not hex: {exc}") from exc

    def __repr__(self) -> str:
        return f"{type(self).__name__}(0x{self.hex()})"


class Bytes32(FixedBytes):
    LENGTH = 32


class Bytes48(FixedBytes):
    LENGTH = 48


class Bytes96(FixedBytes):
    LENGTH = 96


class Bytes256(FixedBytes):
    LENGTH = 256


class Hash32(Bytes32):
    """A 32-byte digest (SHA3-256 for blocks and roots, BLAKE2b-256 for ids)."""


class ContractId(Bytes32):
    """BLAKE2b-256(bytecode ‖ nonce:u64LE ‖ owner) (reference §2.4)."""


class BlsPublicKey(Bytes48):
    """Compressed G1 point: the IETF ``minimal-pubkey-size`` ciphersuite (DESIGN.md)."""


class BlsSignature(Bytes96):
    """Compressed G2 point: the IETF ``minimal-pubkey-size`` ciphersuite (DESIGN.md)."""


class BlsSecretKey(Bytes32):
    """A BLS secret scalar, big-endian, as the IETF draft serialises it. Never logged."""

    def __repr__(self) -> str:
        return "BlsSecretKey(<redacted>)"


class Seed(Bytes96):
    """Block seed: the generator's BLS signature over the previous seed (reference §1.2)."""


class Bloom(Bytes256):
    """A 2,048-bit event bloom filter (reference §2.1)."""
