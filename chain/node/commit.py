"""Committing an executed block: the one place that turns a block, its receipts and its
state writes into a store commit (receipts by tx id, events numbered in emission order)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chain.state.abc import StoreAPI
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
