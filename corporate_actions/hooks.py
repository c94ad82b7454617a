"""What corporate actions ask of settlement, through hooks that settlement fills in.

``corporate_actions`` sits below ``settlement`` (DESIGN.md, App layers) and imports nothing
from it; settlement owns the settlement instructions, so it answers these questions and
registers its answers in ``SettlementConfig.ready()`` (:func:`register_settlement_hooks`):

- ``instructions_in_a_cycle(instrument_id=...)``: whether open instructions of the instrument
  are in a netting cycle (a split waits until the cycle ends: their quantities are in units
  before the split);
- ``open_instructions_cancel(instrument_id=..., reason=...)``: cancel the instrument's open
  instructions that are in no netting cycle, each with ``reason`` and the broker's event and
  webhook; returns how many were cancelled;
- ``settled_buys_after_record(action=...)``: the matched buy trades of the event's instrument
  struck before its ex-date and settled after its record checkpoint in chain order, in the
  order they settled (the market claims, ``corporate_actions.market_claims``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.core.exceptions import ImproperlyConfigured

from corporate_actions.models import CorporateAction


@dataclass(frozen=True)
class SettledBuy:
    """A settled buy trade and the sell it matched (ids of settlement instructions)."""

    buy_instruction_id: uuid.UUID
    sell_instruction_id: uuid.UUID
    buyer_client_account_id: uuid.UUID
    seller_client_account_id: uuid.UUID
    quantity: Decimal
    """Nominal (in the currency) or units, as the instrument's issue size."""
    reference: str
    """The buyer's reference of the trade."""


class InstructionsInACycle(Protocol):
    def __call__(self, *, instrument_id: uuid.UUID) -> bool: ...


class OpenInstructionsCancel(Protocol):
    def __call__(self, *, instrument_id: uuid.UUID, reason: str) -> int: ...


class SettledBuysAfterRecord(Protocol):
    def __call__(self, *, action: CorporateAction) -> list[SettledBuy]: ...


@dataclass(frozen=True)
class SettlementHooks:
    """Settlement's answers (the module docstring says what each does)."""

    instructions_in_a_cycle: InstructionsInACycle
    open_instructions_cancel: OpenInstructionsCancel
    settled_buys_after_record: SettledBuysAfterRecord


_settlement_hooks: list[SettlementHooks] = []


def register_settlement_hooks(hooks: SettlementHooks) -> None:
    """Install settlement's answers (from its ``AppConfig.ready()``); a second call replaces
    the first."""
    _settlement_hooks[:] = [hooks]


def get_settlement_hooks() -> SettlementHooks:
    """Settlement's answers. ``ImproperlyConfigured`` if none are registered (the
    ``settlement`` app is not installed or not ready)."""
    if not _settlement_hooks:
        raise ImproperlyConfigured(
            "corporate_actions needs the settlement app's hooks: add 'settlement' to INSTALLED_APPS "
            "(SettlementConfig.ready registers them)."
        )
    return _settlement_hooks[0]
