"""A real node process on loopback: transactions through ``chain.node.client`` reach
blocks; SIGKILL mid-stream and a restart lose no committed block or balance and apply no
transaction twice."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.node.client import NodeClient, RpcError, sign_transfer
from tests.chain.helpers import CHAIN_ID, keypair
from tests.chain.nodeproc import NodeProcess, running_node

ROOT = Path(__file__).resolve().parents[3]
ALICE, BOB = keypair("alice"), keypair("bob")
START = 10**15
VALUE = 1_000


@pytest.fixture
def node(tmp_path: Path) -> Iterator[NodeProcess]:
    with running_node(tmp_path, funds={ALICE.public.hex(): START}) as process:
        yield process


def wait_until(predicate, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def test_transactions_reach_blocks_and_survive_sigkill(node: NodeProcess) -> None:
    client = NodeClient([node.url], timeout=2)
    submitted: dict[int, str] = {}
    for nonce in range(1, 41):
        tx_id, raw = sign_transfer(
            secret_key=ALICE.secret,
            chain_id=CHAIN_ID,
            receiver="0x" + BOB.public.hex(),
            value=VALUE,
            nonce=nonce,
        )
        assert client.submit_transaction(raw) == tx_id
        submitted[nonce] = tx_id
        if nonce == 20:  # let some of them land first
            wait_until(lambda: client.get_transaction(submitted[20]).status == "included")
    first = client.get_transaction(submitted[1])
    assert first.status == "included"
    assert first.finality == "Final"
    assert first.receipt is not None
    assert first.receipt["status"] == "success"
    block = client.get_block(height=first.height)
    assert first.tx_id in [tx["tx_id"] for tx in block["transactions"]]

    node.kill()  # mid-stream: some of nonces 21..40 may still be waiting in the mempool
    node.start()
    client = NodeClient([node.url], timeout=2)
    head = client.get_head()
    included = [n for n, tx_id in submitted.items() if _status(client, tx_id) == "included"]
    assert included == list(range(1, len(included) + 1)), "included nonces must be a prefix"
    assert len(included) >= 20
    bob = client.get_account("0x" + BOB.public.hex())
    assert bob.balance == VALUE * len(included)
    assert client.get_account("0x" + ALICE.public.hex()).nonce == len(included)
    for height in range(head.height + 1):  # every committed block is still there
        assert client.get_block(height=height)["height"] == height

    # Resubmitting everything after the restart applies nothing twice.
    for nonce in range(1, 41):
        _, raw = sign_transfer(
            secret_key=ALICE.secret,
            chain_id=CHAIN_ID,
            receiver="0x" + BOB.public.hex(),
            value=VALUE,
            nonce=nonce,
        )
        try:
            client.submit_transaction(raw)
        except RpcError as error:
            assert error.reason in {"already_included", "nonce_replay"}
    wait_until(lambda: client.get_account("0x" + ALICE.public.hex()).nonce == 40)
    assert client.get_account("0x" + BOB.public.hex()).balance == VALUE * 40
    page = client.get_events(after=0, limit=1000)
    assert [e.sequence for e in page.events] == list(range(1, 41))
    assert len({e.tx_id for e in page.events}) == 40


def _status(client: NodeClient, tx_id: str) -> str:
    try:
        return client.get_transaction(tx_id).status
    except RpcError as error:
        assert error.reason == "not_found"
        return "unknown"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "parse_error"),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "launch_rockets", "params": {}}', "unknown_method"),
        (b'{"jsonrpc": "2.0", "id": 1, "method": "get_block", "params": {"height": -1}}', "invalid_params"),
        (
            b'{"jsonrpc": "2.0", "id": 1, "method": "submit_transaction", "params": {"transaction": "0x00"}}',
            "short_input",
        ),
        (b'{"jsonrpc": "1.0", "method": "get_head"}', "invalid_request"),
    ],
)
def test_invalid_rpc_requests_get_stable_reasons_and_the_node_keeps_running(node: NodeProcess, body, reason):
    import httpx

    response = httpx.post(f"{node.url}/rpc", content=body, headers={"Content-Type": "application/json"})
    assert response.json()["error"]["data"]["reason"] == reason
    assert NodeClient([node.url]).get_head().height >= 0


def test_invalid_transactions_are_rejected_with_reasons(node: NodeProcess) -> None:
    client = NodeClient([node.url])
    bob = "0x" + BOB.public.hex()
    cases = {
        "wrong_chain_id": sign_transfer(
            secret_key=ALICE.secret, chain_id=CHAIN_ID + 1, receiver=bob, value=1, nonce=1
        ),
        "nonce_gap": sign_transfer(
            secret_key=ALICE.secret, chain_id=CHAIN_ID, receiver=bob, value=1, nonce=500
        ),
        "nonce_replay": sign_transfer(
            secret_key=ALICE.secret, chain_id=CHAIN_ID, receiver=bob, value=1, nonce=0
        ),
        "insufficient_balance": sign_transfer(
            secret_key=BOB.secret, chain_id=CHAIN_ID, receiver="0x" + ALICE.public.hex(), value=1, nonce=1
        ),
    }
    for reason, (_, raw) in cases.items():
        with pytest.raises(RpcError) as error:
            client.submit_transaction(raw)
        assert error.value.reason == reason
    _, good = sign_transfer(secret_key=ALICE.secret, chain_id=CHAIN_ID, receiver=bob, value=1, nonce=1)
    tampered = bytearray(good)
    tampered[100] ^= 1  # inside the value: the signature no longer matches
    with pytest.raises(RpcError) as error:
        client.submit_transaction(bytes(tampered))
    assert error.value.reason == "bad_signature"
    results = client.submit_transactions([bytes(tampered), good])
    assert results[0]["error"]["reason"] == "bad_signature"
    assert "tx_id" in results[1]
    assert os.path.exists(node.tmp / "data")


def test_invalid_oversize_request_is_refused_and_the_node_keeps_running(node: NodeProcess) -> None:
    import httpx

    payload = "0x" + "00" * (3 * 1024 * 1024)
    body = {"jsonrpc": "2.0", "id": 1, "method": "submit_transaction", "params": {"transaction": payload}}
    response = httpx.post(f"{node.url}/rpc", json=body, timeout=30)
    assert response.json()["error"]["data"]["reason"] == "request_too_large"
    assert NodeClient([node.url]).get_head().height >= 0
