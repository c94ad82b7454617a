"""Issuance pages: instrument list, create/edit with inline validation, approval inbox, detail.

They compose ``issuance.selectors`` and call ``issuance.services``; domain errors become
form errors or a message on the page. Broker, regulator and other users see read-only pages.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from common.exceptions import ApplicationError, NotFoundError
from corporate_actions.selectors import corporate_action_beat_failures
from frontend.forms import DocumentForm, InstrumentForm, RejectForm
from frontend.views import page_for, paginate, query_filters
from identity.authentication import request_user
from identity.models import User
from identity.roles import Role
from issuance import selectors, services
from issuance.maker_checker import maker_changes
from issuance.models import Instrument, InstrumentKind, InstrumentStatus
from issuance.services import TERM_FIELDS

FILTERS = ("search", "kind", "status", "currency", "issuer")


def instrument_or_404(request: HttpRequest, instrument_id: uuid.UUID) -> Instrument:
    try:
        return selectors.instrument_get(user=request_user(request), instrument_id=instrument_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc


@page_for("frontend:instruments")
def instrument_list(request: HttpRequest) -> HttpResponse:
    filters = query_filters(request, FILTERS)
    try:
        queryset = selectors.instrument_list(user=request_user(request), filters=filters)
    except ValidationError:
        queryset = selectors.instrument_list(user=request_user(request)).none()
    return render(
        request,
        "frontend/instruments/list.html",
        {
            "page": paginate(request, queryset),
            "filters": filters,
            "kinds": InstrumentKind.choices,
            "statuses": InstrumentStatus.choices,
            "can_create": request_user(request).has_role(Role.ISSUER_ADMIN),
        },
    )


def _form_page(request: HttpRequest, form: InstrumentForm, instrument: Instrument | None) -> HttpResponse:
    return render(request, "frontend/instruments/form.html", {"form": form, "instrument": instrument})


def _save(request: HttpRequest, form: InstrumentForm, instrument: Instrument | None) -> HttpResponse:
    if not form.is_valid():
        return _form_page(request, form, instrument)
    try:
        if instrument is None:
            instrument = services.instrument_create(actor=request_user(request), terms=form.terms())
            messages.success(request, f"Draft {instrument.isin} created.")
        else:
            changes = {name: value for name, value in form.terms().items() if name in form.changed_data}
            services.instrument_update(
                actor=request_user(request), instrument_id=instrument.pk, changes=changes
            )
            messages.success(request, "Draft saved.")
    except ValidationError as exc:
        form.add_errors(exc.message_dict)
        return _form_page(request, form, instrument)
    except ApplicationError as exc:
        form.add_errors(
            exc.details if exc.details and all(isinstance(v, list) for v in exc.details.values()) else {}
        )
        form.add_error(None, exc.message)
        return _form_page(request, form, instrument)
    return redirect("frontend:instrument-detail", instrument_id=instrument.pk)


@page_for("frontend:instrument-create")
def instrument_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, InstrumentForm(request.POST), None)
    return _form_page(request, InstrumentForm(), None)


@page_for("frontend:instrument-create")
def instrument_edit(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    instrument = instrument_or_404(request, instrument_id)
    initial = {name: getattr(instrument, name) for name in TERM_FIELDS}
    if request.method == "POST":
        return _save(request, InstrumentForm(request.POST, initial=initial), instrument)
    return _form_page(request, InstrumentForm(initial=initial), instrument)


@page_for("frontend:instrument-create")
@require_POST
def instrument_validate(request: HttpRequest) -> HttpResponse:
    """htmx partial: the form's fields with the errors the services would report."""
    form = InstrumentForm(request.POST)
    instrument_id = request.POST.get("instrument_id") or None
    if form.is_valid():
        form.add_errors(
            selectors.instrument_terms_errors(
                terms=form.terms(),
                issuer_id=request_user(request).organisation_id,
                instrument_id=uuid.UUID(instrument_id) if instrument_id else None,
            )
        )
    return render(request, "frontend/instruments/_form_fields.html", {"form": form})


@page_for("frontend:approval-inbox")
def approval_inbox(request: HttpRequest) -> HttpResponse:
    queryset = selectors.instrument_approval_inbox(user=request_user(request))
    return render(
        request, "frontend/instruments/inbox.html", {"page": paginate(request, queryset), "filters": {}}
    )


#: Statuses in which the instrument's token is on chain (allocation and register pages).
ON_CHAIN_STATUSES = (InstrumentStatus.LIVE, InstrumentStatus.MATURED, InstrumentStatus.REDEEMED)


def is_issuer_admin(user: User, instrument: Instrument) -> bool:
    return (
        user.organisation_id == instrument.issuer_id
        and not instrument.is_reference_data
        and user.has_role(Role.ISSUER_ADMIN)
    )


def chain_panel_context(user: User, instrument: Instrument) -> dict[str, Any]:
    """What the chain panel shows (the page and its htmx fragment): the token, the terms
    hash and document, the deployment submission with its finality label, a failed
    deployment's error and retry, links to the allocation and register pages."""
    waiting = instrument.status == InstrumentStatus.DEPLOYING or (
        instrument.status == InstrumentStatus.APPROVED
        and not instrument.deployment_error
        and not instrument.is_reference_data
    )
    books = selectors.user_reads_issuance_books(user=user, instrument=instrument)
    return {
        "deployment": selectors.instrument_deployment_get(user=user, instrument=instrument),
        "polling": waiting,
        "can_retry": is_issuer_admin(user, instrument)
        and instrument.status == InstrumentStatus.APPROVED
        and bool(instrument.deployment_error),
        "can_open_allocations": books and instrument.status in ON_CHAIN_STATUSES,
        "can_open_register": books
        and bool(instrument.contract_id)
        and instrument.status in ON_CHAIN_STATUSES,
    }


@page_for("frontend:instruments")
def instrument_detail(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    user = request_user(request)
    instrument = instrument_or_404(request, instrument_id)
    periods: list[Any] = []
    schedule_error = ""
    if instrument.maturity_date is not None:
        try:
            _, periods = selectors.instrument_coupon_schedule(user=user, instrument_id=instrument.pk)
        except ApplicationError as exc:
            schedule_error = exc.message
    rows = [
        {
            "period": p,
            "per_unit": None if p.amount is None else p.amount * instrument.face_value,
        }
        for p in periods
    ]
    chart = {
        "labels": [p.payment_date.isoformat() for p in periods],
        "values": [
            float(p.amount * instrument.face_value) if p.amount is not None else None for p in periods
        ],
        "label": f"Coupon per unit ({instrument.currency} on {instrument.face_value.normalize():f} face)",
    }
    own = user.organisation_id == instrument.issuer_id and not instrument.is_reference_data
    is_admin = own and user.has_role(Role.ISSUER_ADMIN)
    is_approver = own and user.has_role(Role.ISSUER_APPROVER)
    makers = maker_changes(instrument, actions=services.MAKER_ACTIONS) if own else []
    is_maker = user.pk in {
        instrument.created_by_id,
        instrument.submitted_by_id,
        *(change.user_id for change in makers),
    }
    draft = instrument.status == InstrumentStatus.DRAFT
    context = {
        "instrument": instrument,
        "rows": rows,
        "schedule_error": schedule_error,
        "chart_json": json.dumps(chart),
        "documents": selectors.instrument_document_list(user=user, instrument=instrument),
        "history": selectors.instrument_history(user=user, instrument=instrument),
        "makers": makers,
        "can_edit": is_admin and draft,
        "can_submit": is_admin and draft,
        "can_decide": is_approver and not is_maker and instrument.status == InstrumentStatus.SUBMITTED,
        "approver_is_maker": is_approver and is_maker and instrument.status == InstrumentStatus.SUBMITTED,
        "document_form": DocumentForm(),
        "reject_form": RejectForm(),
        "beat_failures": corporate_action_beat_failures(user=user, instrument=instrument),
        **chain_panel_context(user, instrument),
    }
    return render(request, "frontend/instruments/detail.html", context)


def instrument_act(
    request: HttpRequest, instrument_id: uuid.UUID, action: Any, done: str, **kwargs: Any
) -> HttpResponse:
    instrument_or_404(request, instrument_id)
    try:
        action(actor=request_user(request), instrument_id=instrument_id, **kwargs)
        messages.success(request, done)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("frontend:instrument-detail", instrument_id=instrument_id)


@page_for("frontend:instruments")
@require_POST
def instrument_submit(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    return instrument_act(request, instrument_id, services.instrument_submit, "Submitted for approval.")


@page_for("frontend:instruments")
@require_POST
def instrument_approve(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    return instrument_act(request, instrument_id, services.instrument_approve, "Approved.")


@page_for("frontend:instruments")
@require_POST
def instrument_reject(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    form = RejectForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    return instrument_act(
        request, instrument_id, services.instrument_reject, "Sent back to draft.", comment=comment
    )


@page_for("frontend:instruments")
@require_POST
def instrument_document_upload(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        instrument_or_404(request, instrument_id)
        messages.error(request, "Choose a document kind and a PDF file.")
        return redirect("frontend:instrument-detail", instrument_id=instrument_id)
    return instrument_act(
        request,
        instrument_id,
        services.instrument_document_upload,
        "Document uploaded.",
        kind=form.cleaned_data["kind"],
        uploaded_file=form.cleaned_data["file"],
    )


@page_for("frontend:instruments")
def instrument_document_download(
    request: HttpRequest, instrument_id: uuid.UUID, document_id: uuid.UUID
) -> HttpResponse:
    instrument = instrument_or_404(request, instrument_id)
    document = (
        selectors.instrument_document_list(user=request_user(request), instrument=instrument)
        .filter(pk=document_id)
        .first()
    )
    if document is None:
        raise Http404("Document not found.")
    return cast(
        HttpResponse,
        FileResponse(
            document.file.open("rb"),
            as_attachment=True,
            filename=document.filename,
            content_type="application/pdf",
        ),
    )
