"""Committing an executed block: the one place that turns a block, its receipts and its
state writes into a store commit (receipts by tx id, events numbered in emission order);
and committing a genesis."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chain.state.abc import StoreAPI
from chain.state.state import State
from chain.transition.genesis import GenesisConfig, apply_genesis
from chain.transition.roots import compute_block_hash
from chain.types.blocks import Block, encode_block
from chain.types.codec import Reader, Writer
from chain.types.consensus import Attestation, decode_attestation, encode_attestation
from chain.types.exceptions import ChainTypesError
from chain.types.primitives import U32, Hash32, Height
from chain.types.receipts import EventRecord, Receipt, encode_event_record, encode_receipt


def commit_executed_block(
    store: StoreAPI,
    block: Block,
    receipts: Sequence[Receipt],
    state_writes: Mapping[bytes, bytes | None],
    *,
    attestation: Attestation | None = None,
) -> Hash32:
    """Commit ``block`` with the receipts and writes its execution produced, and the
    ``attestation`` that decided it (kept as the store's head attestation, so that a node
    restarted with this block as its tip can still propose the next block, whose header
    carries it: reference §1.6); returns its hash.

    Raises what ``StoreAPI.commit_block`` raises; nothing is written then.
    """
    block_hash = compute_block_hash(block.header)
    records = [
        encode_event_record(EventRecord(block.header.height, U32(index), receipt.tx_id, event))
        for index, receipt in enumerate(receipts)
        for event in receipt.events
    ]
    store.commit_block(
        height=Height(block.header.height),
        block_hash=block_hash,
        block_bytes=encode_block(block),
        state_writes=state_writes,
        receipts=[(r.tx_id, encode_receipt(r)) for r in receipts],
        events=records,
        state_root=block.header.state_root,
        head_attestation=b"" if attestation is None else encode_attestation_bytes(attestation),
    )
    return block_hash


def encode_attestation_bytes(attestation: Attestation) -> bytes:
    """The attestation's fixed-layout encoding (reference §1.6)."""
    writer = Writer()
    encode_attestation(writer, attestation)
    return writer.to_bytes()


def get_head_attestation(store: StoreAPI) -> Attestation | None:
    """The attestation committed with the store's head block, or ``None`` (none stored, or
    bytes that do not decode: the node then waits for a quorum message or the next block)."""
    raw = store.get_head_attestation()
    if not raw:
        return None
    try:
        reader = Reader(raw)
        attestation = decode_attestation(reader)
        reader.finish()
    except ChainTypesError:
        return None
    return attestation


def commit_genesis(store: StoreAPI, config: GenesisConfig) -> Block:
    """Apply ``config`` to the empty ``store`` and commit the genesis block; returns it.

    Raises ``InvalidGenesis`` (e.g. a genesis contract that cannot deploy) or what
    ``StoreAPI.commit_block`` raises; nothing is written then.
    """
    with store.read_view() as view:
        state = State(view)
        block = apply_genesis(state, config)
        writes = state.pending_writes()
    commit_executed_block(store, block, (), writes)
    return block
