"""A node with the verifying-key registry (issue 17 item 5): its mempool refuses a proven call
whose proof does not hold, each with its reason, and keeps producing blocks; a valid one built
with the client is included and its contract sees the statement; the RPC lists the keys."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer

from chain.node.client import (
    NodeClient,
    get_vk_id,
    proof_attachment_from_snarkjs,
    sign_contract_deploy,
    sign_proven_call,
    sign_transfer,
)
from chain.node.exceptions import MempoolRejected
from chain.node.jsonview import transaction_json
from chain.node.mempool import Mempool
from chain.node.node import ChainNode, TxStatus
from chain.node.rpc import RpcServer
from chain.state.memory import MemoryStore
from chain.transition.genesis import parse_genesis_config
from chain.types.primitives import Hash32, Timestamp
from chain.types.receipts import ReceiptStatus
from tests.chain.helpers import CHAIN_ID, GENESIS_TIME, keypair
from tests.chain.proofs import CIRCUITS, PROOF, PUBLIC, REFUSED_ATTACHMENTS, VK, VK_ID, prover_wasm

ALICE, BOB, AUTHORITY = keypair("pnode-alice"), keypair("pnode-bob"), keypair("pnode-authority")


def _node() -> tuple[ChainNode, str]:
    """A producing node with range_product registered and the prover contract deployed."""
    config = parse_genesis_config(
        {
            "chain_id": CHAIN_ID,
            "timestamp": GENESIS_TIME,
            "params": {"min_block_time": 1},
            "accounts": [{"public_key": "0x" + ALICE.public.hex(), "balance": 10**15}],
            "verifying_keys": [{"circuit": "range_product"}],
        }
    )
    node = ChainNode(store=MemoryStore(), genesis=config, generator_key=AUTHORITY.secret)
    _, raw, contract = sign_contract_deploy(
        secret_key=bytes(ALICE.secret),
        chain_id=CHAIN_ID,
        bytecode=prover_wasm(),
        init_args=None,
        deploy_nonce=0,
        nonce=1,
    )
    node.submit_transaction(raw, now=GENESIS_TIME)
    assert node.produce_block(now=Timestamp(GENESIS_TIME + 1)) is not None
    return node, contract


def _sign(contract: str, vk_id: bytes, inputs: bytes, proof: bytes, nonce: int) -> tuple[str, bytes]:
    return sign_proven_call(
        secret_key=bytes(ALICE.secret),
        chain_id=CHAIN_ID,
        contract=contract,
        fn_name="prove",
        fn_args=b"",
        vk_id="0x" + bytes(vk_id).hex(),
        public_inputs=inputs,
        proof=proof,
        nonce=nonce,
    )


def test_the_mempool_refuses_every_invalid_proof_with_its_reason_and_the_node_goes_on():
    node, contract = _node()
    now = GENESIS_TIME + 2
    for label, vk_id, inputs, proof, reason in REFUSED_ATTACHMENTS:
        _, raw = _sign(contract, vk_id, inputs, proof, nonce=2)
        with pytest.raises(MempoolRejected) as error:
            node.submit_transaction(raw, now=now)
        assert error.value.reason == reason, label
    assert len(node.mempool) == 0
    _, raw = _sign(contract, VK_ID, PUBLIC, PROOF, nonce=2)
    truncated = raw[: -96 - 1] + raw[-96:]  # a 191-byte proof
    with pytest.raises(MempoolRejected) as error:
        node.submit_transaction(truncated, now=now)
    assert error.value.reason == "short_input"
    # The node still admits and produces: a transfer, then an empty block.
    _, transfer = sign_transfer(
        secret_key=bytes(ALICE.secret), chain_id=CHAIN_ID, receiver="0x" + BOB.public.hex(), value=5, nonce=2
    )
    node.submit_transaction(transfer, now=now)
    produced = node.produce_block(now=Timestamp(now))
    assert produced is not None
    assert [r.status for r in produced.receipts] == [ReceiptStatus.SUCCESS]
    assert node.produce_block(now=Timestamp(now + 1), allow_empty=True) is not None
    assert int(node.head_header.height) == 3


def test_a_valid_proven_call_from_the_client_is_included_and_the_contract_sees_the_statement():
    node, contract = _node()
    inputs, proof = proof_attachment_from_snarkjs(
        json.loads((CIRCUITS / "fixtures" / "range_product.proof.json").read_text()),
        json.loads((CIRCUITS / "fixtures" / "range_product.public.json").read_text()),
    )
    vk_id = get_vk_id((CIRCUITS / "build" / "range_product.vk").read_bytes())
    assert (inputs, proof, vk_id) == (PUBLIC, PROOF, "0x" + bytes(VK_ID).hex())
    tx_id, raw = _sign(contract, VK_ID, inputs, proof, nonce=2)
    assert node.submit_transaction(raw, now=GENESIS_TIME + 2).hex() == tx_id.removeprefix("0x")
    produced = node.produce_block(now=Timestamp(GENESIS_TIME + 2))
    assert produced is not None
    assert produced.rejected == []
    status, included = node.get_transaction(Hash32.from_hex(tx_id))
    assert status is TxStatus.INCLUDED
    assert included is not None
    assert included.receipt.status is ReceiptStatus.SUCCESS
    assert [(e.topic, e.data) for e in included.receipt.events] == [("proven", bytes(VK_ID) + PUBLIC)]
    shown = transaction_json(node.get_block(height=included.height).transactions[included.index])["data"]
    assert shown == {
        "type": "proven_call",
        "contract": contract,
        "fn_name": "prove",
        "fn_args": "0x",
        "vk_id": vk_id,
        "public_inputs": "0x" + PUBLIC.hex(),
        "proof": "0x" + PROOF.hex(),
    }


def test_a_mempool_without_a_proof_checker_admits_no_proven_call():
    node, contract = _node()
    bare = Mempool(node.params, node.get_account)
    from chain.types.transactions import decode_transaction

    _, raw = _sign(contract, VK_ID, PUBLIC, PROOF, nonce=2)
    with pytest.raises(MempoolRejected) as error:
        bare.add(decode_transaction(raw), now=GENESIS_TIME)
    assert error.value.reason == "proof_unchecked"


def test_get_verifying_keys_over_json_rpc_and_the_client():
    node, _ = _node()
    server = RpcServer(node, block_interval=60)

    async def scenario() -> dict[str, Any]:
        async with TestClient(TestServer(server.make_app())) as client:
            body = {"jsonrpc": "2.0", "id": 1, "method": "get_verifying_keys"}
            response = await client.post("/rpc", json=body)
            return dict(json.loads(await response.text()))

    expected = {"keys": [{"vk_id": "0x" + bytes(VK_ID).hex(), "public_inputs": 2}]}
    assert asyncio.run(scenario())["result"] == expected

    def handler(request: httpx.Request) -> httpx.Response:
        call = json.loads(request.content)
        result = server.methods[call["method"]](call.get("params") or {})
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": call["id"], "result": result})

    client = NodeClient(["http://node"])
    client._http = httpx.Client(transport=httpx.MockTransport(handler))
    keys = client.get_verifying_keys()
    assert [(k.vk_id, k.public_inputs) for k in keys] == [("0x" + bytes(VK_ID).hex(), 2)]
    assert len(VK) == 340 + 48 * 3
