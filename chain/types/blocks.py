"""Block headers and blocks (reference/dusk-protocol.md §2.1), Gloam sizes (DESIGN.md):
generator key 48 B (G1), seed and signatures 96 B (G2).

Header layout, in hashed order, integers little-endian::

    version:u8 ‖ height:u64 ‖ timestamp:u64 ‖ prev_block_hash[32] ‖ seed[96]
    ‖ state_root[32] ‖ event_bloom[256] ‖ generator[48] ‖ tx_root[32] ‖ fault_root[32]
    ‖ gas_limit:u64 ‖ iteration:u8 ‖ prev_block_cert ‖ failed_iterations

then, not hashed, ``signature[96]`` (the generator's signature over the block hash).
``failed_iterations`` is ``count:u8`` and per entry ``0`` or ``1 ‖ attestation ‖ pk[48]``.
A block is ``header ‖ tx_count:u32 ‖ (len:u32 ‖ tx)* ‖ fault_count:u32 ‖ (len:u32 ‖ fault)*``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from chain.types.codec import Reader, Writer
from chain.types.consensus import Attestation, decode_attestation, encode_attestation
from chain.types.exceptions import DecodeError, OutOfRange
from chain.types.primitives import (
    U8,
    Bloom,
    BlsPublicKey,
    BlsSignature,
    Gas,
    Hash32,
    Height,
    Iteration,
    Seed,
    Timestamp,
)
from chain.types.transactions import (
    MAX_TRANSACTION_BYTES,
    Transaction,
    decode_transaction,
    encode_transaction,
)

T = TypeVar("T")

HEADER_VERSION: Final = 1
#: Limits of reference §1.4: blocks ≤ 1 MiB, ≤ 1,000 transactions, ≤ 100 faults.
MAX_BLOCK_BYTES: Final = 1024 * 1024
MAX_BLOCK_TRANSACTIONS: Final = 1000
MAX_BLOCK_FAULTS: Final = 100
MAX_FAULT_BYTES: Final = 4096
#: At most 50 iterations per round (reference §1.4).
MAX_FAILED_ITERATIONS: Final = 50


@dataclass(frozen=True, slots=True)
class FailedIteration:
    """A failed iteration's attestation and its generator (reference §2.1)."""

    attestation: Attestation
    generator: BlsPublicKey


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """The fields of reference §2.1. ``signature`` is excluded from the block hash."""

    version: U8
    height: Height
    timestamp: Timestamp
    prev_block_hash: Hash32
    seed: Seed
    state_root: Hash32
    event_bloom: Bloom
    generator: BlsPublicKey
    tx_root: Hash32
    fault_root: Hash32
    gas_limit: Gas
    iteration: Iteration
    prev_block_cert: Attestation
    failed_iterations: tuple[FailedIteration | None, ...]
    signature: BlsSignature


@dataclass(frozen=True, slots=True)
class Fault:
    """Evidence of a provisioner fault (reference §1.8); its rules arrive with consensus."""

    kind: U8
    evidence: bytes


@dataclass(frozen=True, slots=True)
class Block:
    header: BlockHeader
    transactions: tuple[Transaction, ...]
    faults: tuple[Fault, ...] = ()


def encode_header_hashed_fields(header: BlockHeader) -> bytes:
    """The bytes the block hash is computed over (everything but ``signature``)."""
    writer = Writer()
    writer.uint(header.version).uint(header.height).uint(header.timestamp)
    writer.fixed(header.prev_block_hash).fixed(header.seed).fixed(header.state_root)
    writer.fixed(header.event_bloom).fixed(header.generator).fixed(header.tx_root)
    writer.fixed(header.fault_root).uint(header.gas_limit).uint(header.iteration)
    encode_attestation(writer, header.prev_block_cert)
    if len(header.failed_iterations) > MAX_FAILED_ITERATIONS:
        raise OutOfRange(f"{len(header.failed_iterations)} failed iterations exceed {MAX_FAILED_ITERATIONS}")
    writer.u8(len(header.failed_iterations))
    for entry in header.failed_iterations:
        if entry is None:
            writer.u8(0)
        else:
            writer.u8(1)
            encode_attestation(writer, entry.attestation)
            writer.fixed(entry.generator)
    return writer.to_bytes()


def encode_header(header: BlockHeader) -> bytes:
    return encode_header_hashed_fields(header) + bytes(header.signature)


def _decode_header_from(reader: Reader) -> BlockHeader:
    version = reader.uint(U8)
    if version != HEADER_VERSION:
        raise DecodeError(f"unknown header version {version}", reason="unknown_tag")
    height, timestamp = reader.uint(Height), reader.uint(Timestamp)
    prev_hash, seed, state_root = reader.fixed(Hash32), reader.fixed(Seed), reader.fixed(Hash32)
    bloom, generator = reader.fixed(Bloom), reader.fixed(BlsPublicKey)
    tx_root, fault_root = reader.fixed(Hash32), reader.fixed(Hash32)
    gas_limit, iteration = reader.uint(Gas), reader.uint(Iteration)
    prev_cert = decode_attestation(reader)
    count = reader.u8()
    if count > MAX_FAILED_ITERATIONS:
        raise DecodeError(f"{count} failed iterations exceed {MAX_FAILED_ITERATIONS}", reason="out_of_range")
    failed: list[FailedIteration | None] = []
    for _ in range(count):
        flag = reader.u8()
        if flag == 0:
            failed.append(None)
        elif flag == 1:
            failed.append(FailedIteration(decode_attestation(reader), reader.fixed(BlsPublicKey)))
        else:
            raise DecodeError(f"unknown failed-iteration flag {flag}", reason="unknown_tag")
    return BlockHeader(
        version,
        height,
        timestamp,
        prev_hash,
        seed,
        state_root,
        bloom,
        generator,
        tx_root,
        fault_root,
        gas_limit,
        iteration,
        prev_cert,
        tuple(failed),
        reader.fixed(BlsSignature),
    )


def decode_header(data: bytes) -> BlockHeader:
    reader = Reader(data)
    header = _guard(lambda: _decode_header_from(reader))
    reader.finish()
    return header


def encode_block(block: Block) -> bytes:
    """Canonical bytes of ``block``; raises ``OutOfRange`` beyond the §1.4 limits."""
    if len(block.transactions) > MAX_BLOCK_TRANSACTIONS:
        raise OutOfRange(f"{len(block.transactions)} transactions exceed {MAX_BLOCK_TRANSACTIONS}")
    if len(block.faults) > MAX_BLOCK_FAULTS:
        raise OutOfRange(f"{len(block.faults)} faults exceed {MAX_BLOCK_FAULTS}")
    writer = Writer().raw(encode_header(block.header))
    writer.u32(len(block.transactions))
    for tx in block.transactions:
        writer.var_bytes(encode_transaction(tx), max_length=MAX_TRANSACTION_BYTES)
    writer.u32(len(block.faults))
    for fault in block.faults:
        writer.uint(fault.kind).var_bytes(fault.evidence, max_length=MAX_FAULT_BYTES)
    encoded = writer.to_bytes()
    if len(encoded) > MAX_BLOCK_BYTES:
        raise OutOfRange(f"block of {len(encoded)} bytes exceeds {MAX_BLOCK_BYTES}")
    return encoded


def decode_block(data: bytes) -> Block:
    """Decode exactly one block.

    Raises
    ------
    DecodeError
        ``short_input``, ``trailing_bytes``, ``unknown_tag``, ``out_of_range`` or
        ``invalid_value`` (also for more than ``MAX_BLOCK_BYTES``).
    """
    if len(data) > MAX_BLOCK_BYTES:
        raise DecodeError(f"{len(data)} bytes exceed {MAX_BLOCK_BYTES}", reason="out_of_range")
    reader = Reader(data)

    def read() -> Block:
        header = _decode_header_from(reader)
        tx_count = reader.u32()
        if tx_count > MAX_BLOCK_TRANSACTIONS:
            raise DecodeError(f"{tx_count} transactions exceed the limit", reason="out_of_range")
        txs = tuple(
            decode_transaction(reader.var_bytes(max_length=MAX_TRANSACTION_BYTES)) for _ in range(tx_count)
        )
        fault_count = reader.u32()
        if fault_count > MAX_BLOCK_FAULTS:
            raise DecodeError(f"{fault_count} faults exceed the limit", reason="out_of_range")
        faults = tuple(
            Fault(reader.uint(U8), reader.var_bytes(max_length=MAX_FAULT_BYTES)) for _ in range(fault_count)
        )
        return Block(header, txs, faults)

    block = _guard(read)
    reader.finish()
    return block


def _guard(read: Callable[[], T]) -> T:
    try:
        return read()
    except OutOfRange as exc:
        raise DecodeError(str(exc), reason="out_of_range") from exc
