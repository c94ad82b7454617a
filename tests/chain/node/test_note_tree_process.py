"""The note tree on a real node process (``python -m chain run``): transactions signed with
``chain.node.client`` deploy a contract and ``note_push`` leaves; the tree is served over RPC,
survives a SIGKILL and restart, and appends continue from where they were."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from chain.crypto.poseidon import merkle4_hash
from chain.node.client import (
    NodeClient,
    RpcError,
    sign_contract_call,
    sign_contract_deploy,
    verify_note_opening,
)
from tests.chain.helpers import CHAIN_ID, keypair
from tests.chain.nodeproc import running_node
from tests.chain.vm.test_note_tree_host import NOTES
from tests.chain.vm.wat import wasm

ALICE = keypair("notes-process-alice")


def reference_root(leaves: list[int]) -> str:
    def node(level: int, index: int) -> int:
        if index * 4**level >= len(leaves):
            return 0
        if level == 0:
            return leaves[index]
        return merkle4_hash([node(level - 1, 4 * index + j) for j in range(4)])

    return "0x" + node(17, 0).to_bytes(32, "little").hex()


def included(client: NodeClient, tx_id: str, timeout: float = 30.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            info = client.get_transaction(tx_id)
        except RpcError as error:
            assert error.reason == "not_found"
        else:
            if info.status == "included":
                assert info.receipt is not None
                return info.receipt
        time.sleep(0.1)
    raise AssertionError(f"{tx_id} was not included in time")


def push(client: NodeClient, contract: str, leaves: list[int], nonce: int) -> None:
    args = b"".join(v.to_bytes(32, "little") for v in leaves)
    tx_id, raw = sign_contract_call(
        secret_key=ALICE.secret,
        chain_id=CHAIN_ID,
        contract=contract,
        fn_name="push",
        fn_args=args,
        nonce=nonce,
    )
    assert client.submit_transaction(raw) == tx_id
    assert included(client, tx_id)["status"] == "success"


@pytest.mark.devnet
def test_note_tree_is_served_and_survives_a_restart(tmp_path: Path) -> None:
    with running_node(tmp_path, funds={ALICE.public.hex(): 10**15}) as node:
        client = NodeClient([node.url], timeout=5)
        empty = client.get_note_tree()
        assert (empty.root, empty.size, empty.depth) == ("0x" + "00" * 32, 0, 17)
        tx_id, raw, contract = sign_contract_deploy(
            secret_key=ALICE.secret,
            chain_id=CHAIN_ID,
            bytecode=wasm(NOTES),
            init_args=None,
            deploy_nonce=0,
            nonce=1,
        )
        client.submit_transaction(raw)
        assert included(client, tx_id)["status"] == "success"
        push(client, contract, [11, 22], nonce=2)
        before = client.get_note_tree()
        assert before.size == 2
        assert before.root == reference_root([11, 22])

        node.kill()
        node.start()
        client = NodeClient([node.url], timeout=5)
        after = client.get_note_tree()
        assert (after.root, after.size) == (before.root, 2)
        push(client, contract, [33], nonce=3)
        tree = client.get_note_tree()
        assert tree.size == 3
        assert tree.root == reference_root([11, 22, 33])
        opening = client.get_note_opening(2)
        assert opening.root == tree.root
        assert verify_note_opening(tree.root, opening.leaf, 2, opening.opening)
        with pytest.raises(RpcError) as error:
            client.get_note_opening(3)
        assert error.value.reason == "position_not_found"
