"""Reads of corporate actions and entitlements, scoped to the asking user.

Who sees what:
- an event: users of the issuer in every status; everyone who sees the instrument
  (``issuance.selectors.instrument_list``) once it is approved (an announced event); drafts
  and events pending approval of another issuer are not found (404);
- entitlements: the issuer's users (all of their instruments' events), regulators and
  operators (all), an investor organisation (its own), a broker (its own and its client
  accounts'); nobody else's (an entitlement one may not see is not found);
- market claims: the issuer's users, regulators and operators, and the brokers of the buyer's
  and of the seller's client account.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import django_filters
from django.db.models import Case, F, Q, QuerySet, When

from common.exceptions import NotFoundError, PermissionDeniedError
from common.filters import StrictFilterSet
from identity.models import User
from identity.selectors import apply_filters, user_sees_all_organisations
from issuance.corporate_actions import (
    EntitlementAmounts,
    EntitlementSheet,
    compute_action_positions,
    compute_action_sheet,
)
from issuance.models import (
    CorporateAction,
    CorporateActionKind,
    CorporateActionStatus,
    Entitlement,
    Instrument,
    MarketClaim,
    MarketClaimStatus,
)
from issuance.selectors import instrument_list
from ledger.models import TokenHolding

Status = CorporateActionStatus
UNANNOUNCED = (Status.DRAFT, Status.PENDING_APPROVAL, Status.CANCELLED)
PAID_STATUSES = (Status.PAID, Status.REDEEMING, Status.REDEEMED)


class CorporateActionFilter(StrictFilterSet):
    kind = django_filters.ChoiceFilter(choices=CorporateActionKind.choices)
    status = django_filters.ChoiceFilter(choices=CorporateActionStatus.choices)
    isin = django_filters.CharFilter(field_name="instrument__isin", lookup_expr="iexact")
    payment_from = django_filters.DateFilter(field_name="payment_date", lookup_expr="gte")
    payment_to = django_filters.DateFilter(field_name="payment_date", lookup_expr="lte")

    class Meta:
        model = CorporateAction
        fields = ["kind", "status", "instrument", "isin", "payment_from", "payment_to"]


class EntitlementFilter(StrictFilterSet):
    state = django_filters.ChoiceFilter(
        choices=[("upcoming", "upcoming (not paid yet)"), ("paid", "paid (Final)")], method="filter_state"
    )
    action = django_filters.UUIDFilter(field_name="action_id")
    isin = django_filters.CharFilter(field_name="action__instrument__isin", lookup_expr="iexact")
    kind = django_filters.ChoiceFilter(field_name="action__kind", choices=CorporateActionKind.choices)
    client_account = django_filters.CharFilter(field_name="client_account__account_reference")

    class Meta:
        model = Entitlement
        fields = ["state", "action", "isin", "kind", "client_account"]

    def filter_state(self, queryset: QuerySet[Entitlement], name: str, value: str) -> QuerySet[Entitlement]:
        if value == "paid":
            return queryset.filter(action__status__in=PAID_STATUSES)
        return queryset.filter(action__status__in=(Status.ENTITLED, Status.PAYING))


def corporate_action_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[CorporateAction]:
    """Events the user may see (module docstring), soonest payment first."""
    instruments = instrument_list(user=user).values("pk")
    queryset = CorporateAction.objects.select_related(
        "instrument__issuer", "proposed_by", "approved_by"
    ).filter(instrument__in=instruments)
    if not user_sees_all_organisations(user=user):
        queryset = queryset.filter(~Q(status__in=UNANNOUNCED) | Q(instrument__issuer_id=user.organisation_id))
    return apply_filters(CorporateActionFilter, queryset, filters).order_by(
        "payment_date", "instrument__isin"
    )


def corporate_action_get(*, user: User, action_id: uuid.UUID) -> CorporateAction:
    """One event; ``NotFoundError`` if the user may not see it."""
    try:
        return corporate_action_list(user=user).get(pk=action_id)
    except CorporateAction.DoesNotExist as exc:
        raise NotFoundError("Corporate action not found.") from exc


def corporate_action_approval_inbox(*, user: User) -> QuerySet[CorporateAction]:
    """Events of the user's issuer pending approval (approvers only; others: empty)."""
    from identity.roles import Role

    if not user.has_role(Role.ISSUER_APPROVER) or user.organisation_id is None:
        return CorporateAction.objects.none()
    return corporate_action_list(user=user).filter(
        instrument__issuer_id=user.organisation_id, status=Status.PENDING_APPROVAL
    )


def entitlement_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[Entitlement]:
    """Entitlements the user may see (module docstring), latest payment first."""
    queryset = Entitlement.objects.select_related(
        "action__instrument", "organisation", "client_account__broker"
    )
    if not user_sees_all_organisations(user=user):
        org = user.organisation_id
        if org is None:
            return queryset.none()
        queryset = queryset.filter(
            Q(action__instrument__issuer_id=org) | Q(organisation_id=org) | Q(client_account__broker_id=org)
        )
    return apply_filters(EntitlementFilter, queryset, filters).order_by(
        "-action__payment_date", "action__instrument__isin", "-units", "holder"
    )


class MarketClaimFilter(StrictFilterSet):
    action = django_filters.UUIDFilter(field_name="action_id")
    status = django_filters.ChoiceFilter(choices=MarketClaimStatus.choices)
    isin = django_filters.CharFilter(field_name="action__instrument__isin", lookup_expr="iexact")

    class Meta:
        model = MarketClaim
        fields = ["action", "status", "isin"]


def market_claim_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[MarketClaim]:
    """Market claims the user may see (module docstring), latest first."""
    queryset = MarketClaim.objects.select_related(
        "action__instrument",
        "buy_instruction__client_account__broker",
        "sell_instruction__client_account__broker",
    )
    buyer_ref: F | Case = F("buy_instruction__client_account__account_reference")
    seller_ref: F | Case = F("sell_instruction__client_account__account_reference")
    if not user_sees_all_organisations(user=user):
        org = user.organisation_id
        if org is None:
            return queryset.none()
        queryset = queryset.filter(
            Q(action__instrument__issuer_id=org)
            | Q(buy_instruction__client_account__broker_id=org)
            | Q(sell_instruction__client_account__broker_id=org)
        )
        # a broker sees its own client account's reference, not the counterparty's (as in
        # the settlement API); the issuer sees both, as it sees its holders' names
        issuer = Q(action__instrument__issuer_id=org)
        buyer_ref = Case(When(issuer | Q(buy_instruction__client_account__broker_id=org), then=buyer_ref))
        seller_ref = Case(When(issuer | Q(sell_instruction__client_account__broker_id=org), then=seller_ref))
    queryset = queryset.annotate(buyer_account_ref=buyer_ref, seller_account_ref=seller_ref)
    return apply_filters(MarketClaimFilter, queryset, filters).order_by("-created_at")


def corporate_action_preview(
    *, user: User, action_id: uuid.UUID
) -> tuple[CorporateAction, EntitlementSheet, str]:
    """The entitlements of an event for its issuer: once computed, those of the record
    checkpoint (``"record checkpoint N"``); before, a projection from the latest Final
    holdings (``"latest Final holdings"``, the indexer's), which the record checkpoint may
    change. Reads jurisdiction claims from the chain (``ChainUnavailable`` if no node
    answers). ``PermissionDeniedError`` for anyone but the issuer's users, regulators and
    operators (a preview names holders)."""
    action = corporate_action_get(user=user, action_id=action_id)
    if not (user_sees_all_organisations(user=user) or user.organisation_id == action.instrument.issuer_id):
        raise PermissionDeniedError("Only the issuer previews the entitlements of an event.")
    if action.entitlements.exists() or action.status in (Status.ENTITLED, Status.PAYING, *PAID_STATUSES):
        rows = [
            EntitlementAmounts(
                e.holder,
                e.units,
                e.position,
                e.gross,
                e.withholding_country,
                e.withholding_rate,
                e.withheld,
                e.net,
            )
            for e in action.entitlements.all()
        ]
        paid = sum((r.gross for r in rows), Decimal(0))
        withheld = sum((r.withheld for r in rows), Decimal(0))
        declared = action.declared_total if action.declared_total is not None else paid
        sheet = EntitlementSheet(rows, declared, paid, withheld, paid - withheld, declared - paid)
        return action, sheet, f"record checkpoint {action.checkpoint_number}"
    holdings = [
        (h.holder, int(h.balance))
        for h in TokenHolding.objects.filter(contract=action.instrument.contract_id, balance__gt=0)
    ]
    positions = compute_action_positions(action, holdings)
    return action, compute_action_sheet(action, positions), "latest Final holdings"


@dataclass(frozen=True)
class BeatFailures:
    """What the corporate actions beat last failed on (``beat_error``), newest first."""

    instruments: list[Instrument]
    events: list[CorporateAction]

    def __bool__(self) -> bool:
        return bool(self.instruments or self.events)


def corporate_action_beat_failures(*, user: User, instrument: Instrument | None = None) -> BeatFailures:
    """The instruments and events whose last step of the corporate actions beat failed (the
    error is cleared when the step next succeeds): every issuer's for the operator and
    regulators, the issuer's own for its users, none for anyone else; of one instrument if
    given."""
    instruments = Instrument.objects.exclude(beat_error="").select_related("issuer")
    events = CorporateAction.objects.exclude(beat_error="").select_related("instrument__issuer")
    if not user_sees_all_organisations(user=user):
        if user.organisation_id is None:
            return BeatFailures([], [])
        instruments = instruments.filter(issuer_id=user.organisation_id)
        events = events.filter(instrument__issuer_id=user.organisation_id)
    if instrument is not None:
        instruments = instruments.filter(pk=instrument.pk)
        events = events.filter(instrument_id=instrument.pk)
    return BeatFailures(list(instruments.order_by("-beat_error_at")), list(events.order_by("-beat_error_at")))
