"""Reads: settlement instructions and their status events, scoped to the caller's broker
(regulators and operators see all: ``identity.selectors.scope_to_organisation``)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from common.exceptions import NotFoundError, PermissionDeniedError
from identity.models import User
from identity.selectors import apply_filters, scope_to_organisation, user_sees_all_organisations
from settlement.filters import InstructionFilter
from settlement.models import InstructionEvent, NettingCycle, SettlementInstruction, WebhookEndpoint


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
