"""A 4-provisioner devnet on real processes: blocks become Final; with one node killed
(SIGKILL) they still do; with two killed finality stops without any fork; restarted, both
catch up and finality resumes. Transactions submitted to one node reach a block."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.node.client import NodeClient, sign_transfer
from tests.chain.devnetproc import Devnet, wait_for
from tests.chain.helpers import keypair

ROOT = Path(__file__).resolve().parents[3]
ALICE, BOB = keypair("devnet-alice"), keypair("devnet-bob")
SELLER = keypair("devnet-seller")


@pytest.fixture
def devnet(tmp_path: Path) -> Iterator[Devnet]:
    net = Devnet(tmp_path, funds={ALICE.public.hex(): 10**15, SELLER.public.hex(): 10**15})
    for index in range(4):
        net.start(index)
    try:
        yield net
    finally:
        net.stop_all()


def _assert_no_fork(net: Devnet, nodes: list[int]) -> None:
    top = min(net.final_height(i) for i in nodes)
    for height in range(1, top + 1):
        assert len({net.block_hash(i, height) for i in nodes}) == 1, f"fork at height {height}"


def test_devnet_finalises_survives_one_crash_stops_at_two_and_recovers(devnet: Devnet) -> None:
    wait_for(lambda: all((h := devnet.head(i)) and h[0] >= 3 for i in range(4)))
    wait_for(lambda: devnet.final_height(0) >= 2)
    with NodeClient([devnet.urls[0]]) as client:
        status = client.get_status()
    assert status["finality_rule"] == "rolling"
    assert status["consensus"]["peers"] == 3
    assert status["consensus"]["final_height"] >= 2

    # A transfer submitted to one node is gossiped and lands in a block on every node.
    tx_id, raw = sign_transfer(
        secret_key=ALICE.secret, chain_id=71, receiver="0x" + BOB.public.hex(), value=777, nonce=1
    )
    with NodeClient([devnet.urls[1]]) as client:
        assert client.submit_transaction(raw) == tx_id
    wait_for(lambda: NodeClient([devnet.urls[3]]).get_account("0x" + BOB.public.hex()).balance == 777)

    # The genesis contracts run on every node: the cash issuer mints EUR to Bob through the
    # cash token, and every node's contract state answers the same (docs/contracts.md).
    _mint_through_the_cash_token(devnet)
    _settle_a_bond_against_eur(devnet)

    # Two of four down together: finality must stop. Both go down at once, before either
    # missed a proposal: a provisioner that misses two proposals is suspended (soft slash,
    # §1.8), and the two left would then hold two thirds of the *eligible* stake and could
    # lawfully reach quorums (that is what a sequential kill once produced in CI).
    devnet.kill(2)
    devnet.kill(3)
    time.sleep(3)
    stalled = devnet.final_height(0)
    time.sleep(8)
    assert devnet.final_height(0) <= stalled + 1, "two of four down: finality must stop"
    _assert_no_fork(devnet, [0, 1])

    # Both return: they catch up and finality resumes on all four.
    devnet.start(2)
    devnet.start(3)
    # (catching up competes with the other test workers' devnets for the two cores)
    wait_for(lambda: devnet.final_height(0) >= stalled + 3, timeout=300)
    wait_for(lambda: all(devnet.final_height(i) >= stalled + 2 for i in range(4)), timeout=300)
    _assert_no_fork(devnet, [0, 1, 2, 3])

    # One of four crashes: the other three keep finalising.
    devnet.kill(3)
    final_before = devnet.final_height(0)
    wait_for(lambda: devnet.final_height(0) >= final_before + 3, timeout=180)
    _assert_no_fork(devnet, [0, 1, 2])


def _mint_through_the_cash_token(net: Devnet) -> None:
    import json

    from chain.crypto import bls12_381 as bls
    from chain.node.keys import load_key_file
    from chain.types.primitives import ContractId
    from chain.types.transactions import Call, encode_transaction
    from tests.chain.helpers import Keypair, transfer

    config = json.loads((net.directory / "devnet.json").read_text())
    secret = load_key_file(net.directory / config["roles"]["cash_issuer"])
    issuer = Keypair(secret, bls.SkToPk(secret))
    cash = ContractId.from_hex(config["contracts"]["cash_token"])
    bob = bytes([0]) + bytes(BOB.public)
    mint = Call(cash, "mint", bob + (1_000).to_bytes(8, "little"))
    tx = transfer(issuer, issuer.public, value=0, nonce=1, gas_limit=50_000_000, chain_id=71, data=mint)
    with NodeClient([net.urls[0]]) as client:
        client.submit_transaction(encode_transaction(tx))

    def balance(index: int) -> int:
        with NodeClient([net.urls[index]], timeout=2, attempts=1) as client:
            return int.from_bytes(client.query_contract("0x" + cash.hex(), "balance_of", bob), "little")

    wait_for(lambda: all(balance(i) == 1_000 for i in range(4)), timeout=60)
    wait_for(lambda: min(net.final_height(i) for i in range(4)) >= net.final_height(0) - 1)
    _assert_no_fork(net, [0, 1, 2, 3])  # equal block hashes: equal state roots


def _settle_a_bond_against_eur(net: Devnet) -> None:
    """The genesis contracts end to end on four nodes: the operator trusts itself as KYC
    issuer, verifies a seller and a buyer (the cash issuer), deploys a bond that requires
    KYC of its receivers and issues it to the seller; both approve DvP; the seller instructs
    and both affirm; the settlement moves the bond and the EUR on every node alike."""
    import json

    from chain.crypto import bls12_381 as bls
    from chain.node.keys import load_key_file
    from chain.transition.roots import compute_transaction_id
    from chain.types.primitives import U64, ContractId
    from chain.types.transactions import Call, Deploy, Transaction, encode_transaction
    from chain.vm.session import compute_contract_id
    from tests.chain.helpers import Keypair, transfer
    from tests.chain.vm.abi import account, contract_address, u8, u32, u64
    from tests.chain.vm.securities import (
        HAS,
        KYC,
        claim_args,
        condition,
        condition_list,
        conditions,
        requirement,
    )

    config = json.loads((net.directory / "devnet.json").read_text())
    keys = {role: load_key_file(net.directory / name) for role, name in config["roles"].items()}
    operator, buyer = (Keypair(keys[r], bls.SkToPk(keys[r])) for r in ("operator", "cash_issuer"))
    registry, cash, dvp = (
        ContractId.from_hex(config["contracts"][n]) for n in ("identity_registry", "cash_token", "dvp")
    )
    nonces = {operator.public: 0, buyer.public: 1, SELLER.public: 0}  # the cash issuer minted once

    def tx(sender: Keypair, data: Call | Deploy, *, gas_limit: int = 200_000_000) -> Transaction:
        nonces[sender.public] += 1
        price = 2000 if isinstance(data, Deploy) else 1
        return transfer(
            sender,
            sender.public,
            value=0,
            nonce=nonces[sender.public],
            gas_limit=gas_limit,
            gas_price=price,
            chain_id=71,
            data=data,
        )

    def run(*transactions: Transaction) -> list[dict]:
        with NodeClient([net.urls[0]]) as client:
            for t in transactions:
                client.submit_transaction(encode_transaction(t))
            ids = ["0x" + compute_transaction_id(t).hex() for t in transactions]
            wait_for(lambda: all(client.get_transaction(i).status == "included" for i in ids), timeout=90)
            receipts = [client.get_transaction(i).receipt or {} for i in ids]
        assert [r.get("status") for r in receipts] == ["success"] * len(ids), receipts
        return receipts

    seller_, buyer_ = account(SELLER), account(buyer)
    expiry = int(time.time()) + 10**7
    bytecode = (ROOT / "chain/contracts/build/security_token.wasm").read_bytes()
    bond_init = bytes(operator.public) * 2 + bytes(registry) + b"XS0000000002" + bytes(32) + bytes([0])
    deploy = Deploy(bytecode, operator.public, bond_init, U64(7))
    bond = compute_contract_id(bytecode, 7, operator.public)
    kyc = condition_list(requirement(condition(KYC, HAS)))
    run(
        tx(operator, Call(registry, "add_trusted_issuer", bytes(operator.public) + u32(1 << KYC))),
        tx(operator, Call(registry, "add_claim", claim_args(seller_, KYC, 1, expiry))),
        tx(operator, Call(registry, "add_claim", claim_args(buyer_, KYC, 1, expiry))),
        tx(operator, deploy, gas_limit=400_000_000),
        tx(operator, Call(bond, "set_conditions", conditions(receiver=kyc))),
        tx(operator, Call(bond, "issue", seller_ + u64(1_000))),
        tx(buyer, Call(cash, "mint", buyer_ + u64(50_000))),
    )
    run(
        tx(SELLER, Call(bond, "approve", contract_address(dvp) + u64(100))),
        tx(buyer, Call(cash, "approve", contract_address(dvp) + u64(9_950))),
    )
    legs = bytes(bond) + seller_ + buyer_ + u64(100) + bytes(cash) + buyer_ + seller_ + u64(9_950)
    created = run(tx(SELLER, Call(dvp, "create", u8(2) + legs)))
    assert [e["topic"] for e in created[0]["events"]] == ["created"]
    instruction = int.from_bytes(bytes.fromhex(created[0]["events"][0]["data"][2:18]), "little")
    run(tx(SELLER, Call(dvp, "affirm", u64(instruction))), tx(buyer, Call(dvp, "affirm", u64(instruction))))
    settled = run(tx(SELLER, Call(dvp, "settle", u64(instruction))))
    assert "settled" in [e["topic"] for e in settled[0]["events"]]

    def balance(index: int, token: ContractId, holder: bytes) -> int:
        with NodeClient([net.urls[index]], timeout=2, attempts=1) as client:
            return int.from_bytes(client.query_contract("0x" + token.hex(), "balance_of", holder), "little")

    expected = {(bond, buyer_): 100, (bond, seller_): 900, (cash, seller_): 9_950, (cash, buyer_): 40_050}
    wait_for(
        lambda: all(balance(i, t, h) == v for i in range(4) for (t, h), v in expected.items()), timeout=60
    )
    _assert_no_fork(net, [0, 1, 2, 3])
