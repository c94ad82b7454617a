"""Corporate action pages: the issuer's events (propose, submit, approve, cancel, preview of
the entitlements with withholding and the rounding remainder) and the brokers' entitlements
of their client accounts (upcoming and paid).

They compose ``corporate_actions.selectors`` and call ``corporate_actions.services``;
domain errors become a message on the page.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from common.exceptions import ApplicationError, NotFoundError
from corporate_actions import selectors, services
from corporate_actions.models import CorporateActionKind, CorporateActionStatus
from frontend.forms import CorporateActionForm
from frontend.views import page_for, paginate, query_filters
from identity.authentication import request_user
from identity.roles import Role
from identity.selectors import chain_account_owner_name, chain_account_owners
from issuance.models import Instrument, InstrumentStatus

FILTERS = ("status", "kind", "isin")
ENTITLEMENT_FILTERS = ("state", "isin", "client_account")


@page_for("frontend:corporate-actions")
def corporate_actions(request: HttpRequest) -> HttpResponse:
    """The events the user sees; an issuer admin proposes one (POST). A refused proposal is
    shown again with what was typed and the reason (400), and nothing is written."""
    user = request_user(request)
    proposal: dict[str, str] = {}
    if request.method == "POST":
        if not user.has_role(Role.ISSUER_ADMIN):
            messages.error(request, "Only an issuer admin proposes corporate actions.")
            return redirect("frontend:corporate-actions")
        form = CorporateActionForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.error_text())
        else:
            data = form.cleaned_data
            try:
                action = services.corporate_action_create(
                    actor=user,
                    instrument_id=data["instrument"],
                    kind=data["kind"],
                    payment_date=data["payment_date"],
                    record_date=data["record_date"],
                    amount_per_unit=data["amount_per_unit"],
                    call_fraction=data["call_fraction"],
                    split_ratio=(
                        (data["split_numerator"], data["split_denominator"])
                        if data["split_numerator"] is not None and data["split_denominator"] is not None
                        else None
                    ),
                )
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, "Proposed as a draft; submit it for approval.")
                return redirect("frontend:corporate-action-detail", action_id=action.pk)
        proposal = {name: request.POST.get(name, "") for name in CorporateActionForm.base_fields}
    filters = query_filters(request, FILTERS)
    instruments = Instrument.objects.none()
    if user.has_role(Role.ISSUER_ADMIN) and user.organisation_id is not None:
        instruments = Instrument.objects.filter(
            issuer_id=user.organisation_id, status=InstrumentStatus.LIVE, is_reference_data=False
        )
    return render(
        request,
        "frontend/corporate_actions/list.html",
        {
            "page": paginate(request, selectors.corporate_action_list(user=user, filters=filters)),
            "filters": filters,
            "statuses": CorporateActionStatus.choices,
            "kinds": CorporateActionKind.choices,
            "instruments": instruments,
            "inbox": selectors.corporate_action_approval_inbox(user=user),
            "proposal": proposal,
        },
        status=400 if proposal else 200,
    )


@page_for("frontend:corporate-actions")
def corporate_action_detail(request: HttpRequest, action_id: uuid.UUID) -> HttpResponse:
    """An event with its entitlements (projected before the record checkpoint)."""
    user = request_user(request)
    try:
        action = selectors.corporate_action_get(user=user, action_id=action_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    context: dict[str, Any] = {"action": action, "sheet": None, "basis": "", "preview_error": ""}
    try:
        _, context["sheet"], context["basis"] = selectors.corporate_action_preview(
            user=user, action_id=action_id
        )
    except ApplicationError as exc:
        context["preview_error"] = exc.message
    if context["sheet"] is not None:
        owners = chain_account_owners(row.holder for row in context["sheet"].rows)
        splits = action.kind in services.SPLIT_KINDS
        context["rows"] = [
            (
                *chain_account_owner_name(owners.get(row.holder)),
                row,
                services.compute_units_after_split(
                    row.units, action.split_numerator or 1, action.split_denominator or 1
                )[0]
                if splits
                else None,
            )
            for row in context["sheet"].rows
        ]
    context["splits"] = action.kind in services.SPLIT_KINDS
    context["market_claims"] = selectors.market_claim_list(user=user, filters={"action": str(action.pk)})
    is_issuer = user.organisation_id == action.instrument.issuer_id
    context["can_submit"] = is_issuer and user.has_role(Role.ISSUER_ADMIN) and action.status == "draft"
    context["can_cancel"] = (
        is_issuer
        and user.has_role(Role.ISSUER_ADMIN)
        and action.status in ("draft", "pending_approval", "approved")
    )
    context["can_approve"] = (
        is_issuer
        and user.has_role(Role.ISSUER_APPROVER)
        and action.status == "pending_approval"
        and action.proposed_by_id != user.pk
    )
    context["approval_note"] = ""
    if is_issuer and action.status == "pending_approval" and not context["can_approve"]:
        context["approval_note"] = (
            "You proposed this event: another issuer approver must approve it."
            if action.proposed_by_id == user.pk
            else "Waiting for an issuer approver to approve it."
        )
    return render(request, "frontend/corporate_actions/detail.html", context)


def _act(request: HttpRequest, action_id: uuid.UUID, service: Any, done: str) -> HttpResponse:
    try:
        service(actor=request_user(request), action_id=action_id)
        messages.success(request, done)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("frontend:corporate-action-detail", action_id=action_id)


@page_for("frontend:corporate-actions")
@require_POST
def corporate_action_submit(request: HttpRequest, action_id: uuid.UUID) -> HttpResponse:
    return _act(request, action_id, services.corporate_action_submit, "Submitted for approval.")


@page_for("frontend:corporate-actions")
@require_POST
def corporate_action_approve(request: HttpRequest, action_id: uuid.UUID) -> HttpResponse:
    return _act(
        request, action_id, services.corporate_action_approve, "Approved: the record checkpoint follows."
    )


@page_for("frontend:corporate-actions")
@require_POST
def corporate_action_cancel(request: HttpRequest, action_id: uuid.UUID) -> HttpResponse:
    return _act(request, action_id, services.corporate_action_cancel, "Cancelled.")


@page_for("frontend:entitlements")
def entitlements(request: HttpRequest) -> HttpResponse:
    """Entitlements of the broker's client accounts and its own: upcoming and paid."""
    filters = query_filters(request, ENTITLEMENT_FILTERS)
    user = request_user(request)
    queryset = selectors.entitlement_list(user=user, filters=filters)
    return render(
        request,
        "frontend/corporate_actions/entitlements.html",
        {
            "page": paginate(request, queryset),
            "filters": filters,
            "paid_statuses": selectors.PAID_STATUSES,
            "upcoming_statuses": (CorporateActionStatus.ENTITLED, CorporateActionStatus.PAYING),
            "market_claims": selectors.market_claim_list(user=user)[:50],
        },
    )
