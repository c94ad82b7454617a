"""Read models built from Final chain events by the indexer (``settlement.indexer``)."""

from __future__ import annotations

from django.db import models

from common.models import BaseModel


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
