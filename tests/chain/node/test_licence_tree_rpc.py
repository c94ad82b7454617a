"""The Citadel licence tree over RPC (docs/zk.md "Citadel on chain"): a node whose blocks ran
contract calls that ``licence_push`` leaves and ``licence_revoke`` one answers
``get_licence_tree`` and ``get_licence_opening`` from its head state, and
``chain.node.client`` turns the answers into dataclasses whose openings verify (a revoked
position serves its 0 leaf, flagged ``revoked``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from chain.crypto import bls12_381 as bls
from chain.crypto.poseidon import merkle4_hash
from chain.node.client import (
    LicenceOpeningInfo,
    LicenceTreeInfo,
    NodeClient,
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
from tests.chain.vm.test_licence_tree_host import LICENCES
from tests.chain.vm.wat import wasm

ALICE = keypair("licences-alice")
LEAVES = [111, 222, 333]
REVOKED = 1


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


AFTER = [0 if i == REVOKED else v for i, v in enumerate(LEAVES)]


@pytest.fixture(scope="module")
def node() -> tuple[ChainNode, int]:
    """Genesis, a deploy of the licence-pushing contract (no licence authority: any contract
    may), one block per pushed leaf, then a block revoking position ``REVOKED``. Returns the
    node and the revoking block's height."""
    chain = ChainNode(
        store=MemoryStore(), genesis=genesis({ALICE.public: 10**15}), generator_key=bls.KeyGen(b"l" * 32)
    )
    bytecode = wasm(LICENCES)
    contract = compute_contract_id(bytecode, 0, ALICE.public)
    steps: list[Any] = [
        Deploy(bytecode, ALICE.public, None, U64(0)),
        *(Call(contract, "push", v.to_bytes(32, "little")) for v in LEAVES),
        Call(contract, "revoke", REVOKED.to_bytes(8, "little")),
    ]
    for nonce, data in enumerate(steps, start=1):
        tx = transfer(
            ALICE, ALICE.public, value=0, nonce=nonce, gas_limit=60_000_000, gas_price=2000, data=data
        )
        chain.submit_transaction(encode_transaction(tx), now=GENESIS_TIME + nonce)
        assert chain.produce_block(now=Timestamp(GENESIS_TIME + 5 * nonce)) is not None
    return chain, int(chain.head_header.height)


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


def test_get_licence_tree_reports_the_head_tree_and_the_last_revocation(node):
    chain, revoked_at = node
    (reply,) = rpc(chain, [("get_licence_tree", {})])
    assert reply["result"] == {
        "root": reference_root(AFTER),
        "size": 3,
        "height": int(chain.head_header.height),
        "depth": 17,
        "arity": 4,
        "last_revocation": revoked_at,
    }
    assert reference_root(AFTER) != reference_root(LEAVES)


def test_get_licence_opening_serves_paths_and_flags_the_revoked_position(node):
    chain, _ = node
    replies = rpc(chain, [("get_licence_opening", {"position": p}) for p in range(3)])
    for position, reply in enumerate(replies):
        result = reply["result"]
        assert result["position"] == position
        assert result["leaf"] == leaf_hex(AFTER[position])
        assert result["root"] == reference_root(AFTER)
        assert result["revoked"] is (position == REVOKED)
        assert result["digits"] == [position] + [0] * 16
        assert len(result["siblings"]) == 17
    assert replies[2]["result"]["siblings"][0] == [leaf_hex(111), leaf_hex(0), leaf_hex(0)]


@pytest.mark.parametrize(
    ("params", "code", "reason"),
    [
        ({"position": 3}, -32000, "position_not_found"),
        ({"position": -1}, -32602, "invalid_params"),
        ({"position": "1"}, -32602, "invalid_params"),
        ({}, -32602, "invalid_params"),
    ],
)
def test_invalid_licence_opening_requests_get_typed_errors(node, params, code, reason):
    (reply,) = rpc(node[0], [("get_licence_opening", params)])
    assert reply["error"]["code"] == code
    assert reply["error"]["data"]["reason"] == reason


def test_the_client_returns_licence_dataclasses_whose_openings_verify(node):
    chain, revoked_at = node

    async def scenario() -> tuple[LicenceTreeInfo, LicenceOpeningInfo, LicenceOpeningInfo, RpcError]:
        server = RpcServer(chain, block_interval=600)
        async with TestServer(server.make_app(), host="127.0.0.1") as test_server:
            url = str(test_server.make_url("")).rstrip("/")

            def use_client() -> tuple[LicenceTreeInfo, LicenceOpeningInfo, LicenceOpeningInfo, RpcError]:
                with NodeClient([url], timeout=5, attempts=1) as client:
                    tree = client.get_licence_tree()
                    live = client.get_licence_opening(2)
                    revoked = client.get_licence_opening(REVOKED)
                    try:
                        client.get_licence_opening(7)
                    except RpcError as exc:
                        return tree, live, revoked, exc
                    raise AssertionError("position 7 is not in the tree")

            return await asyncio.to_thread(use_client)

    tree, live, revoked, missing = asyncio.run(scenario())
    assert tree == LicenceTreeInfo(reference_root(AFTER), 3, int(chain.head_header.height), 17, 4, revoked_at)
    assert (live.position, live.leaf, live.root, live.revoked) == (2, leaf_hex(333), tree.root, False)
    assert verify_note_opening(tree.root, live.leaf, 2, live.opening)
    assert not verify_note_opening(tree.root, leaf_hex(334), 2, live.opening)
    # the revoked licence's leaf no longer opens under the head's root
    assert revoked.revoked
    assert revoked.leaf == leaf_hex(0)
    assert not verify_note_opening(tree.root, leaf_hex(222), REVOKED, revoked.opening)
    assert missing.reason == "position_not_found"
