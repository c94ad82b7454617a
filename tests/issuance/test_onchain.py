"""Issuance on a real four-node devnet: maker-checker, deployment through the outbox until
Final, primary allocation settled by DvP against the EUR cash token, the register read from
Final state and at a Final checkpoint, and a payer without cash failing its allocation
while the others settle."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

import pytest

from chain.node.client import contract_abi as abi
from common.exceptions import InvalidInput, PermissionDeniedError
from identity.models import ClientAccount, Organisation, RoleAssignment, User
from identity.roles import OrganisationKind, Role
from identity.services import client_account_chain_account_create
from issuance import allocation, deployment, register, services
from issuance.models import Allocation, AllocationStatus, InstrumentCheckpoint, InstrumentStatus
from ledger import outbox
from ledger.indexer import index_final_events
from ledger.models import ChainSubmission
from tests.factories import OrganisationFactory
from tests.issuance.conftest import make_bond_terms
from tests.platformchain import ChainPlatform

Status = ChainSubmission.Status


def pump(chain: ChainPlatform, done: Callable[[], bool], timeout: float = 120.0) -> None:
    """Run the worker's beat jobs (outbox flush and confirm, indexer) until ``done()``."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        for account in (
            ChainSubmission.objects.filter(status__in=[Status.QUEUED, Status.SIGNED])
            .values_list("chain_account_id", flat=True)
            .distinct()
        ):
            outbox.chain_outbox_flush(chain_account_id=str(account))
        outbox.chain_outbox_confirm()
        index_final_events()
        time.sleep(0.3)


def _mint_eur(
    chain: ChainPlatform, cash_issuer: Organisation, organisation: Organisation, cents: int
) -> None:
    account = organisation.chain_account
    submission = outbox.chain_call_enqueue(
        organisation=cash_issuer,
        kind="test.mint",
        contract="genesis:cash_token",
        fn_name="mint",
        fn_args=abi.encode_address_amount(account.address, cents),
    )
    (done,) = chain.settle([submission])
    assert done.succeeded


@pytest.fixture
def onchain(chain_platform: ChainPlatform, issuer: Organisation, maker: User, approver: User):
    chain_platform.attach(issuer)
    cash_issuer = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER)
    chain_platform.attach(cash_issuer, role="cash_issuer")
    return chain_platform, cash_issuer


def _live_bond(chain: ChainPlatform, maker: User, approver: User, isin: str = "XS0000000009"):
    instrument = services.instrument_create(actor=maker, terms={**make_bond_terms(), "isin": isin})
    services.instrument_submit(actor=maker, instrument_id=instrument.pk)
    RoleAssignment.objects.get_or_create(user=maker, role=Role.ISSUER_APPROVER)  # even then:
    maker_as_checker = User.objects.get(pk=maker.pk)
    with pytest.raises(PermissionDeniedError) as refused:
        services.instrument_approve(actor=maker_as_checker, instrument_id=instrument.pk)
    assert refused.value.code == "maker_cannot_approve"
    services.instrument_approve(actor=approver, instrument_id=instrument.pk)
    submission = deployment.instrument_deploy(instrument_id=instrument.pk)
    assert submission is not None
    instrument.refresh_from_db()
    assert (instrument.status, instrument.contract_id) == (InstrumentStatus.DEPLOYING, submission.contract_id)
    (done,) = chain.settle([submission])
    instrument.refresh_from_db()
    assert (done.succeeded, instrument.status) == (True, InstrumentStatus.LIVE)
    with chain.client as client:
        info = abi.decode_security_token_info(client.query_contract(instrument.contract_id, "info"))
    assert (info.isin, info.terms_hash.hex()) == (isin, instrument.terms_hash)
    return instrument


def test_deploy_allocate_and_read_the_register_from_final_state(onchain, maker, approver):
    chain, cash_issuer = onchain
    bond = _live_bond(chain, maker, approver)
    assert deployment.instrument_deploy(instrument_id=bond.pk) is None  # live: nothing more to deploy

    fund = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Investor Fund")
    broker = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Broker")
    chain.attach(fund)
    chain.attach(broker)
    client = ClientAccount.objects.create(
        broker=broker, account_reference="CL-1", name="Client One", holder_type="natural_person"
    )
    client_account_chain_account_create(client_account=client)
    _mint_eur(chain, cash_issuer, fund, 2_000_000_00)
    _mint_eur(chain, cash_issuer, broker, 1_000_000_00)

    rows = [
        {"investor_lei": fund.lei, "quantity": "1000000", "price": "99.5"},
        {"broker_lei": broker.lei, "client_account": "CL-1", "quantity": "250000", "price": "99.5"},
    ]
    batch = allocation.allocation_batch_create(actor=maker, instrument_id=bond.pk, rows=rows)
    allocations = list(batch.allocations.all())
    assert [a.settlement_amount for a in allocations] == [Decimal("995000.00"), Decimal("248750.00")]
    pump(
        chain, lambda: all(a.status in ("settled", "failed") for a in Allocation.objects.filter(batch=batch))
    )
    settled = list(Allocation.objects.filter(batch=batch))
    assert [(a.status, a.failure_reason) for a in settled] == [(AllocationStatus.SETTLED, "")] * 2

    pump(chain, lambda: index_final_events()["height"] >= max(a.settled_height or 0 for a in settled))
    final = register.instrument_register(user=maker, instrument_id=bond.pk)
    by_name = {row.name: (row.quantity, row.percent, row.kind) for row in final.rows}
    assert by_name == {
        "Investor Fund": (Decimal("1000000"), Decimal("0.2000"), "investor"),
        "Client One (CL-1, Broker)": (Decimal("250000"), Decimal("0.0500"), "client account"),
    }
    assert (final.issued, final.outstanding) == (Decimal("1250000"), Decimal("1250000"))
    with chain.client as node:
        cash = node.get_genesis_contracts()["cash_token"]
        issuer_cash = abi.decode_u64(
            node.query_contract(cash, "balance_of", bond.issuer.chain_account.address)
        )
    assert issuer_cash >= (995_000 + 248_750) * 100

    # A checkpoint, then more moves: the checkpoint's register does not change.
    submission = register.instrument_checkpoint_create(actor=maker, instrument_id=bond.pk)
    chain.settle([submission])
    checkpoint = InstrumentCheckpoint.objects.get(instrument=bond)
    assert (checkpoint.number, checkpoint.holder_count, checkpoint.total_supply) == (1, 2, 1250)
    batch2 = allocation.allocation_batch_create(
        actor=maker,
        instrument_id=bond.pk,
        rows=[{"investor_lei": fund.lei, "quantity": "5000", "price": "100"}],
    )
    pump(chain, lambda: Allocation.objects.get(batch=batch2).status == AllocationStatus.SETTLED)
    at_checkpoint = register.instrument_register_at_checkpoint(user=maker, instrument_id=bond.pk, number=1)
    assert {row.name: row.quantity for row in at_checkpoint.rows} == {
        "Investor Fund": Decimal("1000000"),
        "Client One (CL-1, Broker)": Decimal("250000"),
    }
    assert at_checkpoint.height == checkpoint.height
    csv_text = register.register_csv(at_checkpoint)
    assert csv_text.splitlines()[0].startswith("isin,at,height,holder_address")
    assert "Investor Fund" in csv_text


def test_a_payer_without_cash_fails_alone(onchain, maker, approver):
    chain, cash_issuer = onchain
    bond = _live_bond(chain, maker, approver, isin="XS0000000017")
    rich = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Rich Fund")
    poor = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Poor Fund")
    chain.attach(rich)
    chain.attach(poor)
    _mint_eur(chain, cash_issuer, rich, 10_000_00)
    with chain.client as node:
        cash = node.get_genesis_contracts()["cash_token"]
        poor_cash = abi.decode_u64(node.query_contract(cash, "balance_of", poor.chain_account.address))
    quantity = (poor_cash // 100 // 1000 + 2) * 1000  # nominal: more than its euros pay at par
    rows = [
        {"investor_lei": rich.lei, "quantity": "5000", "price": "100"},
        {"investor_lei": poor.lei, "quantity": str(quantity), "price": "100"},
    ]
    batch = allocation.allocation_batch_create(actor=maker, instrument_id=bond.pk, rows=rows)
    pump(
        chain, lambda: all(a.status in ("settled", "failed") for a in Allocation.objects.filter(batch=batch))
    )
    outcome = {a.investor_name: (a.status, a.failure_reason) for a in Allocation.objects.filter(batch=batch)}
    assert outcome == {
        "Rich Fund": (AllocationStatus.SETTLED, ""),
        "Poor Fund": (AllocationStatus.FAILED, "insufficient_balance (leg 1)"),
    }


def test_invalid_allocations_are_reported_by_row_and_nothing_is_sent(onchain, maker, approver, make_user):
    chain, _ = onchain
    bond = _live_bond(chain, maker, approver, isin="XS0000000025")
    investor = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN)
    chain.attach(investor)
    before = ChainSubmission.objects.count()
    rows = [
        {"investor_lei": "529900T8BM49AURSDO55", "quantity": "1000", "price": "100"},  # not on the platform
        {"investor_lei": investor.lei, "quantity": "1500", "price": "100"},  # not a whole 1,000
        {"investor_lei": investor.lei, "quantity": "1000", "price": "-1"},
        {"investor_lei": investor.lei, "broker_lei": investor.lei, "quantity": "1000", "price": "100"},
        {"investor_lei": investor.lei, "quantity": "600000000", "price": "100"},  # more than the issue
    ]
    with pytest.raises(InvalidInput) as refused:
        allocation.allocation_batch_create(actor=maker, instrument_id=bond.pk, rows=rows)
    assert refused.value.code == "invalid_allocations"
    assert [(e["row"], e["field"]) for e in refused.value.details["rows"]] == [
        (2, "investor_lei"),
        (3, "quantity"),
        (4, "price"),
        (5, "investor_lei"),
    ]
    assert ChainSubmission.objects.count() == before
    assert not Allocation.objects.exists()
    with pytest.raises(InvalidInput) as too_much:
        allocation.allocation_batch_create(actor=maker, instrument_id=bond.pk, rows=rows[-1:])
    assert "left" in too_much.value.details["rows"][0]["message"]
    with pytest.raises(PermissionDeniedError):
        allocation.allocation_batch_create(
            actor=make_user(bond.issuer, Role.ISSUER_APPROVER), instrument_id=bond.pk, rows=rows[-1:]
        )
