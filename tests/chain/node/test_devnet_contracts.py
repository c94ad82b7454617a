"""Every function of the four genesis contracts and every transfer-rule code, on a real
4-provisioner devnet, driven only through ``chain.node.client`` as the platform drives them
(docs/contracts.md).

Each call is a signed transaction submitted to one of the nodes in turn (gossip must carry
it to the generator) and included by all four; every receipt and every query must be the
same on the four nodes, and so must their blocks, hence their state roots. Transactions of
one ``run`` are independent of each other's order, except those of one sender (nonces)."""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chain.node.client import (
    NodeClient,
    RpcError,
    contract_abi,
    public_key_of,
    sign_contract_call,
    sign_contract_deploy,
)
from chain.node.keys import load_key_file
from tests.chain.devnetproc import Devnet, wait_for
from tests.chain.helpers import Keypair, keypair

abi = contract_abi
Code = abi.TransferCode
Topic = abi.ClaimTopic
HAS, NOT_IN = abi.ConditionKind.HAS_CLAIM, abi.ConditionKind.VALUE_NOT_IN

ISSUER, COMPLIANCE, KYC_PROVIDER, SMALL_KYC = (keypair(f"contracts-{n}") for n in ("ia", "ca", "kyc", "kyc2"))
A, B, D, E, F, G = (keypair(f"contracts-investor-{n}") for n in "abdefg")
FUNDED = (ISSUER, COMPLIANCE, KYC_PROVIDER, SMALL_KYC, A, B, D, E, F, G)
CHAIN_ID = 71
GAS = 200_000_000


def addr(key: Keypair) -> bytes:
    return abi.account_address(bytes(key.public))


class Driver:
    """Signs, submits and reads back, checking that the four nodes agree at every step."""

    def __init__(self, net: Devnet) -> None:
        self.net = net
        config = json.loads((net.directory / "devnet.json").read_text())
        self.secrets = {role: load_key_file(net.directory / name) for role, name in config["roles"].items()}
        self.contracts: dict[str, str] = dict(config["contracts"])
        self.nonces: dict[str, int] = {}
        self.turn = 0

    def secret(self, who: Keypair | str) -> bytes:
        return bytes(who.secret) if isinstance(who, Keypair) else bytes(self.secrets[who])

    def _next_nonce(self, secret: bytes) -> int:
        public = public_key_of(secret)
        self.nonces[public] = self.nonces.get(public, 0) + 1
        return self.nonces[public]

    def call(self, who: Keypair | str, contract: str, fn: str, args: bytes = b"") -> tuple[str, bytes]:
        secret = self.secret(who)
        return sign_contract_call(
            secret_key=secret,
            chain_id=CHAIN_ID,
            contract=self.contracts.get(contract, contract),
            fn_name=fn,
            fn_args=args,
            nonce=self._next_nonce(secret),
            gas_limit=GAS,
        )

    def deploy(self, who: Keypair, name: str, init_args: bytes, deploy_nonce: int) -> tuple[str, bytes, str]:
        secret = self.secret(who)
        return sign_contract_deploy(
            secret_key=secret,
            chain_id=CHAIN_ID,
            bytecode=abi.get_contract_code(name),
            init_args=init_args,
            deploy_nonce=deploy_nonce,
            nonce=self._next_nonce(secret),
        )

    def run(self, *signed: tuple[str, bytes]) -> list[dict[str, Any]]:
        """Submits each transaction to the next node, waits until all four included all of
        them, checks their receipts agree everywhere and returns them in order."""
        for tx in signed:
            with NodeClient([self.net.urls[self.turn % 4]]) as client:
                client.submit_transaction(tx[1])
            self.turn += 1
        ids = [tx[0] for tx in signed]
        receipts_per_node = []
        for url in self.net.urls:
            with NodeClient([url]) as client:
                infos = wait_for(functools.partial(_all_included, client, ids), timeout=90, poll=0.2)
            receipts_per_node.append([info.receipt for info in infos])
        assert all(r == receipts_per_node[0] for r in receipts_per_node), "receipts differ between nodes"
        return receipts_per_node[0]

    def query(self, contract: str, fn: str, args: bytes = b"") -> bytes:
        answers = []
        for url in self.net.urls:
            with NodeClient([url]) as client:
                answers.append(client.query_contract(self.contracts.get(contract, contract), fn, args))
        assert len(set(answers)) == 1, f"nodes answer {fn} differently"
        return answers[0]

    def codes(self, contract: str, fn: str, args: bytes) -> list[Code]:
        return abi.decode_codes(self.query(contract, fn, args))

    def balance(self, contract: str, holder: Keypair) -> int:
        return abi.decode_u64(self.query(contract, "balance_of", addr(holder)))


def _all_included(client: NodeClient, ids: list[str]) -> list[Any] | None:
    try:
        infos = [client.get_transaction(i) for i in ids]
    except RpcError as exc:  # gossip has not brought it to this node yet
        if exc.reason == "not_found":
            return None
        raise
    return infos if all(info.status == "included" for info in infos) else None


def succeeded(receipts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    assert [r["status"] for r in receipts] == ["success"] * len(receipts), receipts
    return receipts


def failed_with(receipt: dict[str, Any], code: str) -> None:
    assert (receipt["status"], receipt["error"]) == ("failed", code), receipt


def topics(receipt: dict[str, Any]) -> list[str]:
    return [e["topic"] for e in receipt["events"]]


def event_data(receipt: dict[str, Any], topic: str) -> bytes:
    return bytes.fromhex(next(e["data"] for e in receipt["events"] if e["topic"] == topic)[2:])


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Driver]:
    net = Devnet(tmp_path, funds={k.public.hex(): 10**15 for k in FUNDED})
    for index in range(4):
        net.start(index)
    try:
        wait_for(lambda: all((h := net.head(i)) and h[0] >= 1 for i in range(4)), timeout=90, poll=0.2)
        yield Driver(net)
        _assert_same_final_blocks(net)
    finally:
        net.stop_all()


def _assert_same_final_blocks(net: Devnet) -> None:
    """Equal block hashes commit equal state roots (the header hashes ``state_hash``)."""
    top = max(net.head(i)[0] for i in range(4))  # type: ignore[index]
    wait_for(lambda: min(net.final_height(i) for i in range(4)) >= top, timeout=120, poll=0.2)
    for height in range(1, top + 1):
        assert len({net.block_hash(i, height) for i in range(4)}) == 1, f"nodes differ at height {height}"


def test_genesis_contracts_every_function_and_rule_code_on_four_nodes(driver: Driver) -> None:
    d = driver
    now = int(time.time())
    expiry = now + 10**7
    evidence = bytes(range(32))

    def claim(who: Keypair, subject: Keypair, topic: Topic, value: int = 1, until: int = expiry):
        args = abi.encode_claim(
            subject=addr(subject), topic=topic, value=value, expiry=until, evidence_hash=evidence
        )
        return d.call(who, "identity_registry", "add_claim", args)

    def trust(issuer: Keypair, *topics_: Topic) -> tuple[str, bytes]:
        bits = sum(1 << t for t in topics_).to_bytes(4, "little")
        return d.call("operator", "identity_registry", "add_trusted_issuer", bytes(issuer.public) + bits)

    # ---- cash, registry trust, and the bond's deployment --------------------------------------
    registry = d.contracts["identity_registry"]
    init = abi.encode_security_token_init(
        issuer_agent=bytes(ISSUER.public),
        compliance_agent=bytes(COMPLIANCE.public),
        registry=bytes.fromhex(registry[2:]),
        isin="US91282CEQ06",
        terms_hash=bytes(32),
        decimals=0,
    )
    deploy_id, deploy_raw, bond = d.deploy(ISSUER, "security_token", init, deploy_nonce=1)
    receipts = d.run(
        trust(KYC_PROVIDER, *Topic),
        trust(SMALL_KYC, Topic.KYC_VERIFIED),
        d.call("cash_issuer", "cash_token", "mint", abi.encode_address_amount(addr(A), 1_000_000)),
        d.call("cash_issuer", "cash_token", "mint", abi.encode_address_amount(addr(B), 500_000)),
        (deploy_id, deploy_raw),
        d.call(D, "cash_token", "mint", abi.encode_address_amount(addr(D), 5)),
    )
    succeeded(receipts[:5])
    failed_with(receipts[5], "panic.not_authorised")
    assert topics(receipts[0]) == ["trusted_issuer"]
    assert "mint" in topics(receipts[2])
    assert (
        d.query("identity_registry", "is_trusted_issuer", bytes(KYC_PROVIDER.public) + bytes([3])) == b"\x01"
    )
    assert d.query("identity_registry", "is_trusted_issuer", bytes(SMALL_KYC.public) + bytes([3])) == b"\x00"
    info = abi.decode_security_token_info(d.query(bond, "info"))
    assert (info.isin, info.holder_count, info.total_supply, info.paused) == ("US91282CEQ06", 0, 0, False)
    cash_issuer = bytes.fromhex(public_key_of(d.secret("cash_issuer"))[2:])
    assert d.query("cash_token", "info") == cash_issuer + b"EUR" + bytes([2])

    # ---- claims, the bond's conditions, primary issuance --------------------------------------
    kyc_only = [abi.Condition(Topic.KYC_VERIFIED, HAS)]
    kyc_not_us = [*kyc_only, abi.Condition(Topic.JURISDICTION, NOT_IN, (abi.encode_country("US"),))]
    receipts = d.run(
        claim(KYC_PROVIDER, A, Topic.KYC_VERIFIED),
        claim(KYC_PROVIDER, A, Topic.JURISDICTION, abi.encode_country("DE")),
        claim(KYC_PROVIDER, A, Topic.INVESTOR_CATEGORY, abi.InvestorCategory.PROFESSIONAL),
        claim(KYC_PROVIDER, B, Topic.KYC_VERIFIED),
        claim(KYC_PROVIDER, B, Topic.JURISDICTION, abi.encode_country("FR")),
        claim(KYC_PROVIDER, B, Topic.INVESTOR_CATEGORY, abi.InvestorCategory.RETAIL),
        claim(KYC_PROVIDER, D, Topic.KYC_VERIFIED),
        claim(KYC_PROVIDER, D, Topic.JURISDICTION, abi.encode_country("US")),
        claim(KYC_PROVIDER, G, Topic.KYC_VERIFIED),
        claim(KYC_PROVIDER, E, Topic.ACCREDITED, until=now - 1),
        claim(SMALL_KYC, E, Topic.KYC_VERIFIED),
        claim(D, A, Topic.ACCREDITED),
        d.call(
            ISSUER, bond, "set_conditions", abi.encode_conditions(sender=[kyc_only], receiver=[kyc_not_us])
        ),
        d.call(ISSUER, bond, "issue", abi.encode_address_amount(addr(A), 10_000)),
        d.call(ISSUER, bond, "issue", abi.encode_address_amount(addr(D), 1)),
    )
    succeeded(receipts[:9] + [receipts[10]] + receipts[12:14])
    failed_with(receipts[9], "panic.invalid_expiry")
    failed_with(receipts[11], "panic.not_authorised")
    failed_with(receipts[14], "panic.receiver_conditions")
    assert topics(receipts[0]) == ["claim_added"]
    assert topics(receipts[13])[-1] == "issue"
    claims_a = abi.decode_claims(d.query("identity_registry", "claims_of", addr(A)))
    assert sorted((c.topic, c.value) for c in claims_a) == [
        (Topic.KYC_VERIFIED, 1),
        (Topic.JURISDICTION, abi.encode_country("DE")),
        (Topic.INVESTOR_CATEGORY, abi.InvestorCategory.PROFESSIONAL),
    ]
    assert {c.issuer for c in claims_a} == {bytes(KYC_PROVIDER.public)}
    assert [c.topic for c in abi.decode_claims(d.query("identity_registry", "claims_of", addr(E)))] == [1]

    # ---- secondary transfers, allowances, revocation and removal of an issuer -----------------
    dvp = abi.contract_address(bytes.fromhex(d.contracts["dvp"][2:]))
    receipts = d.run(
        d.call(A, bond, "transfer", abi.encode_address_amount(addr(B), 1_000)),
        d.call(A, bond, "transfer", abi.encode_address_amount(addr(F), 1)),
        d.call(A, bond, "approve", abi.encode_address_amount(dvp, 500)),
        d.call(B, "cash_token", "approve", abi.encode_address_amount(dvp, 50_000)),
        d.call(B, "cash_token", "approve", abi.encode_address_amount(addr(A), 10)),
        d.call(A, "cash_token", "transfer", abi.encode_address_amount(addr(B), 100)),
        d.call(D, "cash_token", "transfer", abi.encode_address_amount(addr(A), 1)),
        d.call(KYC_PROVIDER, "identity_registry", "revoke_claim", addr(B) + bytes([Topic.INVESTOR_CATEGORY])),
        d.call("operator", "identity_registry", "remove_trusted_issuer", bytes(SMALL_KYC.public)),
    )
    succeeded([receipts[0], *receipts[2:6], *receipts[7:]])
    failed_with(receipts[1], "panic.receiver_conditions")  # F holds no claim
    failed_with(receipts[6], "panic.insufficient_balance")
    assert abi.decode_claims(d.query("identity_registry", "claims_of", addr(E))) == []
    assert len(abi.decode_claims(d.query("identity_registry", "claims_of", addr(B)))) == 2
    assert abi.decode_u64(d.query("cash_token", "allowance", addr(B) + addr(A))) == 10
    assert abi.decode_u64(d.query(bond, "allowance", addr(A) + dvp)) == 500
    assert (d.balance(bond, A), d.balance(bond, B)) == (9_000, 1_000)

    # ---- a checkpoint, a renewal, transfer_from, DvP instructions -----------------------------
    bond_id = bytes.fromhex(bond[2:])
    cash_id = bytes.fromhex(d.contracts["cash_token"][2:])
    legs_1 = [abi.Leg(bond_id, addr(A), addr(B), 500), abi.Leg(cash_id, addr(B), addr(A), 50_000)]
    legs_2 = [abi.Leg(bond_id, addr(A), addr(B), 1), abi.Leg(cash_id, addr(B), addr(A), 1)]
    receipts = succeeded(
        d.run(
            d.call(ISSUER, bond, "checkpoint"),
            claim(KYC_PROVIDER, B, Topic.INVESTOR_CATEGORY, abi.InvestorCategory.PROFESSIONAL),
            d.call(A, "cash_token", "transfer_from", addr(B) + abi.encode_address_amount(addr(A), 10)),
            d.call(A, "dvp", "create", abi.encode_dvp_create(legs_1)),
            d.call(A, "dvp", "create", abi.encode_dvp_create(legs_2)),
        )
    )
    assert event_data(receipts[0], "checkpoint") == (1).to_bytes(4, "little") + (10_000).to_bytes(
        8, "little"
    ) + (2).to_bytes(4, "little")
    first, second = (abi.decode_dvp_created(event_data(r, "created")).instruction_id for r in receipts[3:5])
    assert second == first + 1
    categories = [
        c.value for c in abi.decode_claims(d.query("identity_registry", "claims_of", addr(B))) if c.topic == 3
    ]
    assert categories == [abi.InvestorCategory.PROFESSIONAL]
    assert abi.decode_u64(d.query("cash_token", "allowance", addr(B) + addr(A))) == 0

    receipts = d.run(
        d.call(A, "dvp", "affirm", abi.encode_u64(first)),
        d.call(B, "dvp", "affirm", abi.encode_u64(first)),
        d.call(A, "dvp", "settle", abi.encode_u64(second)),
        d.call(D, "dvp", "affirm", abi.encode_u64(first)),
    )
    succeeded(receipts[:3])
    failed_with(receipts[3], "panic.not_authorised")
    assert event_data(receipts[2], "settle_failed") == abi.encode_u64(second) + bytes([0, Code.NOT_AFFIRMED])
    succeeded(d.run(d.call(A, "dvp", "settle", abi.encode_u64(first))))
    assert (d.balance(bond, A), d.balance(bond, B)) == (8_500, 1_500)
    assert (d.balance("cash_token", A), d.balance("cash_token", B)) == (1_049_910, 450_090)
    assert abi.decode_u64(d.query(bond, "balance_at", addr(A) + (1).to_bytes(4, "little"))) == 9_000
    holders = abi.decode_holdings(
        d.query(bond, "holders_at", (1).to_bytes(4, "little") + bytes(4) + (100).to_bytes(2, "little"))
    )
    assert [(h.holder, h.balance) for h in holders] == [(addr(A), 9_000), (addr(B), 1_000)]

    # ---- a netting batch: one failing instruction reverts the whole batch ---------------------
    legs_3 = [abi.Leg(bond_id, addr(B), addr(A), 100), abi.Leg(cash_id, addr(A), addr(B), 1_000)]
    legs_4 = [abi.Leg(bond_id, addr(B), addr(A), 1_000_000), abi.Leg(cash_id, addr(A), addr(B), 1)]
    receipts = succeeded(
        d.run(
            d.call(B, bond, "approve", abi.encode_address_amount(dvp, 100)),
            d.call(A, "cash_token", "approve", abi.encode_address_amount(dvp, 1_000)),
            d.call(A, "dvp", "create", abi.encode_dvp_create(legs_3)),
            d.call(A, "dvp", "create", abi.encode_dvp_create(legs_4)),
        )
    )
    third, fourth = (abi.decode_dvp_created(event_data(r, "created")).instruction_id for r in receipts[2:4])
    succeeded(
        d.run(
            d.call(A, "dvp", "affirm", abi.encode_u64(third)),
            d.call(A, "dvp", "affirm", abi.encode_u64(fourth)),
            d.call(B, "dvp", "affirm", abi.encode_u64(third)),
            d.call(B, "dvp", "affirm", abi.encode_u64(fourth)),
        )
    )
    (batch,) = succeeded(
        d.run(d.call(A, "dvp", "settle_batch", abi.encode_dvp_settle_batch([third, fourth])))
    )
    assert event_data(batch, "settle_failed") == abi.encode_u64(fourth) + bytes(
        [0, Code.INSUFFICIENT_BALANCE]
    )
    assert abi.decode_dvp_settle_failed(event_data(batch, "settle_failed")) == abi.DvpSettleFailed(
        fourth, 0, Code.INSUFFICIENT_BALANCE
    )
    assert (d.balance(bond, A), d.balance(bond, B)) == (8_500, 1_500)
    (batch,) = succeeded(d.run(d.call(A, "dvp", "settle_batch", abi.encode_dvp_settle_batch([third]))))
    assert abi.decode_dvp_settled(event_data(batch, "settled")) == third
    assert d.query("dvp", "status_of", abi.encode_u64(third)) == bytes([1, 2, 0b11])
    assert (d.balance(bond, A), d.balance(bond, B)) == (8_600, 1_400)

    # ---- rule codes 1-3: paused and frozen; a forced transfer ignores them -------------------
    succeeded(d.run(d.call(ISSUER, bond, "pause"), d.call(COMPLIANCE, bond, "freeze", addr(B) + b"\x01")))
    assert d.codes(bond, "check_transfer", addr(A) + abi.encode_address_amount(addr(B), 1)) == [
        Code.PAUSED,
        Code.RECEIVER_FROZEN,
    ]
    assert d.codes(bond, "check_transfer", addr(B) + abi.encode_address_amount(addr(A), 1)) == [
        Code.PAUSED,
        Code.SENDER_FROZEN,
    ]
    assert d.query(bond, "is_frozen", addr(B)) == b"\x01"
    receipts = d.run(
        d.call(A, bond, "transfer", abi.encode_address_amount(addr(B), 1)),
        d.call(
            COMPLIANCE,
            bond,
            "force_transfer",
            addr(B) + abi.encode_address_amount(addr(A), 400) + (7).to_bytes(2, "little"),
        ),
        d.call(A, bond, "freeze", addr(B) + b"\x00"),
    )
    failed_with(receipts[0], "panic.paused")
    succeeded([receipts[1]])
    failed_with(receipts[2], "panic.not_authorised")
    assert (d.balance(bond, A), d.balance(bond, B)) == (9_000, 1_000)
    succeeded(d.run(d.call(ISSUER, bond, "unpause"), d.call(COMPLIANCE, bond, "freeze", addr(B) + b"\x00")))

    # ---- rule codes 4-7, 12, 13 ---------------------------------------------------------------
    assert d.codes(bond, "check_transfer", addr(A) + abi.encode_address_amount(addr(B), 10**6)) == [
        Code.INSUFFICIENT_BALANCE
    ]
    assert d.codes(
        bond, "check_transfer_from", addr(D) + addr(A) + abi.encode_address_amount(addr(B), 1)
    ) == [Code.INSUFFICIENT_ALLOWANCE]
    assert d.codes(bond, "check_transfer", addr(E) + abi.encode_address_amount(addr(A), 1)) == [
        Code.INSUFFICIENT_BALANCE,
        Code.SENDER_CONDITIONS,
    ]
    assert d.codes(bond, "check_transfer", addr(A) + abi.encode_address_amount(addr(D), 1)) == [
        Code.RECEIVER_CONDITIONS
    ]
    assert d.codes(bond, "check_transfer", addr(A) + abi.encode_address_amount(addr(F), 1)) == [
        Code.RECEIVER_CONDITIONS
    ]
    assert d.codes(bond, "check_transfer", addr(A) + abi.encode_address_amount(addr(B), 0)) == [
        Code.INVALID_AMOUNT
    ]
    assert d.codes(bond, "check_transfer", addr(A) + abi.encode_address_amount(addr(A), 1)) == [
        Code.SELF_TRANSFER
    ]
    assert d.codes(bond, "check_transfer", addr(A) + abi.encode_address_amount(addr(B), 1)) == []

    # ---- rule codes 8-11: limits --------------------------------------------------------------
    limits = abi.encode_limits(max_holders=2, max_ownership_bps=9_500, lockup_until=expiry, min_holding=100)
    succeeded(d.run(d.call(ISSUER, bond, "set_limits", limits)))
    assert d.codes(bond, "check_transfer", addr(A) + abi.encode_address_amount(addr(G), 100)) == [
        Code.MAX_HOLDERS,
        Code.LOCKUP,
    ]
    assert d.codes(bond, "check_transfer", addr(B) + abi.encode_address_amount(addr(A), 600)) == [
        Code.MAX_OWNERSHIP,
        Code.LOCKUP,
    ]
    assert d.codes(bond, "check_transfer", addr(B) + abi.encode_address_amount(addr(A), 950)) == [
        Code.MAX_OWNERSHIP,
        Code.LOCKUP,
        Code.MIN_HOLDING,
    ]
    receipts = d.run(
        d.call(A, bond, "transfer", abi.encode_address_amount(addr(B), 1)),
        d.call(ISSUER, bond, "issue", abi.encode_address_amount(addr(G), 1)),
    )
    failed_with(receipts[0], "panic.lockup")
    failed_with(receipts[1], "panic.max_holders")
    assert abi.decode_u32(d.query(bond, "holder_count")) == 2

    # ---- redemption, burns, the cash issuer's freeze ------------------------------------------
    receipts = succeeded(
        d.run(
            d.call(ISSUER, bond, "set_limits", abi.encode_limits()),
            d.call(ISSUER, bond, "redeem", abi.encode_address_amount(addr(A), 1_000)),
            d.call(A, bond, "burn", abi.encode_u64(10)),
            d.call("cash_issuer", "cash_token", "burn", abi.encode_address_amount(addr(A), 910)),
            d.call("cash_issuer", "cash_token", "freeze", addr(B) + b"\x01"),
        )
    )
    info = abi.decode_security_token_info(d.query(bond, "info"))
    assert (info.total_supply, info.holder_count, d.balance(bond, A)) == (8_990, 2, 7_990)
    assert abi.decode_u64(d.query("cash_token", "total_supply")) == 1_500_000 - 910
    assert d.query("cash_token", "is_frozen", addr(B)) == b"\x01"
    assert d.codes(
        "cash_token", "check_transfer_from", dvp + addr(B) + abi.encode_address_amount(addr(A), 1)
    ) == [
        Code.SENDER_FROZEN,
        Code.INSUFFICIENT_ALLOWANCE,  # the first settlement spent B's 50,000
    ]
    (receipt,) = d.run(d.call(B, "cash_token", "transfer", abi.encode_address_amount(addr(A), 1)))
    failed_with(receipt, "panic.sender_frozen")
