"""The note tree and the nullifier set over RPC (docs/zk.md "Note tree", "Nullifier set"): a
node whose blocks ran contract calls that ``note_push`` leaves and ``nullifier_spend``
nullifiers answers ``get_note_tree``, ``get_note_opening`` and ``get_nullifiers`` from its head
state, and ``chain.node.client`` turns the answers into dataclasses (openings that verify,
spent flags with the spending block's height)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from chain.crypto import bls12_381 as bls
from chain.crypto.poseidon import MODULUS, merkle4_hash
from chain.node.client import (
    NodeClient,
    NoteOpeningInfo,
    NoteTreeInfo,
    NullifierInfo,
    RpcError,
    verify_note_opening,
)
from chain.node.node import ChainNode
from chain.node.rpc import RpcServer
from chain.state.memory import MemoryStore
from chain.types.primitives import U64, Timestamp
from chain.types.transactions import Call, Deploy, encode_transaction
from chain.vm.ids import compute_contract_id
from tests.chain.helpers import GENESIS_TIME, genesis, keypair, transfer
from tests.chain.vm.test_note_tree_host import NOTES
from tests.chain.vm.wat import wasm

ALICE = keypair("notes-alice")
LEAVES = [101, 202, 303, 404]
#: Spent by the fixture's last block, the one after the pushes.
SPENT = [707, 808]


def reference_root(leaves: list[int]) -> str:
    def node(level: int, index: int) -> int:
        if index * 4**level >= len(leaves):
            return 0
        if level == 0:
            return leaves[index]
        return merkle4_hash([node(level - 1, 4 * index + j) for j in range(4)])

    return "0x" + node(17, 0).to_bytes(32, "little").hex()


def leaf_hex(value: int) -> str:
    return "0x" + value.to_bytes(32, "little").hex()


@pytest.fixture(scope="module")
def node() -> ChainNode:
    """Genesis, a deploy of the note-pushing contract, then blocks pushing 3 leaves and 1, then
    a block spending the nullifiers ``SPENT``."""
    chain = ChainNode(
        store=MemoryStore(), genesis=genesis({ALICE.public: 10**15}), generator_key=bls.KeyGen(b"n" * 32)
    )
    bytecode = wasm(NOTES)
    deploy = Deploy(bytecode, ALICE.public, None, U64(0))
    contract = compute_contract_id(bytecode, 0, ALICE.public)
    pushes = [
        b"".join(v.to_bytes(32, "little") for v in LEAVES[:3]),
        LEAVES[3].to_bytes(32, "little"),
    ]
    spend = len(SPENT).to_bytes(4, "little") + b"".join(v.to_bytes(32, "little") for v in SPENT)
    steps: list[Any] = [
        deploy,
        *(Call(contract, "push", args) for args in pushes),
        Call(contract, "spend", spend),
    ]
    for nonce, data in enumerate(steps, start=1):
        tx = transfer(
            ALICE, ALICE.public, value=0, nonce=nonce, gas_limit=60_000_000, gas_price=2000, data=data
        )
        chain.submit_transaction(encode_transaction(tx), now=GENESIS_TIME + nonce)
        assert chain.produce_block(now=Timestamp(GENESIS_TIME + 5 * nonce)) is not None
    return chain


def rpc(node: ChainNode, calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    async def scenario() -> list[dict[str, Any]]:
        server = RpcServer(node, block_interval=600)
        replies = []
        async with TestClient(TestServer(server.make_app())) as client:
            for method, params in calls:
                body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
                response = await client.post("/rpc", json=body)
                replies.append(json.loads(await response.text()))
        return replies

    return asyncio.run(scenario())


def test_get_note_tree_reports_the_head_tree(node):
    (reply,) = rpc(node, [("get_note_tree", {})])
    result = reply["result"]
    assert result == {
        "root": reference_root(LEAVES),
        "size": 4,
        "height": int(node.head_header.height),
        "depth": 17,
        "arity": 4,
    }


def test_get_note_opening_serves_verifiable_paths(node):
    replies = rpc(node, [("get_note_opening", {"position": p}) for p in range(4)])
    root = reference_root(LEAVES)
    for position, reply in enumerate(replies):
        result = reply["result"]
        assert result["position"] == position
        assert result["leaf"] == leaf_hex(LEAVES[position])
        assert result["root"] == root
        assert result["digits"] == [position] + [0] * 16
        assert len(result["siblings"]) == 17
        assert all(len(level) == 3 for level in result["siblings"])
    # leaf 2's level-0 siblings are leaves 0, 1 and 3
    assert replies[2]["result"]["siblings"][0] == [leaf_hex(101), leaf_hex(202), leaf_hex(404)]


@pytest.mark.parametrize(
    ("params", "code", "reason"),
    [
        ({"position": 4}, -32000, "position_not_found"),
        ({"position": 10**9}, -32000, "position_not_found"),
        ({"position": -1}, -32602, "invalid_params"),
        ({"position": "1"}, -32602, "invalid_params"),
        ({}, -32602, "invalid_params"),
    ],
)
def test_invalid_opening_requests_get_typed_errors(node, params, code, reason):
    (reply,) = rpc(node, [("get_note_opening", params)])
    assert reply["error"]["code"] == code
    assert reply["error"]["data"]["reason"] == reason


def test_the_client_returns_dataclasses_whose_openings_verify(node):
    async def scenario() -> tuple[NoteTreeInfo, NoteOpeningInfo, RpcError]:
        server = RpcServer(node, block_interval=600)
        async with TestServer(server.make_app(), host="127.0.0.1") as test_server:
            url = str(test_server.make_url("")).rstrip("/")

            def use_client() -> tuple[NoteTreeInfo, NoteOpeningInfo, RpcError]:
                with NodeClient([url], timeout=5, attempts=1) as client:
                    tree = client.get_note_tree()
                    opening = client.get_note_opening(3)
                    try:
                        client.get_note_opening(9)
                    except RpcError as exc:
                        return tree, opening, exc
                    raise AssertionError("position 9 is not in the tree")

            return await asyncio.to_thread(use_client)

    tree, info, missing = asyncio.run(scenario())
    assert tree == NoteTreeInfo(reference_root(LEAVES), 4, int(node.head_header.height), 17, 4)
    assert info.position == 3
    assert info.leaf == leaf_hex(404)
    assert info.root == tree.root
    assert verify_note_opening(tree.root, info.leaf, 3, info.opening)
    assert not verify_note_opening(tree.root, leaf_hex(405), 3, info.opening)
    assert not verify_note_opening(tree.root, info.leaf, 2, info.opening)
    assert not verify_note_opening(reference_root(LEAVES[:3]), info.leaf, 3, info.opening)
    assert not verify_note_opening("0xzz", info.leaf, 3, info.opening)
    assert missing.reason == "position_not_found"


def test_get_nullifiers_reports_spent_and_unspent_at_the_head(node):
    head = int(node.head_header.height)
    asked = [leaf_hex(SPENT[1]), leaf_hex(999), leaf_hex(SPENT[0])]
    (reply,) = rpc(node, [("get_nullifiers", {"nullifiers": asked})])
    assert reply["result"] == {
        "height": head,
        "nullifiers": [
            {"nullifier": asked[0], "spent": True, "spent_height": head},
            {"nullifier": asked[1], "spent": False, "spent_height": None},
            {"nullifier": asked[2], "spent": True, "spent_height": head},
        ],
    }


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"nullifiers": [leaf_hex(MODULUS)]}, "invalid_nullifier"),
        ({"nullifiers": ["0x" + "00" * 31]}, "invalid_nullifier"),
        ({"nullifiers": ["zz"]}, "invalid_nullifier"),
        ({"nullifiers": [7]}, "invalid_nullifier"),
        ({"nullifiers": []}, "invalid_params"),
        ({"nullifiers": [leaf_hex(1)] * 65}, "invalid_params"),
        ({"nullifiers": leaf_hex(1)}, "invalid_params"),
        ({}, "invalid_params"),
    ],
)
def test_invalid_nullifier_requests_get_typed_errors(node, params, reason):
    (reply,) = rpc(node, [("get_nullifiers", params)])
    assert reply["error"]["code"] == -32602
    assert reply["error"]["data"]["reason"] == reason


def test_the_client_reports_nullifiers_as_dataclasses(node):
    async def scenario() -> tuple[list[NullifierInfo], RpcError]:
        server = RpcServer(node, block_interval=600)
        async with TestServer(server.make_app(), host="127.0.0.1") as test_server:
            url = str(test_server.make_url("")).rstrip("/")

            def use_client() -> tuple[list[NullifierInfo], RpcError]:
                with NodeClient([url], timeout=5, attempts=1) as client:
                    answers = client.nullifiers_spent([leaf_hex(SPENT[0]), leaf_hex(1)])
                    try:
                        client.nullifiers_spent([leaf_hex(MODULUS + 1)])
                    except RpcError as exc:
                        return answers, exc
                    raise AssertionError("a value >= r is not a nullifier")

            return await asyncio.to_thread(use_client)

    answers, refused = asyncio.run(scenario())
    head = int(node.head_header.height)
    assert answers == [
        NullifierInfo(leaf_hex(SPENT[0]), True, head, head),
        NullifierInfo(leaf_hex(1), False, None, head),
    ]
    assert refused.reason == "invalid_nullifier"
