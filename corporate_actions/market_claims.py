"""Market claims (docs/corporate-actions.md, Market claims): after a coupon or cash dividend
is paid, a trade in the instrument struck **before the ex-date** that settled **after the
record checkpoint** left the distribution on the units sold with the seller, the holder of
record. The buyer is entitled to it: the beat detects such trades and moves the claim from
the seller's client account to the buyer's, a cash ``transfer`` on chain signed for the
seller's account through the outbox (the platform keeps the client accounts' keys, as for
netting's deliveries).

Detection follows the market claims standard of the CAJWG (Corporate Actions Joint Working
Group) used by T2S: trade date before the ex-date, settlement after the record date, for
``GLOAM_MARKET_CLAIM_DAYS`` business days of the instrument's calendar after the record date.

Amount: what the seller received per unit, times the units traded, rounded down to the
currency's minor unit: ⌊seller's net × units / seller's units of record⌋, and at most what
the seller received less what it has already paid in claims on this event. A seller with no
entitlement (it held nothing at the record checkpoint) owes nothing. Redemptions, calls and
splits raise no claims here: a maturing issue stops trading at its record date, a split
waits for open instructions (docs/corporate-actions.md), and the transformation of
instructions pending over a call is not built.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from chain.node.client import contract_abi
from common.business_date import get_business_date
from common.services import audit_entry_create
from corporate_actions.hooks import SettledBuy, get_settlement_hooks
from corporate_actions.models import (
    CorporateAction,
    CorporateActionKind,
    CorporateActionStatus,
    MarketClaim,
    MarketClaimStatus,
)
from corporate_actions.services import (
    beat_step,
    compute_business_day,
    compute_minor_units,
    get_cash_token,
    get_minor_unit,
)
from issuance.allocation import compute_units
from ledger.models import ChainAccount, ChainSubmission
from ledger.outbox import chain_call_enqueue

KIND_CLAIM = "corporate_action.market_claim"
#: The events whose cash a buyer can claim.
CLAIM_KINDS = frozenset({CorporateActionKind.COUPON, CorporateActionKind.DIVIDEND})


def compute_claim_amount(
    *, seller_net: Decimal, seller_units: int, units: int, claimed: Decimal, currency: str
) -> Decimal:
    """⌊``seller_net`` × ``units`` / ``seller_units``⌋ to the minor unit of ``currency``, at
    most ``seller_net`` − ``claimed`` (what the seller received and has not yet paid on in
    claims); 0 if the seller held nothing of record."""
    if seller_units <= 0 or seller_net <= 0:
        return Decimal(0)
    share = (seller_net * units / seller_units).quantize(get_minor_unit(currency), rounding=ROUND_DOWN)
    return max(Decimal(0), min(share, seller_net - claimed))


def get_claim_window_end(action: CorporateAction) -> datetime.date:
    """The last day on which trades of ``action`` are looked at: the record date plus
    ``GLOAM_MARKET_CLAIM_DAYS`` business days of the instrument's calendar."""
    return compute_business_day(
        action.instrument.calendar, action.record_date, settings.GLOAM_MARKET_CLAIM_DAYS
    )


def market_claims_detect(*, action_id: uuid.UUID, today: datetime.date | None = None) -> list[MarketClaim]:
    """Raise the claims of a paid coupon or dividend (see the module): one per buy trade
    struck before the ex-date and settled after the record checkpoint, each queued as the
    seller's cash ``transfer`` to the buyer. Idempotent (one claim per trade); nothing after
    the claim window. Returns the claims raised now."""
    today = today or get_business_date()
    with transaction.atomic():
        action = (
            CorporateAction.objects.select_for_update().select_related("instrument__issuer").get(pk=action_id)
        )
        if (
            action.kind not in CLAIM_KINDS
            or action.status != CorporateActionStatus.PAID
            or action.checkpoint_height is None
            or today > get_claim_window_end(action)
        ):
            return []
        claimed_trades = set(
            MarketClaim.objects.filter(action=action).values_list("buy_instruction_id", flat=True)
        )
        buys = [
            buy
            for buy in get_settlement_hooks().settled_buys_after_record(action=action)
            if buy.buy_instruction_id not in claimed_trades
        ]
        raised = []
        for buy in buys:
            claim = _raise(action, buy)
            if claim is not None:
                raised.append(claim)
        return raised


def _raise(action: CorporateAction, buy: SettledBuy) -> MarketClaim | None:
    accounts = {
        a.client_account_id: a
        for a in ChainAccount.objects.filter(
            client_account__in=[buy.buyer_client_account_id, buy.seller_client_account_id]
        )
    }
    seller_account = accounts.get(buy.seller_client_account_id)
    buyer_account = accounts.get(buy.buyer_client_account_id)
    if seller_account is None or buyer_account is None:
        return None
    seller, buyer = seller_account.address.hex(), buyer_account.address.hex()
    entitlement = action.entitlements.filter(holder=seller).first()
    if entitlement is None:
        return None  # the seller held nothing at the record checkpoint: it received nothing
    currency = action.instrument.currency
    claimed = MarketClaim.objects.filter(action=action, seller=seller).exclude(
        status=MarketClaimStatus.FAILED
    ).aggregate(total=Sum("amount"))["total"] or Decimal(0)
    units = compute_units(action.instrument, buy.quantity)
    amount = compute_claim_amount(
        seller_net=entitlement.net,
        seller_units=entitlement.units,
        units=units,
        claimed=claimed,
        currency=currency,
    )
    if amount <= 0:
        return None
    claim = MarketClaim.objects.create(
        action=action,
        buy_instruction_id=buy.buy_instruction_id,
        sell_instruction_id=buy.sell_instruction_id,
        seller=seller,
        buyer=buyer,
        units=units,
        amount=amount,
    )
    claim.submission = _enqueue_transfer(claim, seller_account, buyer_account, amount, currency)
    claim.save(update_fields=["submission", "updated_at"])
    audit_entry_create(
        actor=None,
        action="market_claim.raise",
        obj=claim,
        organisation=action.instrument.issuer,
        changes={
            "event": str(action.pk),
            "trade": buy.reference,
            "seller": seller,
            "buyer": buyer,
            "units": units,
            "amount": str(amount),
            "status": claim.status,
        },
    )
    return claim


def _enqueue_transfer(
    claim: MarketClaim, seller: ChainAccount, buyer: ChainAccount, amount: Decimal, currency: str
) -> ChainSubmission:
    return chain_call_enqueue(
        organisation=seller,
        kind=KIND_CLAIM,
        contract=get_cash_token(claim.action.instrument),
        fn_name="transfer",
        fn_args=contract_abi.encode_address_amount(buyer.address, compute_minor_units(amount, currency)),
        subject=claim,
    )


def on_claim_transferred(submission: ChainSubmission) -> None:
    """Outcome handler: the claim's transfer is Final (``paid``) or failed (``failed`` with
    the chain's reason, e.g. the seller's cash no longer covers it; nothing moved)."""
    claim = MarketClaim.objects.select_for_update().filter(pk=submission.subject_id).first()
    if claim is None or claim.status != MarketClaimStatus.PAYING:
        return
    before = {"status": claim.status}
    if submission.succeeded:
        claim.status, claim.paid_height = MarketClaimStatus.PAID, submission.block_height
    else:
        claim.status = MarketClaimStatus.FAILED
        claim.failure_reason = f"{submission.error or 'transfer failed'}; nothing moved"[:300]
    claim.save(update_fields=["status", "paid_height", "failure_reason", "updated_at"])
    audit_entry_create(
        actor=None,
        action=f"market_claim.{claim.status}",
        obj=claim,
        organisation=claim.action.instrument.issuer,
        before=before,
        changes={"status": claim.status, "height": submission.block_height, "reason": claim.failure_reason},
    )


def market_claims_tick(*, today: datetime.date | None = None) -> int:
    """Beat: detect the claims of every paid coupon and dividend still in its claim window.
    Returns the number raised."""
    today = today or get_business_date()
    earliest = today - datetime.timedelta(days=2 * settings.GLOAM_MARKET_CLAIM_DAYS + 14)
    actions = CorporateAction.objects.filter(
        kind__in=CLAIM_KINDS, status=CorporateActionStatus.PAID, record_date__gte=earliest
    )
    raised = 0
    for action in actions:  # each in its own savepoint: one that fails is recorded on it
        with beat_step(action, "market_claims"):
            raised += len(market_claims_detect(action_id=action.pk, today=today))
    return raised


OUTCOME_HANDLERS = {KIND_CLAIM: on_claim_transferred}
