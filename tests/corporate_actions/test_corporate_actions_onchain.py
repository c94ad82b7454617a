"""Corporate actions on a real four-node devnet: the record checkpoint decides who is
entitled (a holder who sold before it gets nothing, a trade after it changes nothing), a
coupon is paid in one ``settle_batch`` whose cash moves equal the entitlements, a redemption
pays principal plus the last coupon and redeems every token (after a call of a quarter of
each holding, redeemed pro rata), a dividend with no funds behind it fails with nothing
paid, and a split then a reverse split keep the total value and pay the fractions in cash."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from chain.node.client import contract_abi as abi
from corporate_actions import selectors as ca_selectors
from corporate_actions import services as ca
from corporate_actions.models import CorporateAction, CorporateActionStatus
from identity.models import ClientAccount, Organisation, User
from identity.roles import OrganisationKind
from identity.services import client_account_chain_account_create
from issuance import allocation, services
from issuance.models import Allocation, AllocationStatus, Instrument
from ledger import outbox
from ledger.indexer import index_final_events
from ledger.models import ChainSubmission, TokenHolding
from tests.factories import OrganisationFactory
from tests.issuance.test_onchain import _live_bond, _mint_eur, pump
from tests.platformchain import ChainPlatform

Status = CorporateActionStatus


@pytest.fixture
def onchain(
    chain_platform: ChainPlatform, issuer: Organisation, maker: User, approver: User
) -> tuple[ChainPlatform, Organisation]:
    """As ``tests/issuance/test_onchain.py``'s: the issuer and a cash issuer on the devnet."""
    chain_platform.attach(issuer)
    cash_issuer = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER)
    chain_platform.attach(cash_issuer, role="cash_issuer")
    return chain_platform, cash_issuer


def _cash(chain: ChainPlatform, address: bytes) -> int:
    with chain.client as node:
        token = node.get_genesis_contracts()["cash_token"]
        return abi.decode_u64(node.query_contract(token, "balance_of", address))


def _supply(chain: ChainPlatform, instrument: Instrument) -> int:
    with chain.client as node:
        return abi.decode_security_token_info(
            node.query_contract(instrument.contract_id, "info")
        ).total_supply


def _allocate(chain: ChainPlatform, maker: User, instrument: Instrument, rows: list[dict[str, str]]) -> None:
    batch = allocation.allocation_batch_create(actor=maker, instrument_id=instrument.pk, rows=rows)
    pump(
        chain, lambda: all(a.status in ("settled", "failed") for a in Allocation.objects.filter(batch=batch))
    )
    assert {a.status for a in Allocation.objects.filter(batch=batch)} == {AllocationStatus.SETTLED}


def _transfer(
    chain: ChainPlatform, seller: Organisation, instrument: Instrument, to: bytes, units: int
) -> None:
    submission = outbox.chain_call_enqueue(
        organisation=seller,
        kind="test.transfer",
        contract=instrument.contract_id,
        fn_name="transfer",
        fn_args=abi.encode_address_amount(to, units),
    )
    (done,) = chain.settle([submission])
    assert done.succeeded, done.error
    pump(chain, lambda: index_final_events()["height"] >= (done.block_height or 0))


def _approved(action: CorporateAction, maker: User, approver: User) -> None:
    ca.corporate_action_submit(actor=maker, action_id=action.pk)
    ca.corporate_action_approve(actor=approver, action_id=action.pk, today=action.ex_date)


def _run_until(
    chain: ChainPlatform, action: CorporateAction, today: datetime.date, *statuses: str
) -> CorporateAction:
    def done() -> bool:
        ca.corporate_actions_tick(today=today)
        return CorporateAction.objects.get(pk=action.pk).status in statuses

    pump(chain, done, timeout=180)
    return CorporateAction.objects.get(pk=action.pk)


def test_coupon_to_holders_of_record_in_one_batch_then_redemption(onchain, maker, approver, settings):
    settings.GLOAM_WITHHOLDING_DEFAULT_PERCENT = "10"
    settings.GLOAM_WITHHOLDING_RATES = {}
    chain, cash_issuer = onchain
    bond = _live_bond(chain, maker, approver, isin="XS0000000033")
    seller = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Seller Fund")
    buyer = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Buyer Fund")
    keeper = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Keeper Fund")
    broker = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Broker")
    for organisation in (seller, buyer, keeper, broker):
        chain.attach(organisation)
    client = ClientAccount.objects.create(
        broker=broker, account_reference="CL-9", name="Client Nine", holder_type="natural_person"
    )
    client_account_chain_account_create(client_account=client)
    for payer in (seller, keeper, broker):
        _mint_eur(chain, cash_issuer, payer, 500_000_00)
    _allocate(
        chain,
        maker,
        bond,
        [
            {"investor_lei": seller.lei, "quantity": "100000", "price": "100"},
            {"investor_lei": keeper.lei, "quantity": "37000", "price": "100"},
            {"broker_lei": broker.lei, "client_account": "CL-9", "quantity": "13000", "price": "100"},
        ],
    )
    # The seller sells everything before the record date.
    _transfer(chain, seller, bond, buyer.chain_account.address, 100)

    coupon = ca.corporate_action_create(
        actor=maker,
        instrument_id=bond.pk,
        kind="coupon",
        payment_date=datetime.date(2027, 3, 16),
        today=datetime.date(2027, 3, 1),
    )
    _approved(coupon, maker, approver)
    # The preview (latest Final holdings) already names the buyer, not the seller.
    _, preview, basis = ca_selectors.corporate_action_preview(user=maker, action_id=coupon.pk)
    assert basis == "latest Final holdings"
    assert {r.holder: r.gross for r in preview.rows} == {
        buyer.chain_account.address.hex(): Decimal("3500.00"),
        keeper.chain_account.address.hex(): Decimal("1295.00"),
        client.chain_account.address.hex(): Decimal("455.00"),
    }

    coupon = _run_until(chain, coupon, coupon.record_date, Status.ENTITLED, Status.FAILED)
    assert coupon.status == Status.ENTITLED, coupon.failure_reason
    # A trade settling after the record checkpoint changes nothing.
    _transfer(chain, buyer, bond, keeper.chain_account.address, 40)
    entitlements = {e.holder_name: (e.units, e.gross, e.withheld, e.net) for e in coupon.entitlements.all()}
    assert entitlements == {
        "Buyer Fund": (100, Decimal("3500.00"), Decimal("350.00"), Decimal("3150.00")),
        "Keeper Fund": (37, Decimal("1295.00"), Decimal("129.50"), Decimal("1165.50")),
        "Client Nine (CL-9, Broker)": (13, Decimal("455.00"), Decimal("45.50"), Decimal("409.50")),
    }
    assert (coupon.declared_total, coupon.paid_total, coupon.remainder) == (
        Decimal("5250"),
        Decimal("5250.00"),
        Decimal(0),
    )

    addresses = {
        "issuer": bond.issuer.chain_account.address,
        "seller": seller.chain_account.address,
        "buyer": buyer.chain_account.address,
        "keeper": keeper.chain_account.address,
        "client": client.chain_account.address,
    }
    before = {name: _cash(chain, address) for name, address in addresses.items()}
    coupon = _run_until(chain, coupon, coupon.payment_date, Status.PAID, Status.FAILED)
    assert (coupon.status, coupon.failure_reason) == (Status.PAID, "")
    after = {name: _cash(chain, address) for name, address in addresses.items()}
    moved = {name: after[name] - before[name] for name in addresses}
    assert moved == {"issuer": -472_500, "seller": 0, "buyer": 315_000, "keeper": 116_550, "client": 40_950}
    settles = ChainSubmission.objects.filter(kind=ca.KIND_SETTLE, subject_id=str(coupon.pk))
    assert [(s.fn_name, s.status) for s in settles] == [("settle_batch", ChainSubmission.Status.FINAL)]
    assert {e.instruction_id for e in coupon.entitlements.all()} == {coupon.plan["instructions"][0]["id"]}

    # The broker sees its client's paid entitlement.
    from identity.roles import Role
    from tests.factories import UserFactory

    back_office = UserFactory.create(organisation=broker, roles=[Role.BROKER_BACK_OFFICE])
    (seen,) = ca_selectors.entitlement_list(user=back_office, filters={"state": "paid"})
    assert (seen.holder_name, seen.net) == ("Client Nine (CL-9, Broker)", Decimal("409.50"))

    # A call of a quarter of each holding (whole units, rounded down) at par plus accrued.
    _mint_eur(chain, cash_issuer, bond.issuer, 200_000_00)
    call = ca.corporate_action_create(
        actor=maker,
        instrument_id=bond.pk,
        kind="partial_redemption",
        payment_date=datetime.date(2029, 9, 17),
        call_fraction=Decimal("0.25"),
        today=datetime.date(2029, 9, 1),
    )
    _approved(call, maker, approver)
    call = _run_until(chain, call, call.record_date, Status.ENTITLED, Status.FAILED)
    called = {e.holder_name: (e.units, e.redeem_units) for e in call.entitlements.all()}
    assert called == {"Buyer Fund": (15, 15), "Keeper Fund": (19, 19), "Client Nine (CL-9, Broker)": (3, 3)}
    nets = {e.holder_name: int(e.net * 100) for e in call.entitlements.all()}
    assert nets["Buyer Fund"] > 15 * 100_000  # principal and (net) accrued interest
    before = {name: _cash(chain, address) for name, address in addresses.items()}
    call = _run_until(chain, call, call.payment_date, Status.REDEEMED, Status.FAILED)
    assert (call.status, call.failure_reason) == (Status.REDEEMED, "")
    after = {name: _cash(chain, address) for name, address in addresses.items()}
    assert {name: after[name] - before[name] for name in ("buyer", "keeper", "client")} == {
        "buyer": nets["Buyer Fund"],
        "keeper": nets["Keeper Fund"],
        "client": nets["Client Nine (CL-9, Broker)"],
    }
    assert _supply(chain, bond) == 150 - 37

    # Redemption at maturity: principal + last coupon, then every token redeemed.
    redemption = ca.corporate_action_create(
        actor=maker,
        instrument_id=bond.pk,
        kind="redemption",
        payment_date=datetime.date(2031, 3, 17),
        today=datetime.date(2031, 3, 1),
    )
    _approved(redemption, maker, approver)
    redemption = _run_until(chain, redemption, redemption.record_date, Status.ENTITLED, Status.FAILED)
    # The maturing issue stopped trading at its record date.
    late = outbox.chain_call_enqueue(
        organisation=buyer,
        kind="test.transfer",
        contract=bond.contract_id,
        fn_name="transfer",
        fn_args=abi.encode_address_amount(keeper.chain_account.address, 1),
    )
    (refused,) = chain.settle([late])
    assert not refused.succeeded
    assert "paused" in refused.error
    assert {e.holder_name: e.units for e in redemption.entitlements.all()} == {
        "Buyer Fund": 45,
        "Keeper Fund": 58,
        "Client Nine (CL-9, Broker)": 10,
    }
    before = {name: _cash(chain, address) for name, address in addresses.items()}
    redemption = _run_until(chain, redemption, redemption.payment_date, Status.REDEEMED, Status.FAILED)
    assert (redemption.status, redemption.failure_reason) == (Status.REDEEMED, "")
    after = {name: _cash(chain, address) for name, address in addresses.items()}
    # 1,035 per 1,000 nominal; 10 % withheld on the 35 of coupon only
    assert {name: after[name] - before[name] for name in ("buyer", "keeper", "client")} == {
        "buyer": 45 * 103_150,
        "keeper": 58 * 103_150,
        "client": 10 * 103_150,
    }
    assert _supply(chain, bond) == 0


def _live_share(chain: ChainPlatform, maker: User, approver: User, isin: str) -> Instrument:
    share = services.instrument_create(
        actor=maker,
        terms={
            "isin": isin,
            "name": "Aurora AG ordinary share",
            "kind": "equity_share",
            "currency": "EUR",
            "face_value": Decimal("1"),
            "minimum_denomination": Decimal("1"),
            "issue_size": Decimal("1000000"),
            "issue_size_unit": "quantity",
            "issue_date": datetime.date(2026, 3, 16),
            "calendar": "target",
        },
    )
    services.instrument_submit(actor=maker, instrument_id=share.pk)
    services.instrument_approve(actor=approver, instrument_id=share.pk)
    from issuance import deployment

    submission = deployment.instrument_deploy(instrument_id=share.pk)
    assert submission is not None
    (done,) = chain.settle([submission])
    assert done.succeeded, done.error
    share.refresh_from_db()
    return share


def test_a_dividend_with_no_funds_behind_it_fails_and_pays_nothing(onchain, maker, approver):
    chain, cash_issuer = onchain
    share = _live_share(chain, maker, approver, "XS0000000041")
    holder = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Share Fund")
    chain.attach(holder)
    _mint_eur(chain, cash_issuer, holder, 10_000_00)
    _allocate(chain, maker, share, [{"investor_lei": holder.lei, "quantity": "1000", "price": "1"}])

    issuer_cash = _cash(chain, share.issuer.chain_account.address)
    per_share = Decimal(issuer_cash // 100 // 1000 + 1000)  # more than the issuer's cash pays
    dividend = ca.corporate_action_create(
        actor=maker,
        instrument_id=share.pk,
        kind="dividend",
        payment_date=datetime.date(2027, 5, 3),
        amount_per_unit=per_share,
        today=datetime.date(2027, 4, 1),
    )
    _approved(dividend, maker, approver)
    dividend = _run_until(chain, dividend, dividend.record_date, Status.ENTITLED, Status.FAILED)
    holder_before = _cash(chain, holder.chain_account.address)
    issuer_before = _cash(chain, share.issuer.chain_account.address)
    dividend = _run_until(chain, dividend, dividend.payment_date, Status.PAID, Status.FAILED)
    assert dividend.status == Status.FAILED
    assert (
        dividend.failure_reason
        == "insufficient_balance: the issuer's cash does not cover the payment; nothing paid"
    )
    assert _cash(chain, holder.chain_account.address) == holder_before
    assert _cash(chain, share.issuer.chain_account.address) == issuer_before


def _balances(chain: ChainPlatform, instrument: Instrument, addresses: dict[str, bytes]) -> dict[str, int]:
    with chain.client as node:
        return {
            name: abi.decode_u64(node.query_contract(instrument.contract_id, "balance_of", address))
            for name, address in addresses.items()
        }


def test_a_split_and_a_reverse_split_keep_the_total_value_and_pay_fractions(onchain, maker, approver):
    chain, cash_issuer = onchain
    share = _live_share(chain, maker, approver, "XS0000000058")
    holders = {}
    for name in ("Split Fund A", "Split Fund B", "Split Fund C"):
        org = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name=name)
        chain.attach(org)
        _mint_eur(chain, cash_issuer, org, 10_000_00)
        holders[name] = org
    _allocate(
        chain,
        maker,
        share,
        [
            {"investor_lei": holders[name].lei, "quantity": str(units), "price": "1"}
            for name, units in (("Split Fund A", 7), ("Split Fund B", 5), ("Split Fund C", 1))
        ],
    )
    addresses = {name: org.chain_account.address for name, org in holders.items()}
    cash_addresses = {**addresses, "issuer": share.issuer.chain_account.address}

    def run(kind: str, ratio: tuple[int, int], price: str, payment: datetime.date) -> CorporateAction:
        action = ca.corporate_action_create(
            actor=maker,
            instrument_id=share.pk,
            kind=kind,
            payment_date=payment,
            amount_per_unit=Decimal(price),
            split_ratio=ratio,
            today=payment - datetime.timedelta(days=20),
        )
        _approved(action, maker, approver)
        return _run_until(chain, action, action.record_date, Status.ENTITLED, Status.FAILED)

    # 3 for 2 at 40 EUR a new share (60 EUR an old one): 7 → 10.5, 5 → 7.5, 1 → 1.5
    split = run("split", (3, 2), "40", datetime.date(2027, 6, 1))
    assert split.status == Status.ENTITLED, split.failure_reason
    assert _balances(chain, share, addresses) == {"Split Fund A": 10, "Split Fund B": 7, "Split Fund C": 1}
    assert _supply(chain, share) == 18
    rows = {e.holder_name: (e.units, e.units_after, e.gross) for e in split.entitlements.all()}
    assert rows == {
        "Split Fund A": (7, 10, Decimal("20.00")),
        "Split Fund B": (5, 7, Decimal("20.00")),
        "Split Fund C": (1, 1, Decimal("20.00")),
    }
    # The record checkpoint keeps the holdings before the split; the indexer follows the split.
    with chain.client as node:
        before_split = {
            h.holder: h.balance for h in node.get_holders_at(share.contract_id, split.checkpoint_number)
        }
    assert before_split == {
        addresses["Split Fund A"]: 7,
        addresses["Split Fund B"]: 5,
        addresses["Split Fund C"]: 1,
    }
    pump(chain, lambda: index_final_events()["height"] >= (split.checkpoint_height or 0))
    assert {
        h.holder: int(h.balance)
        for h in TokenHolding.objects.filter(contract=share.contract_id, balance__gt=0)
    } == {address.hex(): units for address, units in zip(addresses.values(), (10, 7, 1), strict=True)}

    assert share.issue_size == Decimal(1_000_000)
    share.refresh_from_db()
    assert share.issue_size == Decimal(1_500_000)  # in units after the split

    # The issuer's cash does not cover the fractions: nothing is paid, and since the split
    # stands the fractions are owed: the payment is tried again the next day, once funded.
    issuer_cash = _cash(chain, cash_addresses["issuer"])
    if issuer_cash:  # the chain outlives each test's database: the issuer's key may hold euros
        drain = outbox.chain_call_enqueue(
            organisation=cash_issuer,
            kind="test.burn",
            contract="genesis:cash_token",
            fn_name="burn",
            fn_args=abi.encode_address_amount(cash_addresses["issuer"], issuer_cash),
        )
        assert chain.settle([drain])[0].succeeded

    def tried(day: datetime.date) -> bool:
        ca.corporate_actions_tick(today=day)
        return CorporateAction.objects.get(pk=split.pk).failure_reason != ""

    pump(chain, lambda: tried(split.payment_date), timeout=180)
    split.refresh_from_db()
    assert split.status == Status.ENTITLED
    assert split.failure_reason.startswith(
        "insufficient_balance: the issuer's cash does not cover the payment"
    )
    assert "the split stands" in split.failure_reason
    _mint_eur(chain, cash_issuer, share.issuer, 5_000_00)
    assert ca.corporate_actions_tick(today=split.payment_date)["paying"] == 0  # not again the same day
    cash_before = {name: _cash(chain, address) for name, address in cash_addresses.items()}
    split = _run_until(
        chain, split, split.payment_date + datetime.timedelta(days=1), Status.PAID, Status.FAILED
    )
    assert (split.status, split.failure_reason) == (Status.PAID, "")
    moved = {name: _cash(chain, address) - cash_before[name] for name, address in cash_addresses.items()}
    assert moved == {"Split Fund A": 2000, "Split Fund B": 2000, "Split Fund C": 2000, "issuer": -6000}
    # total value unchanged: 13 old shares at 60 = 18 new shares at 40 + 60 EUR of fractions
    assert split.paid_total is not None
    assert split.remainder is not None
    assert 13 * Decimal(60) == 18 * Decimal(40) + split.paid_total + split.remainder

    # 1 for 4 at 160 EUR a new share: 10 → 2.5, 7 → 1.75, 1 → 0.25 (holder C leaves)
    reverse = run("reverse_split", (1, 4), "160", datetime.date(2027, 7, 1))
    assert reverse.status == Status.ENTITLED, reverse.failure_reason
    assert _balances(chain, share, addresses) == {"Split Fund A": 2, "Split Fund B": 1, "Split Fund C": 0}
    cash_before = {name: _cash(chain, address) for name, address in cash_addresses.items()}
    reverse = _run_until(chain, reverse, reverse.payment_date, Status.PAID, Status.FAILED)
    assert (reverse.status, reverse.failure_reason) == (Status.PAID, "")
    moved = {name: _cash(chain, address) - cash_before[name] for name, address in cash_addresses.items()}
    assert moved == {"Split Fund A": 8000, "Split Fund B": 12000, "Split Fund C": 4000, "issuer": -24000}
    assert reverse.paid_total is not None
    assert reverse.remainder is not None
    assert 18 * Decimal(40) == 3 * Decimal(160) + reverse.paid_total + reverse.remainder
    assert _supply(chain, share) == 3


def test_withholding_follows_each_holders_jurisdiction_claim_on_chain(
    onchain, maker, approver, make_user, settings
):
    """A coupon withholds at the rate of each holder's jurisdiction claim in the identity
    registry (a trusted KYC provider's, on chain), and at the default without one."""
    from tests.compliance.test_rules_onchain import DE, US, World

    settings.GLOAM_WITHHOLDING_RATES = {"DE": "26.375", "US": "30"}
    settings.GLOAM_WITHHOLDING_DEFAULT_PERCENT = "0"
    chain, _ = onchain
    world = World(chain, maker, approver, make_user, "XS0000000108")
    german, american, unclaimed = world.client("W-DE"), world.client("W-US"), world.client("W-NONE")
    far = world.head_time() + 3_600
    world.wait(
        world.claims(german.address, expiry=far, jurisdiction=DE),
        world.claims(american.address, expiry=far, jurisdiction=US),
    )
    world.wait(*(world.issue(holder.address, 10) for holder in (german, american, unclaimed)))
    coupon = ca.corporate_action_create(
        actor=maker,
        instrument_id=world.bond.pk,
        kind="coupon",
        payment_date=datetime.date(2027, 3, 16),
        today=datetime.date(2027, 3, 1),
    )
    _approved(coupon, maker, approver)
    coupon = _run_until(chain, coupon, coupon.record_date, Status.ENTITLED, Status.FAILED)
    assert coupon.status == Status.ENTITLED, coupon.failure_reason
    # 10 units of 1,000 nominal: 350.00 of coupon each
    rows = {
        e.client_account.account_reference: (e.withholding_country, e.withholding_rate, e.withheld, e.net)
        for e in coupon.entitlements.select_related("client_account")
        if e.client_account is not None
    }
    assert rows == {
        "W-DE": ("DE", Decimal("26.375"), Decimal("92.31"), Decimal("257.69")),
        "W-US": ("US", Decimal("30"), Decimal("105.00"), Decimal("245.00")),
        "W-NONE": ("", Decimal("0"), Decimal("0.00"), Decimal("350.00")),
    }
