"""Corporate actions (docs/corporate-actions.md): events, holders' entitlements and market
claims; and proxy voting: a ballot of an instrument's general meeting, tallied on chain by a
``ballot`` contract over the token's record checkpoint (docs/voting.md).

The tables keep the names they had when these models were part of ``issuance``
(``Meta.db_table``, ``corporate_actions/migrations/0001_initial.py``)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from common.models import BaseModel


class CorporateActionKind(models.TextChoices):
    COUPON = "coupon", "Coupon payment"
    DIVIDEND = "dividend", "Cash dividend"
    REDEMPTION = "redemption", "Redemption at maturity"
    PARTIAL_REDEMPTION = "partial_redemption", "Partial redemption (call), pro rata"
    SPLIT = "split", "Stock split"
    REVERSE_SPLIT = "reverse_split", "Reverse stock split"


class CorporateActionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved"
    RECORDING = "recording", "Record checkpoint requested"
    RECORDED = "recorded", "Record checkpoint Final"
    ENTITLED = "entitled", "Entitlements computed"
    PAYING = "paying", "Paying"
    PAID = "paid", "Paid (Final)"
    REDEEMING = "redeeming", "Paid; tokens being redeemed"
    REDEEMED = "redeemed", "Paid and redeemed (Final)"
    FAILED = "failed", "Failed (nothing paid)"
    CANCELLED = "cancelled", "Cancelled"


#: Statuses in which an event still counts (a second event for the same date is refused).
LIVE_CORPORATE_ACTION_STATUSES = frozenset(
    set(CorporateActionStatus.values) - {CorporateActionStatus.FAILED, CorporateActionStatus.CANCELLED}
)


class CorporateAction(BaseModel):
    """A cash distribution to the holders of an instrument at its record date
    (``docs/corporate-actions.md``).

    ``amount_per_unit`` is in the currency per unit of the issue size: per 1 of nominal for an
    instrument sized in nominal (a coupon of 0.015625 is 1.5625 % of face), per share or
    fund unit otherwise. For a redemption it is ``principal_per_unit`` plus the last coupon;
    for a partial redemption, ``principal_per_unit`` plus the interest accrued to the payment
    date, per unit **called** (``call_fraction`` of each holding, rounded down to whole units).
    For a split or reverse split (``split_numerator`` new units for ``split_denominator`` old)
    it is the declared price per new unit at which fractions are paid in cash (all of it
    ``principal_per_unit``: cash in lieu is not an income payment).
    ``declared_total``, ``paid_total``, ``withheld_total`` and ``remainder`` are in the
    currency; ``paid_total + remainder == declared_total`` exactly once entitlements exist.
    """

    instrument = models.ForeignKey(
        "issuance.Instrument", on_delete=models.PROTECT, related_name="corporate_actions"
    )
    kind = models.CharField(max_length=20, choices=CorporateActionKind.choices)
    status = models.CharField(
        max_length=20, choices=CorporateActionStatus.choices, default=CorporateActionStatus.DRAFT
    )
    source = models.CharField(max_length=12, default="manual", help_text="``manual`` or ``schedule``.")
    record_date = models.DateField()
    ex_date = models.DateField()
    payment_date = models.DateField(help_text="Business-day adjusted on the instrument's calendar.")
    accrual_start = models.DateField(null=True, blank=True, help_text="Coupons: the period paid.")
    accrual_end = models.DateField(null=True, blank=True)
    amount_per_unit = models.DecimalField(max_digits=30, decimal_places=12)
    principal_per_unit = models.DecimalField(max_digits=30, decimal_places=12, default=Decimal(0))
    call_fraction = models.DecimalField(
        max_digits=11,
        decimal_places=10,
        null=True,
        blank=True,
        help_text="Partial redemption: the fraction of each holding called, 0 < f < 1.",
    )
    split_numerator = models.PositiveIntegerField(
        null=True, blank=True, help_text="Splits: new units for every ``split_denominator`` old units."
    )
    split_denominator = models.PositiveIntegerField(null=True, blank=True)
    declared_total = models.DecimalField(max_digits=40, decimal_places=12, null=True, blank=True)
    paid_total = models.DecimalField(max_digits=30, decimal_places=2, null=True, blank=True)
    withheld_total = models.DecimalField(max_digits=30, decimal_places=2, null=True, blank=True)
    remainder = models.DecimalField(
        max_digits=40,
        decimal_places=12,
        null=True,
        blank=True,
        help_text="Declared total minus the gross payments: stays with the issuer.",
    )
    checkpoint_number = models.PositiveIntegerField(null=True, blank=True)
    checkpoint_height = models.PositiveBigIntegerField(null=True, blank=True)
    checkpoint_tx_index = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="The checkpoint transaction's 0-based position in its block: a trade settled in the "
        "same block after it is not in the record.",
    )
    paid_height = models.PositiveBigIntegerField(null=True, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    beat_error = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why the corporate actions beat last failed on this event; cleared on success.",
    )
    beat_error_at = models.DateTimeField(null=True, blank=True)
    plan = models.JSONField(default=dict, blank=True, help_text="Outbox submissions and DvP ids.")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "issuance_corporateaction"
        ordering = ["payment_date", "instrument"]
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "kind", "payment_date"],
                condition=~models.Q(status__in=["failed", "cancelled"]),
                name="corporate_action_one_live_per_date",
            ),
            models.CheckConstraint(
                condition=models.Q(record_date__lte=models.F("payment_date")),
                name="corporate_action_record_not_after_payment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.instrument.isin} on {self.payment_date}"


class Entitlement(BaseModel):
    """One holder's entitlement to a corporate action, from the record checkpoint.

    ``units`` are token units at the checkpoint (for a partial redemption, the called units);
    ``position`` the same in the issue-size unit. For a split, ``units_after`` are the whole
    units after it and ``gross`` the cash for the fraction of a new unit.
    ``gross`` is rounded down to the currency's minor unit; ``withheld`` = taxable gross ×
    ``withholding_rate`` (percent) rounded half up; ``net`` = gross − withheld is what the
    holder receives on chain."""

    action = models.ForeignKey(CorporateAction, on_delete=models.CASCADE, related_name="entitlements")
    holder = models.CharField(max_length=98, help_text="The 49-byte Address, hex.")
    holder_name = models.CharField(max_length=300)
    holder_kind = models.CharField(max_length=20)
    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    client_account = models.ForeignKey(
        "identity.ClientAccount", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    units = models.PositiveBigIntegerField()
    position = models.DecimalField(max_digits=30, decimal_places=6)
    gross = models.DecimalField(max_digits=30, decimal_places=2)
    withholding_country = models.CharField(max_length=2, blank=True)
    withholding_rate = models.DecimalField(max_digits=7, decimal_places=4, default=Decimal(0))
    withheld = models.DecimalField(max_digits=30, decimal_places=2, default=Decimal(0))
    net = models.DecimalField(max_digits=30, decimal_places=2)
    instruction_id = models.PositiveBigIntegerField(null=True, blank=True)
    redeem_units = models.PositiveBigIntegerField(
        default=0, help_text="Token units redeemed after the payment (redemptions)."
    )
    units_after = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Splits: whole token units held after the split."
    )

    class Meta:
        db_table = "issuance_entitlement"
        ordering = ["action", "-units", "holder"]
        constraints = [
            models.UniqueConstraint(fields=["action", "holder"], name="entitlement_one_per_holder"),
        ]

    def __str__(self) -> str:
        return f"{self.holder_name}: {self.net} of {self.action}"


class MarketClaimStatus(models.TextChoices):
    PAYING = "paying", "Paying"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"


class MarketClaim(BaseModel):
    """The compensation of a buyer whose trade was struck before the ex-date but settled
    after the record checkpoint, so that the seller received the distribution on the units
    it had sold (docs/corporate-actions.md, Market claims). ``amount`` moves from the
    seller's client account to the buyer's on chain (a cash ``transfer``)."""

    action = models.ForeignKey(CorporateAction, on_delete=models.PROTECT, related_name="market_claims")
    buy_instruction = models.ForeignKey(
        "settlement.SettlementInstruction", on_delete=models.PROTECT, related_name="+"
    )
    sell_instruction = models.ForeignKey(
        "settlement.SettlementInstruction", on_delete=models.PROTECT, related_name="+"
    )
    seller = models.CharField(max_length=98, help_text="The seller's 49-byte Address, hex (pays).")
    buyer = models.CharField(max_length=98, help_text="The buyer's 49-byte Address, hex (receives).")
    units = models.PositiveBigIntegerField(help_text="Token units traded.")
    amount = models.DecimalField(max_digits=30, decimal_places=2)
    status = models.CharField(
        max_length=10, choices=MarketClaimStatus.choices, default=MarketClaimStatus.PAYING
    )
    failure_reason = models.CharField(max_length=300, blank=True)
    submission = models.ForeignKey(
        "ledger.ChainSubmission", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    paid_height = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        db_table = "issuance_marketclaim"
        ordering = ["action", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["action", "buy_instruction"], name="market_claim_one_per_trade"),
        ]

    def __str__(self) -> str:
        return f"Market claim of {self.amount} on {self.action}"


class BallotStatus(models.TextChoices):
    PENDING_APPROVAL = "pending_approval", "Pending approval"
    APPROVED = "approved", "Approved (waiting for the record date)"
    RECORDING = "recording", "Taking the record checkpoint"
    DEPLOYING = "deploying", "Deploying the ballot contract"
    OPEN = "open", "Deployed (votes count inside the window)"
    REJECTED = "rejected", "Rejected"
    FAILED = "failed", "Failed"


class Ballot(BaseModel):
    """Motions (each with 2–8 options) voted by the holders at ``record_date`` with weights
    equal to their holdings then, inside ``[opens_at, closes_at)`` as the chain's block
    timestamps see it."""

    instrument = models.ForeignKey("issuance.Instrument", on_delete=models.PROTECT, related_name="ballots")
    title = models.CharField(max_length=200)
    motions = models.JSONField(help_text='[{"title": str, "options": [str, ...]}, ...]')
    record_date = models.DateField()
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=BallotStatus.choices, default=BallotStatus.PENDING_APPROVAL, db_index=True
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checkpoint_number = models.PositiveIntegerField(null=True, blank=True)
    contract_id = models.CharField(max_length=66, blank=True)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "issuance_ballot"
        ordering = ["-opens_at"]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"


class BallotVote(BaseModel):
    """A vote sent on chain for one voter (a chain account) on one motion; the latest Final
    one of a voter on a motion is the one that counts (the contract replaces earlier ones)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        FINAL = "final", "Counted (Final)"
        REFUSED = "refused", "Refused on chain"

    ballot = models.ForeignKey(Ballot, on_delete=models.PROTECT, related_name="votes")
    voter = models.ForeignKey("ledger.ChainAccount", on_delete=models.PROTECT, related_name="+")
    motion = models.PositiveSmallIntegerField()
    choices = models.JSONField(help_text="[[option, weight in token units], ...]; empty withdraws")
    cast_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submission = models.OneToOneField("ledger.ChainSubmission", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.CharField(max_length=200, blank=True)

    class Meta:
        db_table = "issuance_ballotvote"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"vote on motion {self.motion} of {self.ballot_id} ({self.status})"
