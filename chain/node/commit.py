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
from chain.types.primitives import U32, Hash32, Height
from chain.types.receipts import EventRecord, Receipt, encode_event_record, encode_receipt


def commit_executed_block(
    store: StoreAPI, block: Block, receipts: Sequence[Receipt], state_writes: Mapping[bytes, bytes | None]
) -> Hash32:
    """Commit ``block`` with the receipts and writes its execution produced; returns its hash.

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
    )
    return block_hash


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
