"""The RPC handler in process (aiohttp test server): hostile bodies and handler bugs get
JSON-RPC errors with stable reasons, never a bare HTTP 500."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from chain.node.node import ChainNode
from chain.node.rpc import RpcServer
from chain.state.memory import MemoryStore
from tests.chain.helpers import genesis, keypair

ALICE = keypair("rpc-alice")


def _post(body: bytes, *, patch: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
    async def scenario() -> tuple[int, dict[str, Any]]:
        server = RpcServer(
            ChainNode(store=MemoryStore(), genesis=genesis({ALICE.public: 100})), block_interval=60
        )
        server.methods.update(patch or {})
        async with TestClient(TestServer(server.make_app())) as client:
            response = await client.post("/rpc", data=body)
            return response.status, json.loads(await response.text())

    return asyncio.run(scenario())


def test_get_head_answers():
    status, reply = _post(b'{"jsonrpc": "2.0", "id": 1, "method": "get_head"}')
    assert status == 200
    assert reply["result"]["height"] == 0


def test_invalid_deeply_nested_json_is_a_parse_error():
    status, reply = _post(b"[" * 100_000)
    assert status == 200
    assert reply["error"]["code"] == -32700
    assert reply["error"]["data"]["reason"] == "parse_error"


def test_invalid_unexpected_handler_error_is_an_internal_error():
    def broken(params: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("bug")

    status, reply = _post(b'{"jsonrpc": "2.0", "id": 7, "method": "get_head"}', patch={"get_head": broken})
    assert status == 200
    assert reply["id"] == 7
    assert reply["error"]["code"] == -32603
    assert reply["error"]["data"]["reason"] == "internal_error"


def test_query_contract_reads_the_head_state_and_reports_vm_errors():
    """A contract deployed in a block answers ``query_contract``; errors carry the VM's
    reason; a query keeps nothing."""
    from pathlib import Path

    from chain.crypto import bls12_381 as bls
    from chain.types.primitives import U64, Timestamp
    from chain.types.transactions import Deploy, encode_transaction
    from chain.vm.ids import compute_contract_id
    from tests.chain.helpers import GENESIS_TIME, transfer

    bytecode = (Path(__file__).resolve().parents[3] / "chain/contracts/build/counter.wasm").read_bytes()
    node = ChainNode(
        store=MemoryStore(), genesis=genesis({ALICE.public: 10**15}), generator_key=bls.KeyGen(b"q" * 32)
    )
    deploy = Deploy(bytecode, ALICE.public, (9).to_bytes(8, "little"), U64(0))
    tx = transfer(ALICE, ALICE.public, value=0, nonce=1, gas_limit=20_000_000, gas_price=2000, data=deploy)
    node.submit_transaction(encode_transaction(tx), now=GENESIS_TIME)
    assert node.produce_block(now=Timestamp(GENESIS_TIME + 5)) is not None
    counter = compute_contract_id(bytecode, 0, ALICE.public)

    async def scenario() -> list[dict[str, Any]]:
        server = RpcServer(node, block_interval=60)
        replies = []
        async with TestClient(TestServer(server.make_app())) as client:
            for params in (
                {"contract": "0x" + counter.hex(), "fn_name": "increment"},
                {"contract": "0x" + counter.hex(), "fn_name": "get", "args": "0x"},
                {"contract": "0x" + counter.hex(), "fn_name": "nope"},
                {"contract": "0x" + "07" * 32, "fn_name": "get"},
                {"contract": "0x" + counter.hex(), "fn_name": ""},
            ):
                body = {"jsonrpc": "2.0", "id": 1, "method": "query_contract", "params": params}
                response = await client.post("/rpc", json=body)
                replies.append(json.loads(await response.text()))
        return replies

    increment, get, missing_fn, missing_contract, bad_name = asyncio.run(scenario())
    assert int.from_bytes(bytes.fromhex(increment["result"]["result"][2:]), "little") == 10
    assert int.from_bytes(bytes.fromhex(get["result"]["result"][2:]), "little") == 9  # nothing kept
    assert missing_fn["error"]["data"]["reason"] == "function_not_found"
    assert missing_contract["error"]["data"]["reason"] == "contract_not_found"
    assert bad_name["error"]["code"] == -32602
