"""NodeClient: it sticks to one URL until a call needs a retry or the node in use is behind
(checked against real loopback JSON-RPC servers and a real node process), and malformed
replies become ``RpcError(bad_response)`` (a fake transport)."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from chain.node.client import NodeClient, RpcError, lagging, sign_transfer
from tests.chain.rpcdouble import node_status, rpc_double

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
    # HEAD as a status: an older node's, without the sync fields, which counts as current.
    client, hosts = _client(["http://a", "http://b"], lambda r: _result(HEAD))
    for _ in range(3):
        assert client.get_head().height == 3
    assert hosts == ["a", "a", "a", "a"]  # one status check, then the three calls


def test_moves_to_the_next_node_only_on_a_retry_and_stays_there():
    def reply(request: httpx.Request) -> httpx.Response:
        method = json.loads(request.content)["method"]
        return httpx.Response(503) if (request.url.host, method) == ("a", "get_head") else _result(HEAD)

    client, hosts = _client(["http://a", "http://b"], reply)
    client.get_head()  # a's status is fine, its get_head fails: retried on b
    client.get_head()  # after a failover the new node's status is checked once
    client.get_head()
    assert hosts == ["a", "a", "b", "b", "b", "b"]


def test_single_url_client_never_asks_for_status():
    with (
        rpc_double(node_status(syncing=True, behind=50)) as only,
        NodeClient([only.url], status_ttl=0) as client,
    ):
        client.submit_transaction(b"\x01")
        client.get_head()
    assert only.calls == ["submit_transaction", "get_head"]


def test_submission_skips_a_syncing_node_and_the_check_is_cached():
    with (
        rpc_double(node_status(90, syncing=True, best_peer_height=100, behind=10)) as first,
        rpc_double(node_status(100)) as second,
        NodeClient([first.url, second.url], status_ttl=60) as client,
    ):
        client.submit_transaction(b"\x01")
        client.submit_transactions([b"\x02", b"\x03"])
        client.get_head()
        assert client.get_status()["head_height"] == 100  # the status of the node in use
        assert client.url == second.url
    assert first.calls == ["get_status"]
    assert first.submitted == []
    used = ["submit_transaction", "submit_transactions", "get_head", "get_status"]
    assert second.calls == ["get_status", *used]
    assert second.submitted == ["0x01", "0x02", "0x03"]


@pytest.mark.parametrize(
    ("lagging_status", "reason"),
    [
        (node_status(90, syncing=True, behind=10), "syncing"),
        (node_status(90, best_peer_height=100, behind=10), "10 blocks behind"),
        (node_status(100, producing=False), "not producing"),
    ],
)
def test_each_kind_of_lagging_node_is_skipped(lagging_status, reason):
    assert lagging(lagging_status, max_behind=5) == reason
    with (
        rpc_double(lagging_status) as first,
        rpc_double(node_status(100)) as second,
        NodeClient([first.url, second.url]) as client,
    ):
        client.submit_transaction(b"\x01")
    assert first.submitted == []
    assert second.submitted == ["0x01"]


@pytest.mark.parametrize(
    "status",
    [
        node_status(100, behind=5),  # at the threshold
        node_status(100, producing=False, finality_rule="single_authority"),  # makes blocks on demand
        {"chain_id": 71, "head_height": 3, "head_hash": "0x01", "mempool_size": 0},  # an older node
        node_status(100, syncing=None, behind="?"),  # junk in the new fields: unknown
    ],
)
def test_invalid_lag_a_current_or_older_node_is_kept(status):
    assert lagging(status, max_behind=5) is None
    with (
        rpc_double(status) as first,
        rpc_double(node_status(100)) as second,
        NodeClient([first.url, second.url]) as client,
    ):
        client.submit_transaction(b"\x01")
    assert first.submitted == ["0x01"]
    assert second.calls == []


def test_threshold_is_a_constructor_argument():
    with (
        rpc_double(node_status(97, behind=3)) as first,
        rpc_double(node_status(100)) as second,
        NodeClient([first.url, second.url], max_behind=2) as client,
    ):
        client.submit_transaction(b"\x01")
    assert (first.submitted, second.submitted) == ([], ["0x01"])


def test_when_every_node_lags_the_highest_head_is_used():
    with (
        rpc_double(node_status(80, syncing=True)) as first,
        rpc_double(node_status(95, syncing=True)) as second,
        rpc_double(node_status(90, syncing=True)) as third,
        NodeClient([first.url, second.url, third.url]) as client,
    ):
        client.submit_transaction(b"\x01")
    assert (first.submitted, second.submitted, third.submitted) == ([], ["0x01"], [])


def test_a_node_that_does_not_answer_its_status_is_skipped():
    with rpc_double(node_status(100)) as first, rpc_double(node_status(100)) as second:
        first.down()
        with NodeClient([first.url, second.url], attempts=1) as client:
            client.submit_transaction(b"\x01")
    assert first.calls == ["get_status"]
    assert second.submitted == ["0x01"]


def test_status_is_asked_again_after_the_ttl_and_the_client_moves_back():
    with (
        rpc_double(node_status(100)) as first,
        rpc_double(node_status(100)) as second,
        NodeClient([first.url, second.url], status_ttl=0.2) as client,
    ):
        client.submit_transaction(b"\x01")
        first.status = node_status(100, syncing=True)
        client.submit_transaction(b"\x02")  # within the ttl: still the first
        time.sleep(0.3)
        client.submit_transaction(b"\x03")
    assert first.submitted == ["0x01", "0x02"]
    assert second.submitted == ["0x03"]
    assert first.method_calls("get_status") == 2


def test_when_no_node_answers_only_rpc_error_escapes():
    with rpc_double(node_status(100)) as first, rpc_double(node_status(100)) as second:
        first.down()
        second.down()
        with NodeClient([first.url, second.url], attempts=2) as client, pytest.raises(RpcError) as error:
            client.submit_transaction(b"\x01")
    assert error.value.reason == "unreachable"


@pytest.mark.devnet
def test_a_real_node_is_used_when_the_first_url_is_behind(tmp_path):
    """A real single-authority node process (its ``get_status`` may predate the sync fields)
    behind a syncing peer listed first: the transfer lands on the real node."""
    from tests.chain.helpers import CHAIN_ID, keypair
    from tests.chain.nodeproc import running_node

    alice, bob = keypair("alice"), keypair("bob")
    with (
        running_node(tmp_path, funds={alice.public.hex(): 10**15}) as node,
        rpc_double(node_status(3, syncing=True, behind=500)) as behind,
    ):
        tx_id, raw = sign_transfer(
            secret_key=alice.secret, chain_id=CHAIN_ID, receiver="0x" + bob.public.hex(), value=1, nonce=1
        )
        with NodeClient([behind.url, node.url], timeout=2) as client:
            assert client.submit_transaction(raw) == tx_id
            assert client.url == node.url
            deadline = time.monotonic() + 20
            while client.get_transaction(tx_id).status != "included":
                assert time.monotonic() < deadline, "the transfer never reached a block"
                time.sleep(0.2)
            assert client.get_account("0x" + bob.public.hex()).balance == 1
    assert behind.submitted == []
    assert behind.calls == ["get_status"]


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
