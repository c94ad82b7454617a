"""Transfer rules, breaches and compliance actions on a real four-node devnet.

Claims are issued in the tests through the outbox: the operator (the registry's admin)
trusts a KYC provider's account, which adds claims with ``add_claim``. Holders that must
lack claims are client accounts with fresh keys, so claims other tests left on the shared
chain cannot satisfy them."""

from __future__ import annotations

import datetime
import hashlib
import io
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from pypdf import PdfWriter

from chain.node.client import contract_abi as abi
from common.exceptions import InvalidInput, PermissionDeniedError
from common.models import AuditEntry
from compliance import breaches, enforcement, rulesets, selectors
from compliance.models import ActionStatus, Breach, BreachSource, ComplianceAction, RuleSet, RuleSetStatus
from identity.models import ClientAccount, Organisation, User
from identity.roles import OrganisationKind, Role
from identity.services import client_account_chain_account_create
from identity.signals import kyc_claims_lapsed
from issuance.models import Instrument
from ledger import outbox
from ledger.indexer import index_final_events
from ledger.models import ChainAccount, ChainSubmission
from settlement.models import InstructionStatus, SettlementInstruction, Side
from tests.factories import OrganisationFactory
from tests.issuance.test_onchain import _live_bond, pump
from tests.platformchain import ChainPlatform

T = abi.TransferCode
ALL_TOPICS = sum(1 << t for t in abi.ClaimTopic)
DE = abi.encode_country("DE")
US = abi.encode_country("US")


def pdf_bytes() -> bytes:
    out = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.write(out)
    return out.getvalue()


class World:
    """A live bond, two compliance officers of its issuer, a trusted KYC provider, holders."""

    def __init__(
        self, chain: ChainPlatform, maker: User, approver: User, make_user: Callable[..., User], isin: str
    ):
        self.chain = chain
        self.bond: Instrument = _live_bond(chain, maker, approver, isin=isin)
        issuer = self.bond.issuer
        self.officer = make_user(issuer, Role.COMPLIANCE_OFFICER)
        self.checker = make_user(issuer, Role.COMPLIANCE_OFFICER)
        operator = OrganisationFactory.create(kind=OrganisationKind.OPERATOR)
        chain.attach(operator, role="operator")
        self.kyc = OrganisationFactory.create(kind=OrganisationKind.KYC_PROVIDER)
        kyc_account = chain.attach(self.kyc)
        self.wait(
            outbox.chain_call_enqueue(
                organisation=operator,
                kind="test.trust",
                contract="genesis:identity_registry",
                fn_name="add_trusted_issuer",
                fn_args=bytes.fromhex(kyc_account.public_key.removeprefix("0x"))
                + ALL_TOPICS.to_bytes(4, "little"),
            )
        )
        self.broker = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Broker")
        self.fund = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Fund A")
        chain.attach(self.fund)

    def client(self, reference: str) -> ChainAccount:
        client = ClientAccount.objects.create(
            broker=self.broker,
            account_reference=reference,
            name=f"Client {reference}",
            holder_type="natural_person",
        )
        return client_account_chain_account_create(client_account=client)

    def wait(self, *submissions: ChainSubmission) -> list[ChainSubmission]:
        done = self.chain.settle(list(submissions))
        assert all(s.succeeded for s in done), [(s.fn_name, s.error) for s in done]
        return done

    def claims(self, address: bytes, *, expiry: int, jurisdiction: int = DE) -> ChainSubmission:
        last = None
        for topic, value in ((abi.ClaimTopic.KYC_VERIFIED, 1), (abi.ClaimTopic.JURISDICTION, jurisdiction)):
            last = outbox.chain_call_enqueue(
                organisation=self.kyc,
                kind="test.claim",
                contract="genesis:identity_registry",
                fn_name="add_claim",
                fn_args=abi.encode_claim(
                    subject=address,
                    topic=topic,
                    value=value,
                    expiry=expiry,
                    evidence_hash=hashlib.sha256(address).digest(),
                ),
            )
        assert last is not None
        return last

    def issue(self, address: bytes, units: int, after: ChainSubmission | None = None) -> ChainSubmission:
        return outbox.chain_call_enqueue(
            organisation=self.bond.issuer,
            kind="test.issue",
            contract=self.bond.contract_id,
            fn_name="issue",
            fn_args=abi.encode_address_amount(address, units),
            after=after,
        )

    def pair(self, seller: ChainAccount, buyer: ChainAccount, units: int) -> SettlementInstruction:
        """A matched buy and sell of ``units`` between two client accounts (not yet settled);
        returns the sell."""
        trader = User.objects.create(username=f"trader-{units}", organisation=self.broker)
        assert seller.client_account is not None
        assert buyer.client_account is not None
        common: dict[str, Any] = {
            "broker": self.broker,
            "counterparty": self.broker,
            "instrument": self.bond,
            "quantity": Decimal(units * 1000),
            "price": Decimal(100),
            "trade_date": datetime.date(2026, 9, 15),
            "intended_settlement_date": datetime.date(2026, 9, 16),
            "currency": "EUR",
            "accrued_interest": Decimal(0),
            "settlement_amount": Decimal(units * 1000),
            "status": InstructionStatus.MATCHED,
            "created_by": trader,
        }
        buy = SettlementInstruction.objects.create(
            client_account=buyer.client_account, side=Side.BUY, reference=f"BUY-{units}", **common
        )
        sell = SettlementInstruction.objects.create(
            client_account=seller.client_account,
            side=Side.SELL,
            reference=f"SELL-{units}",
            matched_with=buy,
            **common,
        )
        buy.matched_with = sell
        buy.save()
        return sell

    def head_time(self) -> int:
        with self.chain.client as client:
            return client.get_head().timestamp

    def codes(self, sender: bytes, receiver: bytes, units: int) -> list[int]:
        with self.chain.client as client:
            answer = client.query_contract(
                self.bond.contract_id, "check_transfer", sender + receiver + units.to_bytes(8, "little")
            )
        return [int(c) for c in abi.decode_codes(answer)]

    def indexed(self) -> None:
        pump(
            self.chain,
            lambda: (
                not ChainSubmission.objects.filter(
                    status__in=["queued", "signed", "submitted", "included"]
                ).exists()
            ),
        )
        height = max(
            h for h in ChainSubmission.objects.values_list("block_height", flat=True) if h is not None
        )
        pump(self.chain, lambda: index_final_events()["height"] >= height)

    def apply(self, values: dict[str, Any]) -> RuleSet:
        draft = rulesets.rule_set_draft_save(actor=self.officer, instrument_id=self.bond.pk, values=values)
        rulesets.rule_set_submit(actor=self.officer, rule_set_id=draft.pk)
        with pytest.raises(PermissionDeniedError) as refused:
            rulesets.rule_set_approve(actor=self.officer, rule_set_id=draft.pk)
        assert refused.value.code == "maker_cannot_approve"
        approved = rulesets.rule_set_approve(actor=self.checker, rule_set_id=draft.pk)
        assert approved.status == RuleSetStatus.APPROVED
        pump(self.chain, lambda: RuleSet.objects.get(pk=draft.pk).status != RuleSetStatus.APPROVED)
        applied = RuleSet.objects.get(pk=draft.pk)
        assert applied.status == RuleSetStatus.APPLIED, applied.error
        return applied


@pytest.fixture
def world(
    chain_platform: ChainPlatform, issuer: Organisation, maker: User, approver: User, make_user, request
) -> World:
    chain_platform.attach(issuer)
    isin = {"test_rules_breaches_and_the_evaluator_on_chain": "XS0000000066"}.get(
        request.node.name, "XS0000000074"
    )
    return World(chain_platform, maker, approver, make_user, isin)


RULES = {
    "kyc_required": True,
    "allowed_jurisdictions": ["DE", "FR"],
    "max_holders": 10,
    "max_ownership_bps": 5_000,
    "min_holding_quantity": "5000",  # 5 units of 1,000 nominal
}


def test_rules_breaches_and_the_evaluator_on_chain(world: World, api_client_for) -> None:
    w = world
    a = w.fund.chain_account.address
    b_account, d_account = w.client("B"), w.client("D")  # fresh keys: no claims anywhere
    b, d = b_account.address, d_account.address
    far = w.head_time() + 3_600
    w.wait(w.claims(a, expiry=far), w.claims(d, expiry=far))
    w.wait(w.issue(a, 100), w.issue(b, 100), w.issue(d, 100))
    w.indexed()

    # the preview of a draft lists B (no claims) with receiver_conditions, not A or D, and the
    # open instruction delivering to B; D's sale of 97 would also leave D below the minimum
    sell = w.pair(d_account, b_account, 97)
    draft = rulesets.rule_set_draft_save(actor=w.officer, instrument_id=w.bond.pk, values=RULES)
    assert draft.min_holding == 5
    preview = rulesets.rule_set_preview(user=w.officer, rule_set=draft)
    assert [(f.holder, f.code) for f in preview.holders] == [(b.hex(), 7)]
    assert "has no valid KYC claim and" in preview.holders[0].explanation
    assert [(f.holder, f.code, f.instruction) for f in preview.instructions] == [
        (b.hex(), 7, sell),
        (b.hex(), 9, sell),  # B would hold 197 of 300: above 50 %
        (d.hex(), 11, sell),
    ]
    assert preview.instructions[2].explanation == (
        "Client D (D, Broker) would keep 3 units, below the minimum holding of 5 units"
    )
    draft.delete()

    applied = w.apply(RULES)
    assert applied.applied_height is not None
    opened = list(Breach.objects.filter(instrument=w.bond))
    assert [(x.holder, x.code, x.source) for x in opened] == [(b.hex(), 7, BreachSource.RULE_CHANGE)]

    # a transfer to a holder without the claims is rejected ON CHAIN with receiver_conditions
    fresh = w.client("F").address
    transfer = outbox.chain_call_enqueue(
        organisation=w.fund,
        kind="test.transfer",
        contract=w.bond.contract_id,
        fn_name="transfer",
        fn_args=abi.encode_address_amount(fresh, 10),
    )
    (done,) = w.chain.settle([transfer])
    assert (done.status, done.succeeded) == (ChainSubmission.Status.FINAL, False)
    assert done.error == "panic.receiver_conditions", done.error

    # the evaluator (Python) gives the chain's codes, case by case
    cases = [
        (a, fresh, 10, [7]),
        (b, a, 10, []),
        (a, a, 0, [12, 13]),
        (a, fresh, 10**6, [4, 7, 9]),
        (a, d, 80, [9]),  # D would hold 180 of 300: above 50 %
        (a, d, 97, [9, 11]),  # A would keep 3 units, below the minimum of 5
        (d, fresh, 1, [7, 11]),
    ]
    for sender, receiver, units, expected in cases:
        assert w.codes(sender, receiver, units) == expected, (units, expected)
        check = selectors.pre_trade_check(
            user=w.officer,
            instrument_id=w.bond.pk,
            sender={"address": sender.hex()},
            receiver={"address": receiver.hex()},
            quantity=Decimal(units * 1000),
        )
        assert (check.chain_codes, check.evaluator_agrees) == (expected, True), (
            check.chain_codes,
            check.evaluator_codes,
        )
    check = selectors.pre_trade_check(
        user=w.officer,
        instrument_id=w.bond.pk,
        sender={"organisation": w.fund.lei},
        receiver={"address": "0x" + fresh.hex()},
        quantity=Decimal(10_000),
    )
    assert [(f.code, f.number) for f in check.failures] == [("receiver_conditions", 7)]
    explanation = check.failures[0].explanation
    answer = api_client_for(w.officer).post(
        "/api/v1/pre-trade-checks/",
        {
            "instrument": str(w.bond.pk),
            "sender": {"organisation": w.fund.lei},
            "receiver": {"client_account": str(ClientAccount.objects.get(account_reference="F").pk)},
            "quantity": "10000",
        },
        format="json",
    )
    assert answer.status_code == 404  # a broker's client account: not one the officer may know
    answer = api_client_for(w.officer).post(
        "/api/v1/pre-trade-checks/",
        {
            "instrument": str(w.bond.pk),
            "sender": {"organisation": w.fund.lei},
            "receiver": {"address": fresh.hex()},
            "quantity": "10000",
        },
        format="json",
    )
    body = answer.json()
    assert (answer.status_code, body["allowed"], body["units"], body["evaluator_agrees"]) == (
        200,
        False,
        10,
        True,
    )
    assert [(f["code"], f["number"], f["explanation"]) for f in body["failures"]] == [
        ("receiver_conditions", 7, explanation)
    ]
    assert explanation.endswith(
        "has no valid KYC claim and Client F (F, Broker) has no valid jurisdiction claim in {DE, FR}"
    )

    # C: claims that expire soon; tokens once they are Final. The scan finds C when they lapse.
    c = w.client("C").address
    expiry = w.head_time() + 30
    claimed = w.claims(c, expiry=expiry)
    w.wait(claimed, w.issue(c, 50, after=claimed))
    w.indexed()
    assert breaches.breach_scan_all() == 0  # still valid
    deadline = time.monotonic() + 60
    while w.head_time() < expiry:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert breaches.breach_scan_all() == 1
    assert Breach.objects.filter(holder=c.hex(), code=7, source=BreachSource.SCAN).count() == 1
    assert breaches.breach_scan_all() == 0  # no duplicate open breach

    # D: its jurisdiction claim is revoked; the KYC app's signal surfaces D at once
    w.wait(
        outbox.chain_call_enqueue(
            organisation=w.kyc,
            kind="test.revoke",
            contract="genesis:identity_registry",
            fn_name="revoke_claim",
            fn_args=d + bytes([abi.ClaimTopic.JURISDICTION]),
        )
    )
    d_account = ChainAccount.objects.get(public_key="0x" + d[1:].hex())
    with transaction.atomic():
        kyc_claims_lapsed.send(
            sender=None, chain_account_ids=[str(d_account.pk)], topics=[2], reason="revoked"
        )
    lapsed = Breach.objects.get(holder=d.hex(), code=7)
    assert lapsed.source == BreachSource.CLAIMS_LAPSED
    assert "no valid jurisdiction claim in {DE, FR}" in lapsed.explanation
    assert AuditEntry.objects.filter(action="breach.open", object_id=str(lapsed.pk)).exists()


def test_forced_transfer_freeze_and_pause_on_chain(world: World) -> None:
    w = world
    a = w.fund.chain_account.address
    e = w.client("E").address
    w.wait(w.issue(a, 100))
    w.indexed()
    pdf = pdf_bytes()

    def propose(**changes: Any) -> ComplianceAction:
        arguments: dict[str, Any] = {
            "actor": w.officer,
            "instrument_id": w.bond.pk,
            "holder": a.hex(),
            "receiver": "0x" + e.hex(),
            "quantity": Decimal(30_000),
            "reason_code": 2,
            "reason_text": "Court order 2026/17 of the Amtsgericht",
            "document": SimpleUploadedFile("order.pdf", pdf, content_type="application/pdf"),
        }
        return enforcement.forced_transfer_propose(**{**arguments, **changes})

    before = AuditEntry.objects.count()
    for changes, field in (
        ({"reason_text": "  "}, "reason_text"),
        ({"document": None}, "document"),
        ({"document": SimpleUploadedFile("x.pdf", b"not a pdf")}, "document"),
        ({"reason_code": 0}, "reason_code"),
        ({"quantity": Decimal(500_000)}, "quantity"),
    ):
        with pytest.raises(InvalidInput) as refused:
            propose(**changes)
        assert refused.value.code == "invalid_forced_transfer"
        assert field in refused.value.details
    assert (ComplianceAction.objects.count(), AuditEntry.objects.count()) == (0, before)

    action = propose()
    assert action.document_sha256 == hashlib.sha256(pdf).hexdigest()
    with pytest.raises(PermissionDeniedError) as denied:
        enforcement.forced_transfer_approve(actor=w.officer, action_id=action.pk)
    assert denied.value.code == "maker_cannot_approve"
    assert ComplianceAction.objects.get(pk=action.pk).status == ActionStatus.PENDING
    enforcement.forced_transfer_approve(actor=w.checker, action_id=action.pk)
    pump(w.chain, lambda: ComplianceAction.objects.get(pk=action.pk).status != ActionStatus.SUBMITTED)
    action.refresh_from_db()
    assert action.status == ActionStatus.EXECUTED
    assert action.executed_height
    with w.chain.client as client:
        assert abi.decode_u64(client.query_contract(w.bond.contract_id, "balance_of", e)) == 30
        assert abi.decode_u64(client.query_contract(w.bond.contract_id, "balance_of", a)) == 70
        events = client.get_transaction(action.submission.tx_id).receipt["events"]  # type: ignore[index, union-attr]
    assert any(ev["topic"] == "forced_transfer" for ev in events)
    trail = list(
        AuditEntry.objects.filter(object_id=str(action.pk))
        .order_by("sequence")
        .values_list("action", "actor_id")
    )
    assert trail == [
        ("compliance_action.forced_transfer_propose", w.officer.pk),
        ("compliance_action.forced_transfer_approve", w.checker.pk),
        ("compliance_action.forced_transfer_executed", None),
    ]

    # freeze A: the token reports sender_frozen; unfreeze clears it; pause: paused
    freeze = enforcement.account_freeze(
        actor=w.officer, instrument_id=w.bond.pk, holder=a.hex(), frozen=True, reason="suspicious activity"
    )
    pump(w.chain, lambda: ComplianceAction.objects.get(pk=freeze.pk).status == ActionStatus.EXECUTED)
    assert w.codes(a, e, 10) == [2]
    unfreeze = enforcement.account_freeze(
        actor=w.checker, instrument_id=w.bond.pk, holder=a.hex(), frozen=False, reason="cleared"
    )
    pause = enforcement.instrument_pause(
        actor=w.officer, instrument_id=w.bond.pk, paused=True, reason="corporate event"
    )
    pump(
        w.chain,
        lambda: all(
            ComplianceAction.objects.get(pk=x.pk).status == ActionStatus.EXECUTED for x in (unfreeze, pause)
        ),
    )
    assert w.codes(a, e, 10) == [1]
    with w.chain.client as client:
        assert abi.decode_security_token_info(client.query_contract(w.bond.contract_id, "info")).paused
    assert AuditEntry.objects.filter(action="compliance_action.pause", actor=w.officer).count() == 1
