"""Compliance pages: transfer rules (the editor with a live breach preview, versions,
maker-checker approval), breaches (list with filters and the opened/resolved chart, detail
with the workflow) and actions (freeze, pause, forced transfer and its approval).

They compose ``compliance.selectors`` and call ``compliance.rulesets``, ``compliance.breaches``
and ``compliance.enforcement``; the preview is an htmx fragment re-rendered as the officer
edits the form."""

from __future__ import annotations

import datetime
import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chain.node.client import contract_abi
from common.exceptions import (
    ApplicationError,
    ChainUnavailable,
    InvalidInput,
    NotFoundError,
    PermissionDeniedError,
)
from compliance import breaches, chainstate, enforcement, rulesets, selectors
from compliance.models import (
    ActionStatus,
    BreachSource,
    BreachStatus,
    ForcedTransferReason,
    RuleSet,
    RuleSetStatus,
)
from frontend.views import page_for, paginate
from identity.authentication import request_user
from identity.models import User
from issuance.maker_checker import maker_changes
from issuance.models import Instrument
from issuance.selectors import instrument_get
from ledger.models import TokenHolding

CATEGORIES = (
    ("retail", "Retail"),
    ("professional", "Professional"),
    ("eligible_counterparty", "Eligible counterparty"),
)
TRANSFER_CODES = [(int(c), c.code) for c in contract_abi.TransferCode]
REQUIREMENTS_EXAMPLE = '[[{"topic": "investor_category", "kind": "value_in", "values": ["professional"]}]]'


def _instrument(request: HttpRequest, instrument_id: uuid.UUID) -> Instrument:
    """The instrument if the user reads its rules (404 if not visible, 403 if not allowed)."""
    from django.http import Http404

    try:
        instrument = instrument_get(user=request_user(request), instrument_id=instrument_id)
        return selectors.rules_readable(user=request_user(request), instrument=instrument)
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc


def _codes(text: str) -> list[str]:
    return [c.strip().upper() for c in text.replace(";", ",").replace(" ", ",").split(",") if c.strip()]


def _int(value: str, name: str) -> int:
    try:
        return int(value or 0)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number.", code="invalid_number") from None


def _requirements(text: str, name: str) -> list[Any]:
    if not text.strip():
        return []
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The {name} requirements are not valid JSON: {exc}.", code="invalid_requirements"
        ) from exc
    if not isinstance(value, list):
        raise InvalidInput(f"The {name} requirements must be a list of lists.", code="invalid_requirements")
    return value


def form_values(data: Any) -> dict[str, Any]:
    """The editor's form as ``compliance.rulesets`` values; ``InvalidInput`` if unreadable."""
    lockup = data.get("lockup_until", "").strip()
    try:
        lockup_date = datetime.date.fromisoformat(lockup) if lockup else None
    except ValueError:
        raise InvalidInput("The lock-up date is not a date (YYYY-MM-DD).", code="invalid_date") from None
    minimum = data.get("min_holding_quantity", "").strip()
    if minimum:
        try:
            Decimal(minimum)
        except InvalidOperation:
            raise InvalidInput("The minimum holding is not a number.", code="invalid_min_holding") from None
    return {
        "kyc_required": data.get("kyc_required") in ("on", "true", "1"),
        "accreditation_required": data.get("accreditation_required") in ("on", "true", "1"),
        "allowed_jurisdictions": _codes(data.get("allowed_jurisdictions", "")),
        "denied_jurisdictions": _codes(data.get("denied_jurisdictions", "")),
        "allowed_categories": data.getlist("allowed_categories"),
        "max_holders": _int(data.get("max_holders", ""), "The holder cap"),
        "max_ownership_bps": _int(data.get("max_ownership_bps", ""), "The ownership cap"),
        "lockup_until": lockup_date,
        "min_holding_quantity": minimum or None,
        "sender": _requirements(data.get("sender", ""), "sender"),
        "receiver": _requirements(data.get("receiver", ""), "receiver"),
        "comment": data.get("comment", "").strip(),
    }


def _initial(instrument: Instrument, rule_set: RuleSet | None) -> dict[str, Any]:
    if rule_set is None:
        return {"allowed_categories": [], "sender": "", "receiver": ""}
    return {
        "kyc_required": rule_set.kyc_required,
        "accreditation_required": rule_set.accreditation_required,
        "allowed_jurisdictions": ", ".join(rule_set.allowed_jurisdictions),
        "denied_jurisdictions": ", ".join(rule_set.denied_jurisdictions),
        "allowed_categories": list(rule_set.allowed_categories),
        "max_holders": rule_set.max_holders or "",
        "max_ownership_bps": rule_set.max_ownership_bps or "",
        "lockup_until": rule_set.lockup_until.isoformat() if rule_set.lockup_until else "",
        "min_holding_quantity": format((rule_set.min_holding * instrument.token_unit).normalize(), "f")
        if rule_set.min_holding
        else "",
        "sender": json.dumps(rule_set.sender) if rule_set.sender else "",
        "receiver": json.dumps(rule_set.receiver) if rule_set.receiver else "",
    }


# -- rules ----------------------------------------------------------------------------------------
@page_for("frontend:compliance-rules")
def rules_home(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    instruments = [
        (instrument, selectors.rule_set_applied(instrument=instrument))
        for instrument in selectors.instruments_with_rules(user=user)
    ]
    return render(
        request,
        "frontend/compliance/rules_home.html",
        {
            "instruments": instruments,
            "inbox": selectors.rule_set_approval_inbox(user=user),
            "action_inbox": selectors.action_approval_inbox(user=user),
        },
    )


@page_for("frontend:compliance-rules")
def rules_editor(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    """GET: the form with the applied rules; POST: save a draft and submit it for approval."""
    instrument = _instrument(request, instrument_id)
    user = request_user(request)
    applied = selectors.rule_set_applied(instrument=instrument)
    values: dict[str, Any] = _initial(instrument, applied)
    error: ApplicationError | None = None
    if request.method == "POST":
        values = {
            **request.POST.dict(),
            "allowed_categories": request.POST.getlist("allowed_categories"),
            "kyc_required": "kyc_required" in request.POST,
            "accreditation_required": "accreditation_required" in request.POST,
        }
        try:
            draft = rulesets.rule_set_draft_save(
                actor=user, instrument_id=instrument.pk, values=form_values(request.POST)
            )
            rulesets.rule_set_submit(actor=user, rule_set_id=draft.pk)
        except ApplicationError as exc:
            error = exc
        else:
            messages.success(
                request, f"Version {draft.version} submitted: a second compliance officer approves it."
            )
            return redirect("frontend:rule-set-detail", rule_set_id=draft.pk)
    return render(
        request,
        "frontend/compliance/rules_editor.html",
        {
            "instrument": instrument,
            "applied": applied,
            "values": values,
            "error": error,
            "problems": [] if error is None else error.details.get("problems", []),
            "categories": CATEGORIES,
            "versions": selectors.rule_set_list(user=user, instrument_id=instrument.pk)[:20],
            "example": REQUIREMENTS_EXAMPLE,
            "can_edit": user.organisation_id == instrument.issuer_id and user.has_role("compliance_officer"),
        },
        status=400 if error is not None else 200,
    )


def _preview_context(user: User, rule_set: RuleSet) -> dict[str, Any]:
    try:
        preview = rulesets.rule_set_preview(user=user, rule_set=rule_set)
    except ChainUnavailable as exc:
        return {"unavailable": exc.message}
    return {"preview": preview}


@page_for("frontend:compliance-rules")
@require_POST
def rules_preview(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    """htmx fragment: which holders and open instructions the edited rules would breach."""
    instrument = _instrument(request, instrument_id)
    try:
        rule_set = rulesets.rule_set_unsaved(instrument=instrument, values=form_values(request.POST))
    except InvalidInput as exc:
        return render(request, "frontend/compliance/_preview.html", {"input_error": exc.message})
    return render(
        request, "frontend/compliance/_preview.html", _preview_context(request_user(request), rule_set)
    )


@page_for("frontend:compliance-rules")
def rule_set_detail(request: HttpRequest, rule_set_id: uuid.UUID) -> HttpResponse:
    user = request_user(request)
    try:
        rule_set = selectors.rule_set_get(user=user, rule_set_id=rule_set_id)
    except NotFoundError as exc:
        from django.http import Http404

        raise Http404(exc.message) from exc
    except PermissionDeniedError as exc:
        raise PermissionDenied(exc.message) from exc
    makers = maker_changes(rule_set, actions=rulesets.RULE_SET_MAKER_ACTIONS, ignore=("version",))
    is_maker = user.pk in {
        rule_set.created_by_id,
        rule_set.submitted_by_id,
        *(change.user_id for change in makers),
    }
    can_decide = (
        rule_set.status == RuleSetStatus.PENDING
        and user.organisation_id == rule_set.instrument.issuer_id
        and user.has_role("compliance_officer")
        and not is_maker
    )
    context: dict[str, Any] = {
        "rule_set": rule_set,
        "can_decide": can_decide,
        "makers": makers,
        "officer_is_maker": is_maker and rule_set.status == RuleSetStatus.PENDING,
    }
    if rule_set.status in (RuleSetStatus.DRAFT, RuleSetStatus.PENDING):
        context.update(_preview_context(user, rule_set))
    return render(request, "frontend/compliance/rule_set_detail.html", context)


def _act(request: HttpRequest, call: Any, success: str, **kwargs: Any) -> None:
    try:
        call(actor=request_user(request), **kwargs)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)


@page_for("frontend:compliance-rules")
@require_POST
def rule_set_decide(request: HttpRequest, rule_set_id: uuid.UUID) -> HttpResponse:
    if request.POST.get("decision") == "approve":
        _act(
            request,
            rulesets.rule_set_approve,
            "Approved: set_conditions and set_limits are on their way to the chain.",
            rule_set_id=rule_set_id,
        )
    else:
        _act(
            request,
            rulesets.rule_set_reject,
            "Rejected.",
            rule_set_id=rule_set_id,
            comment=request.POST.get("comment", ""),
        )
    return redirect("frontend:rule-set-detail", rule_set_id=rule_set_id)


# -- breaches -----------------------------------------------------------------------------------
@page_for("frontend:breaches")
def breach_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    filters = {
        n: request.GET[n] for n in ("status", "code", "source", "isin", "holder") if request.GET.get(n)
    }
    try:
        queryset = selectors.breach_list(user=user, filters=filters)
    except ValidationError:
        queryset = selectors.breach_list(user=user).none()
    return render(
        request,
        "frontend/compliance/breaches.html",
        {
            "page": paginate(request, queryset),
            "filters": filters,
            "statuses": BreachStatus.choices,
            "sources": BreachSource.choices,
            "codes": TRANSFER_CODES,
            "chart_json": json.dumps(selectors.breach_chart(user=user)),
        },
    )


@page_for("frontend:breaches")
def breach_detail(request: HttpRequest, breach_id: uuid.UUID) -> HttpResponse:
    user = request_user(request)
    try:
        breach = selectors.breach_get(user=user, breach_id=breach_id)
    except NotFoundError as exc:
        from django.http import Http404

        raise Http404(exc.message) from exc
    if request.method == "POST":
        if request.POST.get("step") == "investigate":
            _act(
                request,
                breaches.breach_investigate,
                "Under investigation.",
                breach_id=breach_id,
                note=request.POST.get("note", ""),
            )
        else:
            _act(
                request,
                breaches.breach_resolve,
                "Resolved.",
                breach_id=breach_id,
                note=request.POST.get("note", ""),
            )
        return redirect("frontend:breach-detail", breach_id=breach_id)
    from common.models import AuditEntry

    history = AuditEntry.objects.select_related("actor").filter(object_id=str(breach.pk)).order_by("sequence")
    return render(
        request,
        "frontend/compliance/breach_detail.html",
        {
            "breach": breach,
            "code_name": contract_abi.TransferCode(breach.code).code,
            "history": history,
            "can_act": user.organisation_id == breach.instrument.issuer_id
            and user.has_role("compliance_officer"),
        },
    )


# -- actions ------------------------------------------------------------------------------------
@page_for("frontend:compliance-actions")
def actions_page(request: HttpRequest) -> HttpResponse:
    """Lists actions; POST ``op`` = freeze, pause or forced_transfer runs one."""
    user = request_user(request)
    instruments = list(selectors.instruments_with_rules(user=user).filter(issuer_id=user.organisation_id))
    if request.method == "POST":
        op = request.POST.get("op", "")
        try:
            instrument_id = uuid.UUID(request.POST.get("instrument", ""))
        except ValueError:
            messages.error(request, "Choose an instrument.")
            return redirect("frontend:compliance-actions")
        reason = request.POST.get("reason_text", "")
        if op == "freeze":
            _act(
                request,
                enforcement.account_freeze,
                "Submitted to the chain.",
                instrument_id=instrument_id,
                holder=request.POST.get("holder", ""),
                frozen=request.POST.get("frozen") == "1",
                reason=reason,
            )
        elif op == "pause":
            _act(
                request,
                enforcement.instrument_pause,
                "Submitted to the chain.",
                instrument_id=instrument_id,
                paused=request.POST.get("paused") == "1",
                reason=reason,
            )
        elif op == "forced_transfer":
            try:
                quantity = Decimal(request.POST.get("quantity", "") or "0")
            except InvalidOperation:
                quantity = Decimal(-1)
            _act(
                request,
                enforcement.forced_transfer_propose,
                "Forced transfer proposed: a second compliance officer approves it.",
                instrument_id=instrument_id,
                holder=request.POST.get("holder", ""),
                receiver=request.POST.get("receiver", ""),
                quantity=quantity,
                reason_code=_int(request.POST.get("reason_code", "") or "0", "reason"),
                reason_text=reason,
                document=request.FILES.get("document"),
            )
        return redirect("frontend:compliance-actions")
    holders = []
    for instrument in instruments:
        rows = list(TokenHolding.objects.filter(contract=instrument.contract_id, balance__gt=0)[:200])
        names = chainstate.address_names(r.holder for r in rows)
        holders += [(instrument.isin, r.holder, names.get(r.holder, "unknown"), r.balance) for r in rows]
    return render(
        request,
        "frontend/compliance/actions.html",
        {
            "page": paginate(request, selectors.action_list(user=user)),
            "inbox": selectors.action_approval_inbox(user=user),
            "instruments": instruments,
            "holders": holders,
            "reasons": ForcedTransferReason.choices,
            "filters": {},
            "ActionStatus": ActionStatus,
        },
    )


@page_for("frontend:compliance-actions")
@require_POST
def action_decide(request: HttpRequest, action_id: uuid.UUID) -> HttpResponse:
    if request.POST.get("decision") == "approve":
        _act(
            request,
            enforcement.forced_transfer_approve,
            "Approved: the forced transfer is submitted.",
            action_id=action_id,
        )
    else:
        _act(
            request,
            enforcement.forced_transfer_reject,
            "Rejected.",
            action_id=action_id,
            comment=request.POST.get("comment", ""),
        )
    return redirect("frontend:compliance-actions")
