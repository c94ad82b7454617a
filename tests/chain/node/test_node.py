"""ChainNode opening a store (in memory)."""

from __future__ import annotations

import pytest

from chain.node.exceptions import NodeError
from chain.node.node import ChainNode
from chain.state.memory import MemoryStore
from tests.chain.helpers import genesis, keypair

ALICE = keypair("node-alice")


def test_reopening_with_the_same_genesis_is_accepted():
    store = MemoryStore()
    first = ChainNode(store=store, genesis=genesis({ALICE.public: 100}))
    again = ChainNode(store=store, genesis=genesis({ALICE.public: 100}))
    assert again.head_hash == first.head_hash


def test_invalid_reopening_with_another_genesis():
    store = MemoryStore()
    ChainNode(store=store, genesis=genesis({ALICE.public: 100}))
    with pytest.raises(NodeError) as error:
        ChainNode(store=store, genesis=genesis({ALICE.public: 101}))
    assert error.value.reason == "genesis_mismatch"


def test_single_authority_blocks_are_final_and_leave_no_undo_records():
    from chain.crypto import bls12_381 as bls
    from chain.node.client import sign_transfer
    from chain.node.node import ChainNode, Finality
    from chain.state.memory import MemoryStore
    from chain.types.primitives import Height, Timestamp
    from tests.chain.helpers import CHAIN_ID, GENESIS_TIME, genesis, keypair

    alice, bob = keypair("undo-alice"), keypair("undo-bob")
    node = ChainNode(
        store=MemoryStore(), genesis=genesis({alice.public: 10**12}), generator_key=bls.KeyGen(b"u" * 32)
    )
    _, raw = sign_transfer(
        secret_key=alice.secret, chain_id=CHAIN_ID, receiver="0x" + bob.public.hex(), value=5, nonce=1
    )
    node.submit_transaction(raw, now=GENESIS_TIME)
    produced = node.produce_block(now=Timestamp(GENESIS_TIME + 5))
    assert produced is not None
    assert node.finality_of(Height(1)) is Finality.FINAL
    assert node.store.undo_floor() == 2
