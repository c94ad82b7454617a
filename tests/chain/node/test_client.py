"""NodeClient against a fake transport: it sticks to one URL until a call needs a retry,
and malformed replies become ``RpcError(bad_response)``."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from chain.node.client import NodeClient, RpcError

HEAD = {"height": 3, "hash": "0x01", "timestamp": 5, "state_root": "0x02", "finality": "Final"}


def _client(urls: list[str], reply, *, attempts: int = 3) -> tuple[NodeClient, list[str]]:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return reply(request)

    client = NodeClient(urls, attempts=attempts)
    client._http = httpx.Client(transport=httpx.MockTransport(handler))
    return client, hosts


def _result(result: Any) -> httpx.Response:
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": 1, "result": result})


def test_invalid_rotation_client_keeps_using_the_same_node():
    client, hosts = _client(["http://a", "http://b"], lambda r: _result(HEAD))
    for _ in range(3):
        assert client.get_head().height == 3
    assert hosts == ["a", "a", "a"]


def test_moves_to_the_next_node_only_on_a_retry_and_stays_there():
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503) if request.url.host == "a" else _result(HEAD)

    client, hosts = _client(["http://a", "http://b"], reply)
    client.get_head()
    client.get_head()
    assert hosts == ["a", "b", "b"]


@pytest.mark.parametrize(
    "body",
    [
        {"jsonrpc": "2.0", "id": 1, "error": {"code": -32000, "message": "x", "data": None}},
        {"jsonrpc": "2.0", "id": 1, "error": None},
        {"jsonrpc": "2.0", "id": 1, "error": "boom"},
        {"jsonrpc": "2.0", "id": 1},
        [1, 2, 3],
        {"jsonrpc": "2.0", "id": 1, "result": {"height": 3}},
        {"jsonrpc": "2.0", "id": 1, "result": None},
    ],
)
def test_invalid_malformed_reply_is_a_bad_response(body: Any):
    client, _ = _client(["http://a"], lambda r: httpx.Response(200, content=json.dumps(body).encode()))
    with pytest.raises(RpcError) as error:
        client.get_head()
    assert error.value.reason == "bad_response"


def test_node_errors_keep_their_reason():
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32000, "message": "no", "data": {"reason": "nonce_gap"}},
    }
    client, _ = _client(["http://a"], lambda r: httpx.Response(200, json=body))
    with pytest.raises(RpcError) as error:
        client.call("submit_transaction", {})
    assert error.value.reason == "nonce_gap"
