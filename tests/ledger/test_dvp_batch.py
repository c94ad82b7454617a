"""The DvP batch service (``ledger.dvp``) driven by the real outbox against a scripted node
(tests/ledger/fakenode.py): the happy path and its order (approvals where short, create,
affirm once every create is Final, settle once every affirmation is Final), a create that
fails, an affirmation that fails, a settle_batch that fails on a leg (the typed outcome, and
netting's retry without that participant), a revert and a resubmission, a crash between
steps (however often a handler runs, nothing is created, affirmed or settled twice), and
batches that the earlier code started."""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable, Iterator
from decimal import Decimal

import pytest
from cryptography.fernet import Fernet
from django.conf import settings
from django.db import transaction

from chain.node.client import contract_abi as abi
from chain.node.client import generate_keypair
from common.models import AuditEntry
from corporate_actions import services as ca
from corporate_actions.models import CorporateAction, CorporateActionStatus, Entitlement
from identity.models import ClientAccount, Organisation, User
from identity.roles import OrganisationKind, Role
from issuance import allocation
from issuance.models import Allocation, AllocationStatus, Instrument, InstrumentStatus
from ledger import outbox
from ledger.dvp import MAX_ALLOWANCE, DvpLegFailed, compute_dvp_outcome
from ledger.models import ChainAccount, ChainSubmission
from settlement import netting, services
from settlement.models import CycleStatus, InstructionStatus, NettingCycle, SettlementInstruction
from tests.factories import OrganisationFactory
from tests.issuance.conftest import make_bond_terms
from tests.ledger.fakenode import FakeNode, NodeRefusal, Receipt, Tx, fake_node

GENESIS = {"cash_token": "0x" + "ca" * 32, "dvp": "0x" + "d0" * 32, "identity_registry": "0x" + "1d" * 32}
CASH, BOND = GENESIS["cash_token"], "0x" + "b0" * 32
Status = ChainSubmission.Status
Code = abi.TransferCode


class Answers:
    """The chain state the fake node's ``query_contract`` reports: EUR cash, balances that
    cover everything, no transfer rule that fails, and the allowances set here (else 0)."""

    def __init__(self) -> None:
        self.allowances: dict[tuple[str, bytes], int] = {}

    def __call__(self, contract: str, fn_name: str, args: bytes) -> bytes:
        if fn_name == "info" and contract == CASH:
            return bytes(48) + b"EUR" + bytes([2])
        if fn_name == "allowance":
            return abi.encode_u64(self.allowances.get((contract, args[:49]), 0))
        if fn_name == "balance_of":
            return abi.encode_u64(10**15)
        if fn_name == "check_transfer":
            return bytes([0])
        raise NodeRefusal("not_found")


@pytest.fixture
def answers() -> Answers:
    return Answers()


@pytest.fixture
def node(settings, answers: Answers, db: None) -> Iterator[FakeNode]:
    with fake_node(GENESIS, answers) as running:
        settings.GLOAM_NODE_URLS = [running.url]
        settings.GLOAM_CHAIN_ID = 71
        yield running


def _account(**owner: Organisation | ClientAccount) -> ChainAccount:
    secret, public = generate_keypair(os.urandom(64))
    return ChainAccount.objects.create(
        public_key=public,
        encrypted_secret_key=Fernet(settings.GLOAM_KEY_ENCRYPTION_KEY).encrypt(secret),
        **owner,
    )


def drive(node: FakeNode, *, final: bool = True) -> None:
    """One round of the worker's beat: flush every account, the node makes a block (Final or
    only Accepted), confirm."""
    for account in (
        ChainSubmission.objects.filter(status__in=[Status.QUEUED, Status.SIGNED])
        .values_list("chain_account_id", flat=True)
        .distinct()
    ):
        outbox.chain_outbox_flush(chain_account_id=str(account))
    node.produce(final=final)
    outbox.chain_outbox_confirm()


def pump(node: FakeNode, done: Callable[[], bool], rounds: int = 20) -> None:
    for _ in range(rounds):
        if done():
            return
        drive(node)
    raise AssertionError("the batch did not finish")


def settle_everything(node: FakeNode, rounds: int = 8) -> None:
    """More rounds after the outcome: nothing further may be sent."""
    for _ in range(rounds):
        drive(node)


# -- allocations: one DvP batch per allocation -----------------------------------------------
@pytest.fixture
def bond(node: FakeNode, issuer: Organisation) -> Instrument:
    _account(organisation=issuer)
    return Instrument.objects.create(
        **make_bond_terms(), issuer=issuer, status=InstrumentStatus.LIVE, contract_id=BOND
    )


@pytest.fixture
def fund(bond: Instrument) -> Organisation:
    fund = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Fund")
    _account(organisation=fund)
    return fund


def _allocate(maker: User, bond: Instrument, *funds: Organisation) -> list[Allocation]:
    rows = [{"investor_lei": f.lei, "quantity": "5000", "price": "100"} for f in funds]
    batch = allocation.allocation_batch_create(actor=maker, instrument_id=bond.pk, rows=rows)
    return list(batch.allocations.order_by("created_at", "id"))


def _finished(*allocations: Allocation) -> Callable[[], bool]:
    def done() -> bool:
        statuses = Allocation.objects.filter(pk__in=[a.pk for a in allocations]).values_list(
            "status", flat=True
        )
        return all(s in (AllocationStatus.SETTLED, AllocationStatus.FAILED) for s in statuses)

    return done


def _address(organisation: Organisation) -> bytes:
    return ChainAccount.objects.get(organisation=organisation).address


def test_a_batch_approves_where_short_creates_affirms_then_settles_once(node, answers, maker, bond, fund):
    other = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Other Fund")
    _account(organisation=other)
    for payer in (fund, other):  # the funds approved the DvP contract before; the issuer has not
        answers.allowances[(CASH, _address(payer))] = MAX_ALLOWANCE
    first, second = _allocate(maker, bond, fund, other)
    pump(node, _finished(first, second))
    settle_everything(node)

    issuer = _address(bond.issuer)
    (approval,) = node.included("approve")  # one standing approval serves both batches
    assert (approval.sender, approval.contract) == (issuer, BOND)
    dvp = abi.contract_address(bytes.fromhex(GENESIS["dvp"][2:]))
    assert approval.fn_args == abi.encode_address_amount(dvp, MAX_ALLOWANCE)
    creates, affirms, settles = (
        node.included("create"),
        node.included("affirm"),
        node.included("settle_batch"),
    )
    assert [c.sender for c in creates] == [issuer, issuer]
    for row, payer in ((first, fund), (second, other)):
        row.refresh_from_db()
        instruction = row.dvp_instruction_id
        assert instruction is not None
        assert (row.status, row.failure_reason) == (AllocationStatus.SETTLED, "")
        mine = [a for a in affirms if a.fn_args == abi.encode_u64(instruction)]
        assert sorted(a.sender for a in mine) == sorted([issuer, _address(payer)])
        (settle,) = [s for s in settles if s.fn_args == abi.encode_dvp_settle_batch([instruction])]
        assert settle.sender == issuer
        (create,) = [c for c in creates if c.instruction == instruction]
        # each step waited for the one before to be Final: later blocks
        assert create.height < min(a.height for a in mine) <= max(a.height for a in mine) < settle.height
        assert row.settled_height == settle.height
        assert row.plan["outcome"] == {"status": "settled", "height": settle.height, "tx_index": settle.index}
    assert len(settles) == 2
    assert len(node.submitted) == len(node.transactions)  # nothing was sent twice


def test_the_settle_waits_until_every_affirmation_is_final(node, maker, bond, fund):
    (row,) = _allocate(maker, bond, fund)
    pump(node, lambda: ChainSubmission.objects.filter(kind=allocation.KIND_AFFIRM).exists())
    for affirm in ChainSubmission.objects.filter(kind=allocation.KIND_AFFIRM):
        outbox.chain_outbox_flush(chain_account_id=str(affirm.chain_account_id))
    issuer, payer = _address(bond.issuer), _address(fund)

    node.produce(only=lambda tx: tx.sender == issuer)  # the issuer's affirmation is Final
    outbox.chain_outbox_confirm()
    node.produce(final=False, only=lambda tx: tx.sender == payer)  # the payer's only Accepted
    outbox.chain_outbox_confirm()
    assert not ChainSubmission.objects.filter(kind=allocation.KIND_SETTLE).exists()
    row.refresh_from_db()
    assert row.status == AllocationStatus.INSTRUCTED

    node.finalize()
    outbox.chain_outbox_confirm()
    assert ChainSubmission.objects.filter(kind=allocation.KIND_SETTLE).count() == 1
    row.refresh_from_db()
    assert row.status == AllocationStatus.AFFIRMED
    pump(node, _finished(row))
    row.refresh_from_db()
    assert row.status == AllocationStatus.SETTLED


def test_a_create_that_fails_fails_the_batch_and_nothing_is_affirmed(node, maker, bond, fund):
    node.scripts["create"] = lambda tx: Receipt("failure", "panic.capacity")
    (row,) = _allocate(maker, bond, fund)
    pump(node, _finished(row))
    settle_everything(node)
    row.refresh_from_db()
    assert (row.status, row.failure_reason) == (
        AllocationStatus.FAILED,
        "DvP instruction not created: panic.capacity",
    )
    assert row.plan["outcome"] == {"status": "failed", "step": "create", "error": "panic.capacity"}
    assert node.included("affirm") == node.included("settle_batch") == []


def test_an_affirmation_that_fails_fails_the_batch_and_nothing_is_settled(node, maker, bond, fund):
    payer = _address(fund)
    node.scripts["affirm"] = lambda tx: (
        Receipt("failure", "panic.not_authorised") if tx.sender == payer else node.dvp_affirm(tx)
    )
    (row,) = _allocate(maker, bond, fund)
    pump(node, _finished(row))
    settle_everything(node)
    row.refresh_from_db()
    assert (row.status, row.failure_reason) == (
        AllocationStatus.FAILED,
        "affirmation failed: panic.not_authorised",
    )
    assert len(node.included("affirm")) == 2
    assert node.included("settle_batch") == []


def test_a_settle_batch_failing_on_a_leg_is_a_typed_outcome(node, maker, bond, fund):
    node.scripts["settle_batch"] = lambda tx: node.settle_failed(1, 1, Code.INSUFFICIENT_BALANCE)
    (row,) = _allocate(maker, bond, fund)
    pump(node, _finished(row))
    settle_everything(node)
    row.refresh_from_db()
    assert (row.status, row.failure_reason) == (AllocationStatus.FAILED, "insufficient_balance (leg 1)")
    settle = ChainSubmission.objects.get(kind=allocation.KIND_SETTLE)
    cash_leg = abi.Leg(bytes.fromhex(CASH[2:]), _address(fund), _address(bond.issuer), 500_000)
    outcome = compute_dvp_outcome(settle, row.plan)
    assert outcome == DvpLegFailed(1, 1, cash_leg, Code.INSUFFICIENT_BALANCE)
    assert isinstance(outcome, DvpLegFailed)
    assert (outcome.token, outcome.sender) == (cash_leg.token, cash_leg.sender)
    assert len(node.included("settle_batch")) == 1  # the owner does not retry an allocation


def test_a_reverted_and_a_forgotten_affirmation_are_followed_to_finality(node, maker, bond, fund):
    (row,) = _allocate(maker, bond, fund)
    pump(node, lambda: ChainSubmission.objects.filter(kind=allocation.KIND_AFFIRM).exists())
    for affirm in ChainSubmission.objects.filter(kind=allocation.KIND_AFFIRM):
        outbox.chain_outbox_flush(chain_account_id=str(affirm.chain_account_id))
    first, second = sorted(
        (t for t in node.transactions.values() if t.fn_name == "affirm"), key=lambda t: t.sender
    )
    node.forget(second)  # evicted from the node's mempool
    node.produce(final=False)  # the other one is included, not Final
    outbox.chain_outbox_confirm()
    rows = {s.tx_id: s for s in ChainSubmission.objects.filter(kind=allocation.KIND_AFFIRM)}
    assert (rows[first.tx_id].status, rows[first.tx_id].block_height) == (Status.INCLUDED, first.height)
    assert rows[second.tx_id].status == Status.SUBMITTED  # submitted again: the same bytes
    assert node.submitted.count(second.tx_id) == 2

    node.revert(first)  # its block is rolled back: pending again
    outbox.chain_outbox_confirm()
    first_row = ChainSubmission.objects.get(tx_id=first.tx_id)
    assert (first_row.status, first_row.block_height, first_row.finality) == (Status.SUBMITTED, None, "")
    assert not ChainSubmission.objects.filter(kind=allocation.KIND_SETTLE).exists()  # nothing Final yet

    pump(node, _finished(row))
    settle_everything(node)
    row.refresh_from_db()
    assert row.status == AllocationStatus.SETTLED
    assert sorted(t.tx_id for t in node.included("affirm")) == sorted([first.tx_id, second.tx_id])
    (settle,) = node.included("settle_batch")
    assert settle.height > max(first.height or 0, second.height or 0)


def test_a_crash_between_steps_creates_affirms_and_settles_nothing_twice(node, maker, bond, fund):
    (row,) = _allocate(maker, bond, fund)
    drive(node)  # approvals and the create are Final: the affirmations are queued
    affirms = list(ChainSubmission.objects.filter(kind=allocation.KIND_AFFIRM))
    assert len(affirms) == 2

    # the create's handler runs again (as after a crash that lost its "handled" mark): no more affirmations
    create = ChainSubmission.objects.get(kind=allocation.KIND_CREATE)
    ChainSubmission.objects.filter(pk=create.pk).update(handled=False)
    outbox._handle(ChainSubmission.objects.get(pk=create.pk))
    assert ChainSubmission.objects.filter(kind=allocation.KIND_AFFIRM).count() == 2

    # the worker dies after the affirmations' handlers ran, before their transaction committed
    for account in {a.chain_account_id for a in affirms}:
        outbox.chain_outbox_flush(chain_account_id=str(account))
    node.produce()

    class Crash(Exception):
        pass

    def confirm_then_die() -> None:
        with transaction.atomic():
            outbox.chain_outbox_confirm()
            assert ChainSubmission.objects.filter(kind=allocation.KIND_SETTLE).count() == 1
            raise Crash

    with pytest.raises(Crash):
        confirm_then_die()
    assert not ChainSubmission.objects.filter(kind=allocation.KIND_SETTLE).exists()
    outbox.chain_outbox_confirm()  # after the restart: the handlers run again, once
    (settle,) = ChainSubmission.objects.filter(kind=allocation.KIND_SETTLE)
    for affirm in affirms:  # and once more, by hand: the settle is queued already
        ChainSubmission.objects.filter(pk=affirm.pk).update(handled=False)
        outbox._handle(ChainSubmission.objects.get(pk=affirm.pk))
    assert ChainSubmission.objects.filter(kind=allocation.KIND_SETTLE).count() == 1

    pump(node, _finished(row))
    settle = ChainSubmission.objects.get(pk=settle.pk)
    ChainSubmission.objects.filter(pk=settle.pk).update(handled=False)
    outbox._handle(settle)  # the outcome is handed over once
    settle_everything(node)
    row.refresh_from_db()
    assert row.status == AllocationStatus.SETTLED
    assert AuditEntry.objects.filter(action="allocation.settled").count() == 1
    assert len(node.included("create")) == len(node.included("settle_batch")) == 1
    assert len(node.included("affirm")) == 2


def test_batches_started_by_the_earlier_code_finish(node, maker, bond, fund):
    """Kinds are unchanged and old plans are read (ledger.dvp, Upgrade): an allocation, which
    kept no plan, with its affirmations queued, and a payment whose plan named its creates
    ``creates``, both finish."""
    (row,) = _allocate(maker, bond, fund)
    pump(node, lambda: ChainSubmission.objects.filter(kind=allocation.KIND_AFFIRM).exists())
    Allocation.objects.filter(pk=row.pk).update(plan={})

    day = datetime.date(2027, 3, 16)
    action = CorporateAction.objects.create(
        instrument=bond,
        kind="coupon",
        record_date=day,
        ex_date=day,
        payment_date=day,
        amount_per_unit=Decimal(35),
        status=CorporateActionStatus.ENTITLED,
    )
    holders = [abi.account_address(bytes([i]) * 48).hex() for i in (1, 2)]
    for holder in holders:
        Entitlement.objects.create(
            action=action,
            holder=holder,
            holder_name=holder[:8],
            holder_kind="investor",
            units=1,
            position=Decimal(1000),
            gross=Decimal(35),
            net=Decimal(35),
        )
    assert ca.corporate_action_pay(action_id=action.pk, today=day) is not None
    action.refresh_from_db()
    (entry,) = action.plan["instructions"]
    old = {k: v for k, v in action.plan.items() if k not in ("instructions", "outcome")}
    old["creates"] = [{"submission": entry["create"], "holders": holders, "id": None}]
    CorporateAction.objects.filter(pk=action.pk).update(plan=old)

    pump(
        node,
        lambda: (
            _finished(row)()
            and CorporateAction.objects.get(pk=action.pk).status != CorporateActionStatus.PAYING
        ),
    )
    settle_everything(node)
    row.refresh_from_db()
    action.refresh_from_db()
    assert (row.status, row.plan["outcome"]["status"]) == (AllocationStatus.SETTLED, "settled")
    assert (action.status, action.failure_reason) == (CorporateActionStatus.PAID, "")
    instruction = action.plan["instructions"][0]["id"]
    assert {e.instruction_id for e in action.entitlements.all()} == {instruction}
    assert len(node.included("settle_batch")) == 2


# -- netting: the owner's retry without the failing participant ------------------------------
TRADE_DATE = datetime.date(2026, 9, 15)


def _broker(broker: Organisation, make_user: Callable[..., User]) -> tuple[Organisation, User, ClientAccount]:
    _account(organisation=broker)
    client = ClientAccount.objects.create(
        broker=broker, account_reference=f"{broker.lei[:6]}-C", name="Client", holder_type="legal_entity"
    )
    _account(client_account=client)
    return broker, make_user(broker, Role.BROKER_BACK_OFFICE), client


def _trade(seller: tuple, buyer: tuple, reference: str, quantity: str) -> None:
    for who, other, side in ((seller, buyer, "sell"), (buyer, seller, "buy")):
        services.instruction_create(
            actor=who[1],
            data={
                "reference": f"{reference}-{side}",
                "isin": "XS0000000009",
                "side": side,
                "quantity": quantity,
                "price": "100",
                "trade_date": TRADE_DATE,
                "intended_settlement_date": TRADE_DATE + datetime.timedelta(days=1),
                "counterparty_lei": other[0].lei,
                "client_account": who[2].account_reference,
            },
        )


def test_a_batch_failing_on_a_leg_is_netted_again_without_that_participant(
    node, bond, broker_a, broker_b, operator_org, make_user
):
    _account(organisation=operator_org)
    a, b = _broker(broker_a, make_user), _broker(broker_b, make_user)
    _trade(b, a, "T1", "100000")  # A's client buys: broker A pays
    _trade(a, b, "T2", "50000")  # B's client buys: broker B pays
    payer_a = _address(broker_a)

    def broker_a_cannot_pay(tx: Tx) -> Receipt:
        if len(node.included("settle_batch")) > 1:  # the first attempt's batch only
            return node.dvp_settle_batch(tx)
        for instruction, legs in node.instructions.items():
            for index, leg in enumerate(legs):
                if leg.token == bytes.fromhex(CASH[2:]) and leg.sender == payer_a:
                    return node.settle_failed(instruction, index, Code.INSUFFICIENT_BALANCE)
        raise AssertionError("no cash leg from broker A")

    node.scripts["settle_batch"] = broker_a_cannot_pay
    cycle = netting.netting_cycle_run(cycle_date=TRADE_DATE + datetime.timedelta(days=1))
    assert cycle is not None
    pump(node, lambda: NettingCycle.objects.get(pk=cycle.pk).status != CycleStatus.SETTLING)
    settle_everything(node)

    cycle.refresh_from_db()
    assert (cycle.status, cycle.attempt) == (CycleStatus.SETTLED, 2)
    first, second = sorted(node.included("settle_batch"), key=lambda t: t.height or 0)
    assert [t for t, _ in (first.receipt.events if first.receipt else [])] == ["settle_failed"]
    statuses = {i.reference: (i.status, i.pending_reason) for i in SettlementInstruction.objects.all()}
    assert statuses == {
        "T1-buy": (InstructionStatus.PENDING, "lacking_cash"),
        "T1-sell": (InstructionStatus.PENDING, "lacking_cash"),
        "T2-buy": (InstructionStatus.SETTLED, ""),
        "T2-sell": (InstructionStatus.SETTLED, ""),
    }
    assert {e["detail"] for e in cycle.excluded} == {"batch failed: insufficient_balance"}
    settled = SettlementInstruction.objects.get(reference="T2-buy")
    assert (settled.settled_height, settled.settled_tx_index) == (second.height, second.index)
    # the second attempt moves T2 alone: 50 units from A's client to B's, and B's cash to A
    legs = [
        leg
        for tx in node.included("create")
        if tx.height and tx.height > first.height
        for leg in node.instructions[tx.instruction or 0]
    ]
    assert {
        (leg.sender, leg.receiver, leg.amount) for leg in legs if leg.token == bytes.fromhex(BOND[2:])
    } == {
        (
            ChainAccount.objects.get(client_account=a[2]).address,
            ChainAccount.objects.get(client_account=b[2]).address,
            50,
        )
    }
    cash = {(leg.sender, leg.receiver) for leg in legs if leg.token == bytes.fromhex(CASH[2:])}
    assert cash == {(_address(broker_b), payer_a)}
    assert Decimal(cycle.report["net_securities_units"]) == 50
