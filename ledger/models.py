"""The platform's side of the chain boundary (DESIGN.md, Layout): chain accounts, the outbox's
submissions, and the read models the indexer builds from Final blocks.

An account belongs to an ``identity`` organisation or client account; those are referenced
by label only (``ledger`` imports no app above it).
"""

from __future__ import annotations

from django.db import models

from common.models import BaseModel


class ChainAccount(BaseModel):
    """A Moonlight account on the Gloam chain: an organisation's own, or a broker's client
    account's (segregated: the client's holdings sit at its own address; the broker's
    account pays and signs for it, so the client's key only receives).

    The BLS secret key is stored encrypted (Fernet, ``GLOAM_KEY_ENCRYPTION_KEY``); it is
    decrypted only inside ``ledger.keys`` to sign, and never serialised, logged or
    shown in the admin.
    """

    organisation = models.OneToOneField(
        "identity.Organisation", on_delete=models.PROTECT, related_name="chain_account", null=True, blank=True
    )
    client_account = models.OneToOneField(
        "identity.ClientAccount",
        on_delete=models.PROTECT,
        related_name="chain_account",
        null=True,
        blank=True,
    )
    public_key = models.CharField(
        max_length=98, unique=True, help_text="48-byte compressed BLS12-381 G1 key, 0x-prefixed hex."
    )
    encrypted_secret_key = models.BinaryField(editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(organisation__isnull=False, client_account__isnull=True)
                | models.Q(organisation__isnull=True, client_account__isnull=False),
                name="chain_account_one_owner",
            ),
        ]

    def __str__(self) -> str:
        owner = self.organisation.legal_name if self.organisation else str(self.client_account)
        return f"{owner}: {self.public_key[:18]}…"

    @property
    def address(self) -> bytes:
        """The 49-byte contract Address of this account (docs/contracts.md): tag 0 ‖ key."""
        return b"\x00" + bytes.fromhex(self.public_key.removeprefix("0x"))

    def __repr__(self) -> str:
        return f"<ChainAccount {self.public_key[:18]}…>"


class ChainSubmission(BaseModel):
    """One intended chain transaction of the outbox (DESIGN.md, Processes): recorded with the
    business change that wants it, then signed, submitted and followed until its block is
    Final, by ``ledger.outbox``. A crash at any point loses nothing and sends nothing
    twice: the signed bytes are stored before they are submitted, and resubmitting them is
    idempotent (a transaction's id is its content hash)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SIGNED = "signed", "Signed"
        SUBMITTED = "submitted", "Submitted"
        INCLUDED = "included", "Included"
        FINAL = "final", "Final"
        REJECTED = "rejected", "Rejected"

    class Operation(models.TextChoices):
        CALL = "call", "Contract call"
        DEPLOY = "deploy", "Contract deployment"
        TRANSFER = "transfer", "Transfer of the native token (gas), or a memo"
        PROVEN = "proven", "Proven contract call (a call carrying a Groth16 proof)"

    OPEN_STATUSES = (Status.QUEUED, Status.SIGNED, Status.SUBMITTED, Status.INCLUDED)

    chain_account = models.ForeignKey(ChainAccount, on_delete=models.PROTECT, related_name="submissions")
    kind = models.CharField(max_length=64, db_index=True, help_text="What it is for, e.g. instrument.deploy.")
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.CharField(max_length=64, blank=True, db_index=True)
    operation = models.CharField(max_length=8, choices=Operation.choices)
    contract = models.CharField(
        max_length=80,
        blank=True,
        help_text="0x contract id, or genesis:<name> for a genesis contract (resolved when signed).",
    )
    fn_name = models.CharField(max_length=64, blank=True)
    fn_args = models.BinaryField(default=b"", blank=True)
    code_name = models.CharField(max_length=64, blank=True, help_text="Genesis contract code to deploy.")
    deploy_nonce = models.PositiveBigIntegerField(null=True, blank=True)
    receiver = models.CharField(max_length=98, blank=True, help_text="Transfer: the receiving public key.")
    value = models.PositiveBigIntegerField(default=0, help_text="Transfer: Lux.")
    memo = models.BinaryField(default=b"", blank=True, help_text="Transfer: a memo (at most 512 bytes).")
    vk_id = models.CharField(max_length=66, blank=True, help_text="Proven call: the verifying key's 0x id.")
    public_inputs = models.BinaryField(
        default=b"", blank=True, help_text="Proven call: the proof's public inputs, 32 bytes LE each."
    )
    proof = models.BinaryField(default=b"", blank=True, help_text="Proven call: a Groth16 proof, 192 bytes.")
    after = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Not signed before this submission is Final (e.g. the funding of a new account).",
    )
    gas_limit = models.PositiveBigIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    nonce = models.PositiveBigIntegerField(null=True, blank=True)
    tx_id = models.CharField(max_length=66, blank=True, db_index=True)
    raw = models.BinaryField(null=True, blank=True, editable=False)
    contract_id = models.CharField(max_length=66, blank=True, help_text="The deployed contract's id.")
    block_height = models.PositiveBigIntegerField(null=True, blank=True)
    tx_index = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="0-based position in its block: (block_height, tx_index) orders two transactions.",
    )
    finality = models.CharField(max_length=16, blank=True)
    succeeded = models.BooleanField(null=True, blank=True, help_text="The receipt's outcome once included.")
    error = models.CharField(max_length=200, blank=True, help_text="Receipt error or node refusal reason.")
    events = models.JSONField(default=list, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    handled = models.BooleanField(default=False, help_text="The kind's outcome handler has run.")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["chain_account", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["chain_account", "nonce"],
                condition=models.Q(nonce__isnull=False) & ~models.Q(status="rejected"),
                name="chain_submission_nonce_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status} {self.tx_id[:18]}"

    def event_data(self, topic: str) -> bytes | None:
        """The data of the receipt's first event with ``topic`` (e.g. DvP's ``created``, a
        token's ``checkpoint``), or ``None`` if it has none."""
        for event in self.events:
            if event.get("topic") == topic:
                return bytes.fromhex(str(event["data"]).removeprefix("0x"))
        return None


#: The cursor of the chain indexer that keeps ``TokenHolding`` (``ledger.indexer``).
HOLDINGS_CURSOR = "holdings"


class ChainCursor(models.Model):
    """How far a consumer of the nodes' event feed has read: the last event sequence
    applied, and its block height. Advanced in the same transaction as what it applied."""

    name = models.CharField(max_length=50, primary_key=True)
    sequence = models.PositiveBigIntegerField(default=0)
    height = models.PositiveBigIntegerField(default=0)
    final_height = models.PositiveBigIntegerField(default=0, help_text="The chain's Final height last seen.")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} @ {self.sequence} (height {self.height})"


class TokenHolding(BaseModel):
    """One holder's balance of one token contract (a security token or the cash token) at
    the indexer's cursor, in the token's base units; ``holder`` is the 49-byte Address hex."""

    contract = models.CharField(max_length=66, db_index=True)
    holder = models.CharField(max_length=98)
    balance = models.DecimalField(max_digits=30, decimal_places=0)
    last_height = models.PositiveBigIntegerField()
    last_tx_id = models.CharField(max_length=66)
    last_changed_at = models.DateTimeField()

    class Meta:
        ordering = ["contract", "-balance", "holder"]
        constraints = [models.UniqueConstraint(fields=["contract", "holder"], name="token_holding_unique")]

    def __str__(self) -> str:
        return f"{self.holder[:12]}… holds {self.balance} of {self.contract[:12]}…"


#: The cursor of the Phoenix note scanner (``ledger.phoenix``).
PHOENIX_CURSOR = "phoenix"


class PhoenixKey(BaseModel):
    """An organisation's Phoenix key (shielded cash; ``reference/dusk-protocol.md`` §2.3,
    ``chain.node.phoenix_wallet``): made from 64 random bytes, the secret key (64 bytes) and
    the view key (64 bytes) stored encrypted with ``GLOAM_KEY_ENCRYPTION_KEY`` (Fernet), like a
    chain account's BLS key. The view key finds and opens the organisation's notes; the
    secret key computes their nullifiers and signs their spending. Neither is ever
    serialised, logged or shown in the admin."""

    organisation = models.OneToOneField(
        "identity.Organisation", on_delete=models.PROTECT, related_name="phoenix_key"
    )
    public_key = models.CharField(
        max_length=130, unique=True, help_text="A ‖ B, 64 bytes, 0x-prefixed hex: what payers send to."
    )
    encrypted_secret_key = models.BinaryField(editable=False)
    encrypted_view_key = models.BinaryField(editable=False)

    def __str__(self) -> str:
        return f"Phoenix key {self.public_key[:18]}…"

    def __repr__(self) -> str:
        return f"<PhoenixKey {self.public_key[:18]}…>"


class ShieldedNote(BaseModel):
    """A Phoenix note an organisation's view key found in a Final ``note`` event of the phoenix
    contract (the read model of the scanner, ``ledger.phoenix``).

    Stored: the note's 302 bytes (public on chain), its tree position, value (minor units) and
    nullifier. Not stored: the value commitment's blinder, re-derived from the note with the
    view key when the note is spent (``phoenix_wallet.note_value``). ``pending`` while a
    transfer that spends it is being proved or submitted (``reserved_for``: that transfer's
    id); ``spent`` once a Final ``spend`` event names its nullifier."""

    class Status(models.TextChoices):
        UNSPENT = "unspent", "Unspent"
        PENDING = "pending", "Pending (being spent)"
        SPENT = "spent", "Spent"

    key = models.ForeignKey(PhoenixKey, on_delete=models.PROTECT, related_name="notes")
    position = models.PositiveBigIntegerField(unique=True, help_text="Position in the chain's note tree.")
    value = models.PositiveBigIntegerField(help_text="Minor units of the cash token (cents).")
    note = models.BinaryField(editable=False, help_text="Note::to_bytes, 302 bytes, pos set.")
    nullifier = models.CharField(max_length=66, unique=True, help_text="0x hex, 32 bytes LE.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.UNSPENT, db_index=True)
    reserved_for = models.CharField(max_length=64, blank=True, help_text="The spending transfer's id.")
    height = models.PositiveBigIntegerField(help_text="Block of the note event (Final).")
    tx_id = models.CharField(max_length=66)
    spent_height = models.PositiveBigIntegerField(null=True, blank=True)
    spent_tx_id = models.CharField(max_length=66, blank=True)

    class Meta:
        ordering = ["-position"]
        indexes = [models.Index(fields=["key", "status"])]

    def __str__(self) -> str:
        return f"note {self.position} ({self.status})"
