"""Hash functions of the chain (DESIGN.md, Chain decisions: Hashes).

- SHA3-256: block hashes, Merkle roots, sortition, fault digests (reference §1.2, §2.1).
- BLAKE2b-256: identifiers (transaction ids, contract ids; reference §2.4).
- BLAKE3: VM memory pages and the event bloom (reference §2.1, §4).
"""

from __future__ import annotations

import hashlib

import blake3 as _blake3

from chain.types.primitives import Hash32


def sha3_256(data: bytes) -> Hash32:
    """SHA3-256 (FIPS 202) of ``data``: 32 bytes."""
    return Hash32(hashlib.sha3_256(data).digest())


def blake2b_256(data: bytes) -> Hash32:
    """BLAKE2b with a 32-byte digest (RFC 7693) of ``data``."""
    return Hash32(hashlib.blake2b(data, digest_size=32).digest())


def blake3_256(data: bytes) -> Hash32:
    """BLAKE3 of ``data`` with the default 32-byte output."""
    return Hash32(_blake3.blake3(data).digest())
