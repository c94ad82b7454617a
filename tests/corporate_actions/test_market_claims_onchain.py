"""Market claims on a real four-node devnet: a trade struck before a coupon's ex-date that
settles (netting, DvP) after the record checkpoint leaves the coupon on the sold units with
the seller; the beat raises a claim and moves that cash from the seller's client account to
the buyer's on chain, once. A trade struck on or after the ex-date raises none."""

from __future__ import annotations

import datetime
from decimal import Decimal

from chain.node.client import contract_abi as abi
from corporate_actions import market_claims
from corporate_actions import selectors as ca_selectors
from corporate_actions import services as ca
from corporate_actions.models import CorporateActionStatus, MarketClaim, MarketClaimStatus
from identity.roles import OrganisationKind
from ledger.models import ChainAccount
from settlement import netting
from settlement.models import CycleStatus, InstructionStatus, NettingCycle, SettlementInstruction
from tests.corporate_actions.test_corporate_actions_onchain import _allocate, _approved, _run_until
from tests.factories import OrganisationFactory
from tests.issuance.test_onchain import _live_bond, _mint_eur, pump
from tests.settlement.test_netting_onchain import _attach_settlement_parties, _broker, _trade

Status = CorporateActionStatus
COUPON_DATE = datetime.date(2027, 3, 16)


def _cash(chain, account: ChainAccount) -> int:
    with chain.client as node:
        token = node.get_genesis_contracts()["cash_token"]
        return abi.decode_u64(node.query_contract(token, "balance_of", account.address))


def test_a_trade_struck_before_the_ex_date_and_settled_after_the_record_date_is_compensated(
    chain_platform, issuer, maker, approver, make_user, settings, client
):
    settings.GLOAM_WITHHOLDING_DEFAULT_PERCENT = "10"
    settings.GLOAM_WITHHOLDING_RATES = {}
    chain = chain_platform
    cash_issuer = _attach_settlement_parties(chain, issuer)
    seller, buyer = (_broker(chain, make_user, name) for name in ("Claim Seller", "Claim Buyer"))
    bond = _live_bond(chain, maker, approver, isin="XS0000000066")
    for broker in (seller[0], buyer[0]):
        _mint_eur(chain, cash_issuer, broker, 1_000_000_00)
    _allocate(
        chain,
        maker,
        bond,
        [
            {
                "broker_lei": seller[0].lei,
                "client_account": seller[2].account_reference,
                "quantity": "100000",
                "price": "100",
            }
        ],
    )
    coupon = ca.corporate_action_create(
        actor=maker,
        instrument_id=bond.pk,
        kind="coupon",
        payment_date=COUPON_DATE,
        today=datetime.date(2027, 3, 1),
    )
    _approved(coupon, maker, approver)
    # Struck before the ex-date (40,000 nominal) and on it (10,000); both settle after the record date.
    late = COUPON_DATE + datetime.timedelta(days=1)
    struck = coupon.ex_date - datetime.timedelta(days=3)
    _trade(seller, buyer, bond, "MC1", "40000", trade_date=struck, settlement_date=late)
    _trade(seller, buyer, bond, "MC2", "10000", trade_date=coupon.ex_date, settlement_date=late)
    assert set(SettlementInstruction.objects.values_list("status", flat=True)) == {InstructionStatus.MATCHED}

    coupon = _run_until(chain, coupon, COUPON_DATE, Status.PAID, Status.FAILED)
    assert (coupon.status, coupon.failure_reason) == (Status.PAID, "")
    assert coupon.checkpoint_height
    assert coupon.checkpoint_tx_index is not None  # its place in chain order
    (entitlement,) = coupon.entitlements.all()
    assert (entitlement.units, entitlement.net) == (100, Decimal("3150.00"))  # 3,500 less 10 %
    assert (
        market_claims.market_claims_tick(today=COUPON_DATE) == 0
    )  # nothing settled after the record date yet

    cycle = netting.netting_cycle_run(cycle_date=COUPON_DATE + datetime.timedelta(days=1))
    assert cycle is not None
    pump(
        chain,
        lambda: NettingCycle.objects.get(pk=cycle.pk).status in (CycleStatus.SETTLED, CycleStatus.FAILED),
        timeout=180,
    )
    assert NettingCycle.objects.get(pk=cycle.pk).status == CycleStatus.SETTLED
    settled = SettlementInstruction.objects.filter(cycle=cycle)
    assert {(i.settled_height, i.settled_tx_index is not None) for i in settled} == {
        (NettingCycle.objects.get(pk=cycle.pk).settled_height, True)
    }
    seller_account, buyer_account = seller[2].chain_account, buyer[2].chain_account
    before = (_cash(chain, seller_account), _cash(chain, buyer_account))

    day_after = COUPON_DATE + datetime.timedelta(days=1)
    assert market_claims.market_claims_tick(today=day_after) == 1
    assert market_claims.market_claims_tick(today=day_after) == 0  # once per trade
    (claim,) = MarketClaim.objects.all()
    assert (claim.buy_instruction.reference, claim.units, claim.amount) == ("MC1-buy", 40, Decimal("1260.00"))
    pump(chain, lambda: MarketClaim.objects.get(pk=claim.pk).status != MarketClaimStatus.PAYING)
    claim.refresh_from_db()
    assert (claim.status, claim.failure_reason) == (MarketClaimStatus.PAID, "")
    assert (_cash(chain, seller_account), _cash(chain, buyer_account)) == (
        before[0] - 126_000,
        before[1] + 126_000,
    )

    # The buyer's broker sees the claim; a stranger does not.
    from identity.roles import Role
    from tests.factories import UserFactory

    (seen,) = ca_selectors.market_claim_list(user=make_user(buyer[0], Role.BROKER_BACK_OFFICE))
    assert (seen.pk, seen.status) == (claim.pk, MarketClaimStatus.PAID)

    # each broker sees its own client account, not the counterparty's; the issuer both
    def refs(user) -> list[tuple[str | None, str | None]]:
        claims = ca_selectors.market_claim_list(user=user)
        # annotations of the selector, which the stubs do not know
        return list(claims.values_list("buyer_account_ref", "seller_account_ref"))  # type: ignore[misc]

    buyer_ref, seller_ref = buyer[2].account_reference, seller[2].account_reference
    assert refs(make_user(buyer[0], Role.BROKER_BACK_OFFICE)) == [(buyer_ref, None)]
    assert refs(seller[1]) == [(None, seller_ref)]
    assert refs(maker) == [(buyer_ref, seller_ref)]
    stranger = OrganisationFactory.create(kind=OrganisationKind.BROKER)
    assert refs(UserFactory.create(organisation=stranger, roles=[Role.BROKER_TRADER])) == []
    # ... and in the pages: the event's and the broker's entitlements page.
    client.force_login(buyer[1])
    page = client.get("/entitlements/").content.decode()
    assert "MC1-buy" in page
    assert "1260.00 EUR" in page
    client.force_login(maker)
    assert "MC1-buy" in client.get(f"/corporate-actions/{coupon.pk}/").content.decode()
    # After the claim window nothing more is raised.
    late = market_claims.get_claim_window_end(coupon) + datetime.timedelta(days=1)
    assert market_claims.market_claims_detect(action_id=coupon.pk, today=late) == []
