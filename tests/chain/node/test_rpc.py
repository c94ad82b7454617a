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
