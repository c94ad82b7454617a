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
