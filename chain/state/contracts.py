"""Contract rows of the state (reference/dusk-protocol.md §4; docs/vm-abi.md, State).

A deployed contract is:

- a record ``b"cmet" ‖ contract_id`` (:class:`ContractRecord`): its owner, the hash of its
  bytecode and the BLAKE3 hash of every page of its linear memory;
- its bytecode ``b"ccod" ‖ code_hash`` (shared by every deployment of the same bytes);
- its memory pages ``b"cpag" ‖ contract_id ‖ page:u32BE``, 64 KiB each, absent when all zero;
- its memory commitment ``b"cmem" ‖ contract_id`` (the root of the page-hash tree,
  :func:`compute_memory_commitment`), which the state root covers like every row.

Record encoding::

    owner[48] ‖ code_hash[32] ‖ page_count:u32LE ‖ page_hash[32] · page_count
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from chain.crypto.hashes import blake3_256
from chain.state.exceptions import InvalidStateValue, StateDecodeError
from chain.types.codec import Reader, Writer
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import BlsPublicKey, Hash32

PAGE_BYTES: Final = 65_536
#: A wasm32 memory has at most 65,536 pages: a 4-ary tree of height 8 covers it (§4).
PAGE_TREE_HEIGHT: Final = 8
ZERO_PAGE: Final = bytes(PAGE_BYTES)
ZERO_PAGE_HASH: Final = blake3_256(ZERO_PAGE)


@dataclass(frozen=True, slots=True)
class ContractRecord:
    owner: BlsPublicKey
    """The account key that deployed the contract (its ``owner`` host function)."""
    code_hash: Hash32
    """BLAKE3 of the bytecode (the ``b"ccod"`` row)."""
    page_hashes: bytes
    """BLAKE3 of each 64 KiB page of the memory, in order, concatenated (32 bytes each): kept
    as one blob because a call compares and rewrites them all."""

    def __post_init__(self) -> None:
        if len(self.page_hashes) % 32:
            raise InvalidStateValue("page_hashes must be whole 32-byte hashes")

    @property
    def page_count(self) -> int:
        """The memory size in pages."""
        return len(self.page_hashes) // 32

    def page_hash(self, index: int) -> Hash32:
        return Hash32(self.page_hashes[32 * index : 32 * index + 32])


def encode_contract_record(record: ContractRecord) -> bytes:
    if not isinstance(record, ContractRecord):
        raise InvalidStateValue(f"expected a ContractRecord, not {type(record).__name__}")
    writer = Writer().fixed(record.owner).fixed(record.code_hash).u32(record.page_count)
    return writer.to_bytes() + record.page_hashes


def decode_contract_record(data: bytes) -> ContractRecord:
    """Raises ``StateDecodeError`` for bytes that are not exactly one record."""
    try:
        reader = Reader(data[:84])
        owner, code_hash = reader.fixed(BlsPublicKey), reader.fixed(Hash32)
        count = reader.u32()
        reader.finish()
    except ChainTypesError as exc:
        raise StateDecodeError(f"contract record: {exc}", reason=exc.reason) from exc
    if len(data) != 84 + 32 * count:
        raise StateDecodeError("contract record: wrong length for its page count", reason="invalid_value")
    return ContractRecord(owner, code_hash, bytes(data[84:]))


def compute_page_hash(page: bytes) -> Hash32:
    """BLAKE3 of one 64 KiB page."""
    return blake3_256(page)


def _empty_subtrees() -> tuple[Hash32, ...]:
    levels = [Hash32.zero()]
    for _ in range(PAGE_TREE_HEIGHT):
        levels.append(blake3_256(bytes(levels[-1]) * 4))
    return tuple(levels)


EMPTY_SUBTREES: Final = _empty_subtrees()


def compute_memory_commitment(page_hashes: bytes) -> Hash32:
    """Root of the 4-ary BLAKE3 tree of height 8 over the page hashes (concatenated, 32
    bytes each; §4): a node is BLAKE3 of its four children; positions past the memory's
    size are empty subtrees (32 zero bytes at the leaves)."""
    level = [page_hashes[i : i + 32] for i in range(0, len(page_hashes), 32)]
    for height in range(PAGE_TREE_HEIGHT):
        if not level:
            return EMPTY_SUBTREES[PAGE_TREE_HEIGHT]
        padded = level + [bytes(EMPTY_SUBTREES[height])] * (-len(level) % 4)
        level = [bytes(blake3_256(b"".join(padded[i : i + 4]))) for i in range(0, len(padded), 4)]
    return Hash32(level[0]) if level else EMPTY_SUBTREES[PAGE_TREE_HEIGHT]
