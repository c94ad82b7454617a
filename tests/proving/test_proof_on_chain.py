"""Issue 17 end to end: a proof made by the proving worker's task (``proof_job_run`` on a
``ProofJob``, real snarkjs) is accepted by a chain node in a ``ProvenCall`` and the contract
sees the statement; the same job's result with a changed public input is refused by the node's
mempool (blocks carrying such a call: tests/chain/transition/test_proven_call.py). The node is
in-process (``ChainNode`` over a ``MemoryStore``, the genesis registering range_product's key)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from chain.node.client import get_vk_id, sign_contract_deploy, sign_proven_call
from chain.node.exceptions import MempoolRejected
from chain.node.node import ChainNode, TxStatus
from chain.state.memory import MemoryStore
from chain.transition.genesis import parse_genesis_config
from chain.types.primitives import Hash32, Timestamp
from chain.types.receipts import ReceiptStatus
from identity.models import Organisation, User
from identity.roles import Role
from proving import prover, services
from proving.models import ProofJob
from proving.tasks import proof_job_run
from tests.chain.helpers import CHAIN_ID, GENESIS_TIME, keypair
from tests.chain.proofs import prover_wasm
from tests.proving.prover.test_prove import needs_node

pytestmark = [pytest.mark.django_db, needs_node]

ALICE, AUTHORITY = keypair("onchain-alice"), keypair("onchain-authority")
AMOUNT, PRICE = 424242, 1_000_000_007


def _node_with_prover_contract() -> tuple[ChainNode, str]:
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


def _proven_call(contract: str, vk_id: str, inputs: bytes, proof: bytes, nonce: int) -> tuple[str, bytes]:
    return sign_proven_call(
        secret_key=bytes(ALICE.secret),
        chain_id=CHAIN_ID,
        contract=contract,
        fn_name="prove",
        fn_args=b"",
        vk_id=vk_id,
        public_inputs=inputs,
        proof=proof,
        nonce=nonce,
    )


def test_a_worker_made_proof_is_verified_by_the_chain_and_a_tampered_one_is_refused(
    make_user: Callable[..., User], broker_a: Organisation
) -> None:
    trader = make_user(broker_a, Role.BROKER_TRADER)
    job, _ = services.proof_job_request(
        actor=trader,
        circuit="range_product",
        witness={"amount": str(AMOUNT), "price": str(PRICE)},
        idempotency_key="onchain-1",
    )
    assert proof_job_run.apply(args=(str(job.id),)).get() == "done"
    job = ProofJob.objects.get(id=job.id)
    assert job.public_inputs is not None
    assert job.proof is not None
    inputs, proof = bytes(job.public_inputs), bytes(job.proof)
    assert job.public_signals == [str(AMOUNT * PRICE), str(PRICE)]
    vk_id = get_vk_id(prover.get_circuit("range_product").vk.read_bytes())

    node, contract = _node_with_prover_contract()
    now = GENESIS_TIME + 2

    # The same proof claiming another total: refused at admission.
    wrong_total = (AMOUNT * PRICE + 1).to_bytes(32, "little") + inputs[32:]
    _, tampered = _proven_call(contract, vk_id, wrong_total, proof, nonce=2)
    with pytest.raises(MempoolRejected) as refused:
        node.submit_transaction(tampered, now=now)
    assert refused.value.reason == "proof_refused:pairing_check_failed"
    assert len(node.mempool) == 0

    tx_id, raw = _proven_call(contract, vk_id, inputs, proof, nonce=2)
    node.submit_transaction(raw, now=now)
    produced = node.produce_block(now=Timestamp(now))
    assert produced is not None
    assert produced.rejected == []
    status, included = node.get_transaction(Hash32.from_hex(tx_id))
    assert status is TxStatus.INCLUDED
    assert included is not None
    assert included.receipt.status is ReceiptStatus.SUCCESS
    statement = bytes.fromhex(vk_id.removeprefix("0x")) + inputs
    assert [(e.topic, e.data) for e in included.receipt.events] == [("proven", statement)]
