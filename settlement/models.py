"""Settlement instructions (ISO 20022), netting cycles, webhook endpoints and deliveries.

The holdings read model the indexer builds is ``ledger.models.TokenHolding``."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from common.encryption import EncryptedTextField
from common.models import BaseModel


class Side(models.TextChoices):
    BUY = "buy", "Buy (receive securities against payment)"
    SELL = "sell", "Sell (deliver securities against payment)"


class InstructionStatus(models.TextChoices):
    """The ISO 20022 settlement instruction lifecycle (sese.023 / sese.024 status codes)."""

    RECEIVED = "received", "Received"
    REJECTED = "rejected", "Rejected"
    UNMATCHED = "unmatched", "Unmatched"
    MATCHED = "matched", "Matched"
    PENDING = "pending", "Pending settlement"
    SETTLED = "settled", "Settled"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


#: Instructions not settled, cancelled or rejected (a split cancels those in no netting cycle:
#: their quantities are in units before it).
OPEN_INSTRUCTION_STATUSES = (
    InstructionStatus.RECEIVED,
    InstructionStatus.UNMATCHED,
    InstructionStatus.MATCHED,
    InstructionStatus.PENDING,
    InstructionStatus.FAILED,
)


class CashLeg(models.TextChoices):
    """How the cash leg of a DvP settles (docs/settlement.md "Shielded DvP")."""

    PUBLIC = "public", "Public cash token (netted)"
    SHIELDED = "shielded", "Shielded cash (a Phoenix payment, gross)"


class PendingReason(models.TextChoices):
    LACKING_SECURITIES = "lacking_securities", "Lacking securities"
    LACKING_CASH = "lacking_cash", "Lacking cash"
    COMPLIANCE = "compliance", "Compliance"


class SettlementInstruction(BaseModel):
    """One broker's side of a trade, to be settled delivery versus payment.

    ``quantity`` is nominal (in the currency) or units, as the instrument's issue size;
    ``price`` is the clean price in percent of nominal for nominal-sized instruments, else
    per unit; ``accrued_interest`` and ``settlement_amount`` are in ``currency`` (the
    settlement amount is quantity × price plus accrued interest, rounded to the cent)."""

    broker = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="settlement_instructions"
    )
    client_account = models.ForeignKey("identity.ClientAccount", on_delete=models.PROTECT, related_name="+")
    instrument = models.ForeignKey("issuance.Instrument", on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=4, choices=Side.choices)
    quantity = models.DecimalField(max_digits=24, decimal_places=6)
    price = models.DecimalField(max_digits=20, decimal_places=6)
    trade_date = models.DateField()
    intended_settlement_date = models.DateField()
    counterparty = models.ForeignKey("identity.Organisation", on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(max_length=35, help_text="The broker's own reference (ISO 20022 Max35Text).")
    currency = models.CharField(max_length=3)
    cash_leg = models.CharField(
        max_length=8,
        choices=CashLeg.choices,
        default=CashLeg.PUBLIC,
        help_text="public: the cash token, netted in a cycle; shielded: a Phoenix payment of the "
        "buyer's broker's shielded cash, settled gross in a cycle of its own. A matching field.",
    )
    accrued_interest = models.DecimalField(max_digits=24, decimal_places=2)
    settlement_amount = models.DecimalField(max_digits=24, decimal_places=2)
    status = models.CharField(
        max_length=12, choices=InstructionStatus.choices, default=InstructionStatus.RECEIVED, db_index=True
    )
    status_reason = models.CharField(max_length=200, blank=True)
    pending_reason = models.CharField(max_length=20, choices=PendingReason.choices, blank=True)
    matched_with = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    match_report = models.JSONField(
        default=list,
        blank=True,
        help_text="While unmatched: the fields that differ from the nearest candidate.",
    )
    created_by = models.ForeignKey("identity.User", on_delete=models.PROTECT, related_name="+")
    cycle = models.ForeignKey(
        "settlement.NettingCycle",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="instructions",
    )
    settled_height = models.PositiveBigIntegerField(null=True, blank=True)
    settled_tx_index = models.PositiveIntegerField(
        null=True, blank=True, help_text="The settling transaction's 0-based position in its block."
    )
    settled_at = models.DateTimeField(null=True, blank=True)
    failed_on = models.DateField(
        null=True, blank=True, help_text="The intended settlement date it failed on (still recycled)."
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["broker", "reference"], name="instruction_reference_unique"),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="instruction_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(intended_settlement_date__gte=models.F("trade_date")),
                name="instruction_settles_after_trade",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.side} {self.quantity} {self.instrument_id}"


class InstructionEvent(models.Model):
    """A status change of an instruction, for brokers to poll (and webhooks to send):
    ``id`` orders them."""

    id = models.BigAutoField(primary_key=True)
    instruction = models.ForeignKey(SettlementInstruction, on_delete=models.CASCADE, related_name="events")
    broker = models.ForeignKey("identity.Organisation", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=12, choices=InstructionStatus.choices)
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.instruction_id} → {self.status}"


class CycleStatus(models.TextChoices):
    NETTING = "netting", "Netting"
    SETTLING = "settling", "Settling on chain"
    SETTLED = "settled", "Settled (Final)"
    FAILED = "failed", "Nothing settled"


class NettingCycle(BaseModel):
    """One netting cycle: the matched instructions due by ``cycle_date``, netted
    multilaterally and settled as one DvP batch (``settlement.netting``).

    ``plan`` holds the current attempt: the pairs in it, the net legs grouped into DvP
    instructions, their ids once created. ``report`` holds gross and net obligations and
    the netting efficiency of the attempt that settled."""

    cycle_date = models.DateField(db_index=True)
    cash_leg = models.CharField(
        max_length=8,
        choices=CashLeg.choices,
        default=CashLeg.PUBLIC,
        help_text="shielded: one pair, its securities against a Phoenix payment (not netted).",
    )
    status = models.CharField(max_length=10, choices=CycleStatus.choices, default=CycleStatus.NETTING)
    attempt = models.PositiveSmallIntegerField(default=1)
    plan = models.JSONField(default=dict, blank=True)
    report = models.JSONField(default=dict, blank=True)
    excluded = models.JSONField(default=list, blank=True, help_text="Instructions taken out, with reasons.")
    settled_height = models.PositiveBigIntegerField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"cycle {self.cycle_date} #{self.pk} ({self.status})"


class WebhookEndpoint(BaseModel):
    """Where a broker wants its instructions' status changes POSTed, signed with HMAC-SHA256
    under ``secret`` (docs/settlement.md, Notifications). The secret is needed in clear to sign,
    so it is encrypted at rest (Fernet, ``GLOAM_KYC_ENCRYPTION_KEYS``), not hashed; the API shows
    it once, in the response that registers the endpoint."""

    broker = models.ForeignKey(
        "identity.Organisation", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=500)
    secret = EncryptedTextField(editable=False)
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.broker_id} → {self.url}"


class WebhookDelivery(BaseModel):
    """One event to one endpoint, retried with exponential backoff until delivered (2xx) or
    given up after ``MAX_ATTEMPTS``."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(InstructionEvent, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_error = models.CharField(max_length=200, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["next_attempt_at"]
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="webhook_delivery_once")]

    def __str__(self) -> str:
        return f"event {self.event_id} to {self.endpoint_id}: {self.status}"


class ShieldedTransfer(BaseModel):
    """One movement of an organisation's shielded cash (Phoenix notes of the EUR cash token;
    ``settlement.shielded``, docs/zk.md "Phoenix transfers"):

    - ``shield``: public EUR → a transparent note to the organisation's own Phoenix key
      (cash token ``approve`` then ``phoenix.shield``, through the outbox);
    - ``send``: 1-2 of its notes → a note to ``receiver``'s key and the change to itself, as a
      proven call whose proof a proving worker makes (``proof_job``);
    - ``unshield``: 1-2 of its notes → public EUR to its own chain account (``deposit``), the
      change to itself.

    ``status``: ``proving`` (waiting for the proof job), ``submitted`` (in the outbox: signed,
    submitted, followed until Final), ``final`` (the block is Final and the call succeeded),
    ``failed`` (``error_code``; its notes are released). The input notes are the ledger's
    ``ShieldedNote`` rows whose ``reserved_for`` is this transfer's id. ``fn_args`` is the
    contract call's arguments (the two output notes, public on chain anyway); the witness is
    never stored here: it lives, encrypted, in the proof job until proved, then is wiped."""

    class Kind(models.TextChoices):
        SHIELD = "shield", "Shield (public to shielded)"
        SEND = "send", "Shielded payment"
        DVP = "dvp", "Shielded DvP payment"
        UNSHIELD = "unshield", "Unshield (shielded to public)"

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting for the DvP instruction"
        PROVING = "proving", "Proving"
        SUBMITTED = "submitted", "Submitted"
        FINAL = "final", "Final"
        FAILED = "failed", "Failed"

    organisation = models.ForeignKey(
        "identity.Organisation", on_delete=models.PROTECT, related_name="shielded_transfers"
    )
    receiver = models.ForeignKey(
        "identity.Organisation",
        on_delete=models.PROTECT,
        related_name="shielded_transfers_received",
        null=True,
        blank=True,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shielded_transfers"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    currency = models.CharField(max_length=3, default="EUR")
    amount = models.DecimalField(max_digits=24, decimal_places=2)
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    error_code = models.CharField(max_length=64, blank=True)
    proof_job = models.OneToOneField(
        "proving.ProofJob", on_delete=models.PROTECT, null=True, blank=True, related_name="shielded_transfer"
    )
    submission = models.ForeignKey(
        "ledger.ChainSubmission", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cycle = models.ForeignKey(
        "settlement.NettingCycle",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shielded_payments",
        help_text="A DvP payment's cycle (its one pair of instructions).",
    )
    payment_note = EncryptedTextField(
        blank=True,
        default="",
        help_text="A DvP payment: the seller's chosen note (value, r, blinder) as JSON, "
        "encrypted; the instruction is bound to it.",
    )
    circuit = models.CharField(max_length=64, blank=True)
    vk_id = models.CharField(max_length=66, blank=True)
    root = models.CharField(max_length=66, blank=True, help_text="The note-tree root the proof names.")
    fn_args = models.BinaryField(default=b"", blank=True, editable=False)
    public_signals = models.JSONField(default=list, blank=True, help_text="Expected, decimal strings.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "status"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} {self.currency} ({self.status})"
