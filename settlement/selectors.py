"""Reads: settlement instructions and their status events, scoped to the caller's broker
(regulators and operators see all: ``identity.selectors.scope_to_organisation``)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from common.exceptions import NotFoundError, PermissionDeniedError
from corporate_actions.hooks import SettledBuy
from corporate_actions.models import CorporateAction
from identity.models import User
from identity.selectors import apply_filters, scope_to_organisation, user_sees_all_organisations
from settlement.filters import InstructionFilter
from settlement.models import (
    OPEN_INSTRUCTION_STATUSES,
    InstructionEvent,
    InstructionStatus,
    NettingCycle,
    SettlementInstruction,
    Side,
    WebhookEndpoint,
)


def instruction_list(*, user: User, filters: Any = None) -> QuerySet[SettlementInstruction]:
    queryset = scope_to_organisation(
        SettlementInstruction.objects.select_related(
            "instrument", "counterparty", "client_account", "broker"
        ),
        user=user,
        field="broker",
    )
    return apply_filters(InstructionFilter, queryset, filters)


def instruction_get(*, user: User, instruction_id: uuid.UUID) -> SettlementInstruction:
    try:
        return instruction_list(user=user).get(pk=instruction_id)
    except SettlementInstruction.DoesNotExist as exc:
        raise NotFoundError("Settlement instruction not found.") from exc


def instruction_event_list(*, user: User, after: int = 0) -> QuerySet[InstructionEvent]:
    """Status changes after the event id ``after``, oldest first (a broker polls with the
    last id it saw)."""
    events = InstructionEvent.objects.select_related("instruction").filter(id__gt=after)
    return scope_to_organisation(events, user=user, field="broker").order_by("id")


def netting_cycle_list(*, user: User) -> QuerySet[NettingCycle]:
    """Cycles concern every participant: operators and regulators read them."""
    if not user_sees_all_organisations(user=user):
        raise PermissionDeniedError("Netting cycles are for operators and regulators.")
    return NettingCycle.objects.all()


def netting_cycle_get(*, user: User, cycle_id: uuid.UUID) -> NettingCycle:
    try:
        return netting_cycle_list(user=user).get(pk=cycle_id)
    except NettingCycle.DoesNotExist as exc:
        raise NotFoundError("Netting cycle not found.") from exc


def webhook_endpoint_list(*, user: User) -> QuerySet[WebhookEndpoint]:
    return scope_to_organisation(WebhookEndpoint.objects.all(), user=user, field="broker").order_by(
        "created_at"
    )


# -- what corporate actions ask (corporate_actions.hooks) ---------------------------------------
def instructions_in_a_cycle(*, instrument_id: uuid.UUID) -> bool:
    """Whether open instructions of the instrument are in a netting cycle (a split waits)."""
    return SettlementInstruction.objects.filter(
        instrument_id=instrument_id, status__in=OPEN_INSTRUCTION_STATUSES, cycle__isnull=False
    ).exists()


def settled_after_record_checkpoint(action: CorporateAction) -> Q:
    """Instructions settled after the event's record checkpoint in chain order: in a later
    block, or in the checkpoint's own block at a later position (a netting batch and the
    checkpoint can share a block). Without the checkpoint's position (recorded before it was
    kept) only later blocks count, as then."""
    later_block = Q(settled_height__gt=action.checkpoint_height)
    if action.checkpoint_tx_index is None:
        return later_block
    return later_block | Q(
        settled_height=action.checkpoint_height, settled_tx_index__gt=action.checkpoint_tx_index
    )


def settled_buys_after_record(*, action: CorporateAction) -> list[SettledBuy]:
    """The matched buy trades of the event's instrument struck before its ex-date and settled
    after its record checkpoint (``settled_after_record_checkpoint``), in the order they
    settled (height, position in the block, then capture): the market claims' candidates."""
    buys = (
        SettlementInstruction.objects.filter(
            settled_after_record_checkpoint(action),
            instrument_id=action.instrument_id,
            side=Side.BUY,
            status=InstructionStatus.SETTLED,
            trade_date__lt=action.ex_date,
            matched_with__isnull=False,
        )
        .select_related("matched_with")
        .order_by("settled_height", "settled_tx_index", "created_at")
    )
    return [
        SettledBuy(
            buy_instruction_id=buy.pk,
            sell_instruction_id=buy.matched_with.pk,
            buyer_client_account_id=buy.client_account_id,
            seller_client_account_id=buy.matched_with.client_account_id,
            quantity=buy.quantity,
            reference=buy.reference,
        )
        for buy in buys
        if buy.matched_with is not None
    ]
