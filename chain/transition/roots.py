"""Hashes, identifiers and roots of blocks and transactions (reference §2.1, §2.4).

- block hash = SHA3-256 of the header's hashed fields (signature excluded);
- transaction id = BLAKE2b-256 of the signed bytes (DESIGN.md: BLAKE2b for ids);
- tx root / fault root = binary SHA3-256 Merkle tree over the leaves' SHA3 hashes, an empty
  right child repeating the left, the root of the smallest covering subtree; no leaves gives
  32 zero bytes (reference §2.1);
- event bloom = 2,048 bits; each event adds BLAKE3(source ‖ topic) and
  BLAKE3(source ‖ topic ‖ data), each setting 3 bits taken from the byte pairs (0, 1),
  (2, 3), (4, 5) of the hash, read big-endian, low 11 bits (reference §2.1; the byte order
  of a pair is not given there: Gloam reads it big-endian, as Ethereum's bloom does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from chain.crypto.hashes import blake2b_256, blake3_256, sha3_256
from chain.types.blocks import BlockHeader, Fault, encode_header_hashed_fields
from chain.types.codec import Writer
from chain.types.primitives import U8, Bloom, Hash32
from chain.types.receipts import Event
from chain.types.transactions import Transaction, compute_signing_bytes, encode_transaction

BLOOM_BITS = 2048


def compute_block_hash(header: BlockHeader) -> Hash32:
    """SHA3-256 over the header's hashed fields (reference §2.1)."""
    return sha3_256(encode_header_hashed_fields(header))


def compute_transaction_id(tx: Transaction) -> Hash32:
    """BLAKE2b-256 of the signed bytes: the id receipts and the RPC use."""
    return blake2b_256(compute_signing_bytes(tx))


def compute_merkle_root(leaves: Sequence[Hash32]) -> Hash32:
    """Binary SHA3-256 Merkle root over ``leaves`` (already hashed), reference §2.1."""
    if not leaves:
        return Hash32.zero()
    level = list(leaves)
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        level = [sha3_256(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def compute_tx_root(transactions: Iterable[Transaction]) -> Hash32:
    return compute_merkle_root([sha3_256(encode_transaction(tx)) for tx in transactions])


def compute_fault_leaf(fault: Fault) -> Hash32:
    """SHA3-256 of ``kind ‖ evidence``: the fault's digest (reference §1.8) and its leaf."""
    return sha3_256(Writer().uint(U8(fault.kind)).raw(fault.evidence).to_bytes())


def compute_fault_root(faults: Iterable[Fault]) -> Hash32:
    return compute_merkle_root([compute_fault_leaf(fault) for fault in faults])


def _set_bits(bloom: bytearray, digest: bytes) -> None:
    for i in (0, 2, 4):
        bit = int.from_bytes(digest[i : i + 2], "big") & (BLOOM_BITS - 1)
        bloom[bit // 8] |= 1 << (bit % 8)


def compute_event_bloom(events: Iterable[Event]) -> Bloom:
    """The 2,048-bit bloom of ``events`` (reference §2.1)."""
    bloom = bytearray(BLOOM_BITS // 8)
    for event in events:
        prefix = bytes(event.source) + event.topic.encode("ascii")
        _set_bits(bloom, blake3_256(prefix))
        _set_bits(bloom, blake3_256(prefix + event.data))
    return Bloom(bytes(bloom))


def is_in_bloom(bloom: Bloom, event: Event) -> bool:
    """True if ``event`` may be in the block whose bloom is ``bloom`` (no false negatives)."""
    probe = compute_event_bloom([event])
    return all((b & p) == p for b, p in zip(bloom, probe, strict=True))
