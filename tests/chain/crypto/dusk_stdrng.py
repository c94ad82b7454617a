"""Rust ``rand`` 0.8's ``StdRng::seed_from_u64`` stream, so Dusk's seeded test vectors can be
regenerated in Python (test helper only; never a source of real randomness).

``StdRng`` is ChaCha12 (rand_chacha): 32-byte key, 64-bit block counter from 0, stream id 0,
output the keystream as little-endian 32-bit words. ``seed_from_u64`` fills the key with eight
PCG32 (XSH-RR) outputs of the u64 state (rand_core ``SeedableRng::seed_from_u64``, multiplier
6364136223846793005, increment 11634580027462260723). ``JubJubScalar::random`` takes 64 bytes and
reduces them mod r_J (dusk-network/jubjub ``src/fr.rs`` at 09fde8ba03f896376dfe9b6bb3382684e06b925c).
"""

from __future__ import annotations

from chain.crypto.jubjub import R_J

_U64 = (1 << 64) - 1
_U32 = 0xFFFFFFFF


def _pcg32_key(state: int) -> bytes:
    key = b""
    for _ in range(8):
        state = (state * 6364136223846793005 + 11634580027462260723) & _U64
        xorshifted = (((state >> 18) ^ state) >> 27) & _U32
        rot = state >> 59
        key += (((xorshifted >> rot) | (xorshifted << ((32 - rot) & 31))) & _U32).to_bytes(4, "little")
    return key


def _rotl(value: int, count: int) -> int:
    return ((value << count) | (value >> (32 - count))) & _U32


def _quarter(s: list[int], a: int, b: int, c: int, d: int) -> None:
    s[a] = (s[a] + s[b]) & _U32
    s[d] = _rotl(s[d] ^ s[a], 16)
    s[c] = (s[c] + s[d]) & _U32
    s[b] = _rotl(s[b] ^ s[c], 12)
    s[a] = (s[a] + s[b]) & _U32
    s[d] = _rotl(s[d] ^ s[a], 8)
    s[c] = (s[c] + s[d]) & _U32
    s[b] = _rotl(s[b] ^ s[c], 7)


def _chacha12_block(key: bytes, counter: int) -> bytes:
    words = [int.from_bytes(key[i : i + 4], "little") for i in range(0, 32, 4)]
    initial = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574, *words, counter & _U32, counter >> 32, 0, 0]
    s = list(initial)
    for _ in range(6):  # 12 rounds
        _quarter(s, 0, 4, 8, 12)
        _quarter(s, 1, 5, 9, 13)
        _quarter(s, 2, 6, 10, 14)
        _quarter(s, 3, 7, 11, 15)
        _quarter(s, 0, 5, 10, 15)
        _quarter(s, 1, 6, 11, 12)
        _quarter(s, 2, 7, 8, 13)
        _quarter(s, 3, 4, 9, 14)
    return b"".join(((x + y) & _U32).to_bytes(4, "little") for x, y in zip(s, initial, strict=True))


class StdRng:
    """``StdRng::seed_from_u64(seed)``; calling it with ``n`` returns the next ``n`` bytes
    (``fill_bytes``; requests here are whole 32-bit words, as Dusk's are)."""

    def __init__(self, seed: int) -> None:
        self._key = _pcg32_key(seed)
        self._buffer = b""
        self._counter = 0

    def __call__(self, n: int) -> bytes:
        while len(self._buffer) < n:
            self._buffer += _chacha12_block(self._key, self._counter)
            self._counter += 1
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    def scalar(self) -> int:
        """``JubJubScalar::random(&mut rng)``."""
        return int.from_bytes(self(64), "little") % R_J
