"""Netting cycles on a real four-node devnet: matched trades between three brokers' clients
are netted multilaterally and settled as one DvP batch when Final; a participant short of
cash is taken out with its trades (pending: lacking cash) and the rest settles; holdings
and cash on chain reconcile with the trades."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from chain.node.client import contract_abi as abi
from identity.models import ClientAccount, Organisation, User
from identity.roles import OrganisationKind, Role
from identity.services import client_account_create
from issuance import allocation
from issuance.models import Allocation, AllocationStatus, Instrument
from ledger import outbox
from ledger.models import ChainAccount
from settlement import netting, services
from settlement.models import CycleStatus, InstructionStatus, NettingCycle, SettlementInstruction
from tests.factories import OrganisationFactory
from tests.issuance.test_onchain import _live_bond, _mint_eur, pump
from tests.platformchain import ChainPlatform

TRADE_DATE = datetime.date(2026, 9, 15)


def _broker(
    chain: ChainPlatform, make_user: Callable[..., User], name: str
) -> tuple[Organisation, User, ClientAccount]:
    broker = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name=name)
    chain.attach(broker)
    user = make_user(broker, Role.BROKER_BACK_OFFICE)
    client = client_account_create(
        actor=user,
        account_reference=f"{name}-C",
        name=f"{name} client",
        holder_type="natural_person",
    )
    return broker, user, client


def _trade(
    seller: tuple,
    buyer: tuple,
    bond: Instrument,
    reference: str,
    quantity: str,
    price: str = "100",
    *,
    trade_date: datetime.date = TRADE_DATE,
    settlement_date: datetime.date | None = None,
) -> None:
    """Both sides of a trade, entered by each broker's user for its client account."""
    for who, other, side in ((seller, buyer, "sell"), (buyer, seller, "buy")):
        services.instruction_create(
            actor=who[1],
            data={
                "reference": f"{reference}-{side}",
                "isin": bond.isin,
                "side": side,
                "quantity": quantity,
                "price": price,
                "trade_date": trade_date,
                "intended_settlement_date": settlement_date or trade_date + datetime.timedelta(days=1),
                "counterparty_lei": other[0].lei,
                "client_account": who[2].account_reference,
            },
        )


def _attach_settlement_parties(chain: ChainPlatform, issuer: Organisation) -> Organisation:
    """Chain accounts for the issuer, an operator (it creates and settles netting's DvP
    instructions) and a cash issuer, which it returns."""
    chain.attach(issuer)
    operator = OrganisationFactory.create(kind=OrganisationKind.OPERATOR)
    chain.attach(operator, role="operator")
    cash_issuer = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER)
    chain.attach(cash_issuer, role="cash_issuer")
    return cash_issuer


def _balance(chain: ChainPlatform, token: str, account: ChainAccount) -> int:
    with chain.client as client:
        return abi.decode_u64(client.query_contract(token, "balance_of", account.address))


def test_a_cycle_nets_settles_whole_and_recycles_a_participant_short_of_cash(
    chain_platform: ChainPlatform, issuer, maker, approver, make_user
):
    chain = chain_platform
    cash_issuer = _attach_settlement_parties(chain, issuer)
    a, b, c = (_broker(chain, make_user, name) for name in ("Alpha", "Beta", "Gamma"))
    bond = _live_bond(chain, maker, approver, isin="XS0000000033")
    with chain.client as node:
        cash = node.get_genesis_contracts()["cash_token"]
    for broker, _, _ in (a, b):
        _mint_eur(chain, cash_issuer, broker, 5_000_000_00)
    gamma_cash = _balance(chain, cash, c[0].chain_account)
    if gamma_cash:  # the chain outlives each test's database: Gamma's key may hold euros
        drain = outbox.chain_call_enqueue(
            organisation=cash_issuer,
            kind="test.burn",
            contract="genesis:cash_token",
            fn_name="burn",
            fn_args=abi.encode_address_amount(c[0].chain_account.address, gamma_cash),
        )
        assert chain.settle([drain])[0].succeeded

    # primary holdings: 500,000 to Alpha's client and 300,000 to Beta's client
    rows = [
        {
            "broker_lei": a[0].lei,
            "client_account": a[2].account_reference,
            "quantity": "500000",
            "price": "100",
        },
        {
            "broker_lei": b[0].lei,
            "client_account": b[2].account_reference,
            "quantity": "300000",
            "price": "100",
        },
    ]
    batch = allocation.allocation_batch_create(actor=maker, instrument_id=bond.pk, rows=rows)
    pump(
        chain, lambda: all(x.status in ("settled", "failed") for x in Allocation.objects.filter(batch=batch))
    )
    assert {x.status for x in Allocation.objects.filter(batch=batch)} == {AllocationStatus.SETTLED}

    # the day's trades: A→B 200,000, B→A 150,000 (mostly netted away), B→C 100,000 that
    # Gamma's broker, without euros, cannot pay
    _trade(a, b, bond, "T1", "200000")
    _trade(b, a, bond, "T2", "150000")
    _trade(b, c, bond, "T3", "100000")
    cash_before = {x[0].lei: _balance(chain, cash, x[0].chain_account) for x in (a, b)}
    assert set(SettlementInstruction.objects.values_list("status", flat=True)) == {InstructionStatus.MATCHED}

    cycle = netting.netting_cycle_run(cycle_date=TRADE_DATE + datetime.timedelta(days=1))
    assert cycle is not None
    pump(
        chain,
        lambda: NettingCycle.objects.get(pk=cycle.pk).status in (CycleStatus.SETTLED, CycleStatus.FAILED),
        timeout=180,
    )
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.SETTLED, cycle.report
    statuses = {i.reference: (i.status, i.pending_reason) for i in SettlementInstruction.objects.all()}
    assert statuses == {
        "T1-sell": (InstructionStatus.SETTLED, ""),
        "T1-buy": (InstructionStatus.SETTLED, ""),
        "T2-sell": (InstructionStatus.SETTLED, ""),
        "T2-buy": (InstructionStatus.SETTLED, ""),
        "T3-sell": (InstructionStatus.PENDING, "lacking_cash"),
        "T3-buy": (InstructionStatus.PENDING, "lacking_cash"),
    }
    # gross: 350,000 nominal; net: 50,000 (A to B): 85.71 %
    assert cycle.report["gross_securities_units"] == 350
    assert cycle.report["net_securities_units"] == 50
    assert cycle.report["securities_efficiency_percent"] == "85.71"
    assert cycle.report["cash"]["EUR"]["efficiency_percent"] == "85.71"
    client_a, client_b = (ChainAccount.objects.get(client_account=x[2]) for x in (a, b))
    assert (_balance(chain, bond.contract_id, client_a), _balance(chain, bond.contract_id, client_b)) == (
        450,
        350,
    )
    amount = {i.reference: int(i.settlement_amount * 100) for i in SettlementInstruction.objects.all()}
    # Alpha's broker receives T1 (price plus accrued interest) and pays T2; Beta the reverse
    net_cash = amount["T1-sell"] - amount["T2-buy"]
    assert 50_000 * 100 < net_cash < 51_000 * 100  # 50,000 of price and the accrued-interest difference
    assert _balance(chain, cash, a[0].chain_account) - cash_before[a[0].lei] == net_cash
    assert _balance(chain, cash, b[0].chain_account) - cash_before[b[0].lei] == -net_cash
    assert cycle.report["cash"]["EUR"]["gross_cents"] == amount["T1-sell"] + amount["T2-buy"]
    assert cycle.report["cash"]["EUR"]["net_cents"] == net_cash
    # settled once: a second cycle finds only the recycled T3, still short of cash
    again = netting.netting_cycle_run(cycle_date=TRADE_DATE + datetime.timedelta(days=1))
    assert again is not None
    again.refresh_from_db()
    assert again.status == CycleStatus.FAILED
    assert SettlementInstruction.objects.filter(status=InstructionStatus.SETTLED).count() == 4
