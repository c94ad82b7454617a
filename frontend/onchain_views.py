"""Issuance on chain in the UI: the instrument page's chain panel (deployment and its
finality, retry), the allocation page (rows or CSV, a preview with every row's errors before
anything is submitted, batches followed to settlement) and the register page (holders at
the latest Final block or at a checkpoint, charts, CSV export, checkpoints).

They compose ``issuance.selectors`` and ``issuance.register`` and call the services of
``issuance.allocation``, ``issuance.deployment`` and ``issuance.register``; htmx fragments
refresh what is still moving on chain every 2 s.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from chain.node.client import RpcError
from common.exceptions import ApplicationError, InvalidInput, NotFoundError, PermissionDeniedError
from frontend.forms import AllocationCsvForm, AllocationRowFormSet
from frontend.instrument_views import chain_panel_context, instrument_act, instrument_or_404, is_issuer_admin
from frontend.views import page_for
from identity.authentication import request_user
from identity.models import User
from issuance import allocation, deployment, register, selectors
from issuance.models import OPEN_ALLOCATION_STATUSES, Instrument, InstrumentStatus
from ledger.selectors import indexer_position

#: Holders drawn one by one in the distribution chart; the rest are summed as "others".
CHART_TOP_HOLDERS = 8


def _books(request: HttpRequest, instrument_id: uuid.UUID) -> Instrument:
    """The instrument, if the user reads its allocations and register (else 403; 404 if
    not visible)."""
    instrument = instrument_or_404(request, instrument_id)
    if not selectors.user_reads_issuance_books(user=request_user(request), instrument=instrument):
        raise PermissionDenied
    return instrument


# -- chain panel ------------------------------------------------------------------------------
@page_for("frontend:instruments")
def chain_panel(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    """htmx fragment: the chain panel, polled every 2 s while the instrument deploys."""
    instrument = instrument_or_404(request, instrument_id)
    return render(
        request,
        "frontend/instruments/_chain_panel.html",
        {"instrument": instrument, **chain_panel_context(request_user(request), instrument)},
    )


@page_for("frontend:instruments")
@require_POST
def deployment_retry(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    return instrument_act(
        request,
        instrument_id,
        deployment.instrument_deploy_retry,
        "Deployment queued again; its progress shows in the chain panel.",
    )


# -- allocation -------------------------------------------------------------------------------
@dataclass
class PreviewRow:
    number: int
    row: dict[str, str]
    errors: list[allocation.RowError] = field(default_factory=list)
    line: allocation.AllocationLine | None = None


@dataclass
class Preview:
    source: str
    first_row: int
    rows: list[PreviewRow]
    batch_errors: list[allocation.RowError]
    total_quantity: Decimal
    total_amount: Decimal
    left: Decimal

    @property
    def is_valid(self) -> bool:
        return not self.batch_errors and all(not r.errors for r in self.rows)

    @property
    def error_count(self) -> int:
        return len(self.batch_errors) + sum(len(r.errors) for r in self.rows)

    @property
    def left_after(self) -> Decimal:
        return self.left - self.total_quantity

    @property
    def rows_json(self) -> str:
        return json.dumps([r.row for r in self.rows])


def _preview(
    user: User,
    instrument: Instrument,
    rows: list[dict[str, str]],
    *,
    source: str,
    first_row: int,
) -> Preview:
    """Every row with its errors and, for a valid row, its settlement amount; the totals.
    Nothing is written (``validate_allocation_rows``)."""
    lines, found = allocation.validate_allocation_rows(
        actor=user, instrument=instrument, rows=rows, first_row=first_row
    )
    by_row: dict[int, list[allocation.RowError]] = {}
    for error in found:
        by_row.setdefault(error.row, []).append(error)
    valid = iter(lines)
    preview_rows = []
    for number, row in enumerate(rows, start=first_row):
        row_errors = by_row.get(number, [])
        line = None if row_errors else next(valid, None)
        preview_rows.append(PreviewRow(number, row, row_errors, line))
    counted = [r.line for r in preview_rows if r.line is not None]
    totals = selectors.allocation_totals(instrument=instrument)
    return Preview(
        source=source,
        first_row=first_row,
        rows=preview_rows,
        batch_errors=by_row.get(0, []),
        total_quantity=sum((line.quantity for line in counted), Decimal(0)),
        total_amount=sum((line.settlement_amount for line in counted), Decimal(0)),
        left=totals.left,
    )


def _allocation_page(
    request: HttpRequest,
    instrument: Instrument,
    *,
    formset: Any = None,
    preview: Preview | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request_user(request)
    can_allocate = is_issuer_admin(user, instrument) and instrument.status == InstrumentStatus.LIVE
    context = {
        "instrument": instrument,
        "can_allocate": can_allocate,
        "formset": formset if formset is not None else AllocationRowFormSet(prefix="rows"),
        "csv_form": AllocationCsvForm(),
        "preview": preview,
        "totals": selectors.allocation_totals(instrument=instrument),
        **_allocations_context(user, instrument),
    }
    return render(request, "frontend/instruments/allocation.html", context, status=status)


def _allocations_context(user: User, instrument: Instrument) -> dict[str, Any]:
    batches = list(selectors.allocation_batch_list(user=user, instrument_id=instrument.pk))
    polling = any(a.status in OPEN_ALLOCATION_STATUSES for batch in batches for a in batch.allocations.all())
    return {"instrument": instrument, "batches": batches, "polling": polling}


def _rows_from_json(text: str) -> list[dict[str, str]]:
    try:
        rows = json.loads(text)
    except ValueError:
        return []
    if not isinstance(rows, list):
        return []
    return [{str(k): str(v) for k, v in row.items()} for row in rows if isinstance(row, dict)]


@page_for("frontend:instruments")
def allocation_page(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    """GET: the batches and, for an issuer admin of a live instrument, the form. POST
    ``action``: ``preview`` (form rows), ``upload`` (CSV) or ``submit`` (the previewed rows)."""
    instrument = _books(request, instrument_id)
    if request.method != "POST":
        return _allocation_page(request, instrument)
    user = request_user(request)
    action = request.POST.get("action", "")
    formset = None
    try:
        if action == "preview":
            formset = AllocationRowFormSet(request.POST, prefix="rows")
            rows = [form.row() for form in formset] if formset.is_valid() else []
            rows = [row for row in rows if any(row.values())]
            if not rows:
                messages.error(request, "Type at least one allocation row.")
                return _allocation_page(request, instrument, formset=formset)
            preview = _preview(user, instrument, rows, source="form", first_row=1)
            return _allocation_page(request, instrument, formset=formset, preview=preview)
        if action == "upload":
            csv_form = AllocationCsvForm(request.POST, request.FILES)
            if not csv_form.is_valid():
                messages.error(request, "Choose a CSV file.")
                return _allocation_page(request, instrument)
            rows = allocation.parse_allocation_csv(content=csv_form.cleaned_data["file"].read())
            preview = _preview(user, instrument, rows, source="csv", first_row=2)
            return _allocation_page(request, instrument, preview=preview)
        if action == "submit":
            source = "csv" if request.POST.get("source") == "csv" else "form"
            rows = _rows_from_json(request.POST.get("rows_json", ""))
            if not rows:
                messages.error(request, "Nothing to submit: preview the allocation first.")
                return _allocation_page(request, instrument)
            try:
                batch = allocation.allocation_batch_create(
                    actor=user, instrument_id=instrument.pk, rows=rows, source=source
                )
            except InvalidInput as exc:
                if exc.code != "invalid_allocations":
                    raise
                # Something changed since the preview (e.g. another batch took the rest of
                # the issue): show the preview again with today's errors.
                messages.error(request, exc.message)
                preview = _preview(
                    user, instrument, rows, source=source, first_row=2 if source == "csv" else 1
                )
                return _allocation_page(request, instrument, preview=preview, status=422)
            count = batch.allocations.count()
            messages.success(
                request,
                f"Allocation submitted: {count} DvP instruction(s) queued on chain; "
                "each row settles when its block is Final.",
            )
            return redirect("frontend:instrument-allocations", instrument_id=instrument.pk)
    except (PermissionDeniedError, PermissionDenied) as exc:
        raise PermissionDenied from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _allocation_page(request, instrument, formset=formset)
    messages.error(request, "Unknown action.")
    return _allocation_page(request, instrument)


@page_for("frontend:instruments")
def allocation_status(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    """htmx fragment: the batches and their allocations, polled while any is open."""
    instrument = _books(request, instrument_id)
    return render(
        request,
        "frontend/instruments/_allocations.html",
        _allocations_context(request_user(request), instrument),
    )


# -- register ---------------------------------------------------------------------------------
def _register_of(request: HttpRequest, instrument: Instrument) -> tuple[register.Register, int | None]:
    """The register the request asks for (``?checkpoint=N``, else the latest Final)."""
    user = request_user(request)
    raw = request.GET.get("checkpoint", "")
    try:
        number = int(raw) if raw else None
    except ValueError as exc:
        raise Http404("No such checkpoint.") from exc
    try:
        if number is None:
            return register.instrument_register(user=user, instrument_id=instrument.pk), None
        return (
            register.instrument_register_at_checkpoint(user=user, instrument_id=instrument.pk, number=number),
            number,
        )
    except NotFoundError as exc:
        raise Http404(exc.message) from exc
    except PermissionDeniedError as exc:
        raise PermissionDenied from exc


def _charts(holders: register.Register) -> dict[str, Any]:
    top = holders.rows[:CHART_TOP_HOLDERS]
    others = sum((row.quantity for row in holders.rows[CHART_TOP_HOLDERS:]), Decimal(0))
    labels = [row.name for row in top] + (["Others"] if others else [])
    values = [float(row.quantity) for row in top] + ([float(others)] if others else [])
    unit = holders.instrument.currency if holders.instrument.issue_size_unit == "nominal" else "units"
    return {
        "distribution": {"labels": labels, "values": values, "unit": unit},
        "issue": {
            "labels": ["Issue size", "Issued", "Outstanding"],
            "values": [float(holders.issue_size), float(holders.issued), float(holders.outstanding)],
            "unit": unit,
        },
    }


@page_for("frontend:instruments")
def register_page(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    instrument = _books(request, instrument_id)
    user = request_user(request)
    error = ""
    try:
        holders, number = _register_of(request, instrument)
    except RpcError as exc:
        holders, number = register.instrument_register(user=user, instrument_id=instrument.pk), None
        error = (
            f"The nodes did not answer for the checkpoint ({exc.reason}); "
            "showing the register at the latest Final block."
        )
    context = {
        "instrument": instrument,
        "register": holders,
        "checkpoint": number,
        "checkpoint_error": error,
        "checkpoints": selectors.instrument_checkpoint_list(user=user, instrument_id=instrument.pk),
        "indexer": indexer_position(),
        "can_checkpoint": is_issuer_admin(user, instrument) and instrument.status == InstrumentStatus.LIVE,
        "charts_json": json.dumps(_charts(holders)),
        **_checkpoint_requests_context(user, instrument),
    }
    return render(request, "frontend/instruments/register.html", context)


def _checkpoint_requests_context(user: User, instrument: Instrument) -> dict[str, Any]:
    return {
        "instrument": instrument,
        "requests": list(selectors.instrument_checkpoint_requests(user=user, instrument_id=instrument.pk)),
    }


@page_for("frontend:instruments")
def checkpoint_requests(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    """htmx fragment: checkpoints asked for and not Final yet, polled while there are any."""
    instrument = _books(request, instrument_id)
    return render(
        request,
        "frontend/instruments/_checkpoint_requests.html",
        _checkpoint_requests_context(request_user(request), instrument),
    )


@page_for("frontend:instruments")
def register_csv(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    instrument = _books(request, instrument_id)
    try:
        holders, number = _register_of(request, instrument)
    except RpcError as exc:
        body = f"The nodes did not answer ({exc.reason})."
        return HttpResponse(body, status=503, content_type="text/plain")
    at = "final" if number is None else f"checkpoint-{number}"
    response = HttpResponse(register.register_csv(holders), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{instrument.isin}-register-{at}.csv"'
    return response


@page_for("frontend:instruments")
@require_POST
def checkpoint_create(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    _books(request, instrument_id)
    try:
        register.instrument_checkpoint_create(actor=request_user(request), instrument_id=instrument_id)
        messages.success(request, "Checkpoint requested; it is recorded once its block is Final.")
    except PermissionDeniedError as exc:
        raise PermissionDenied from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("frontend:instrument-register", instrument_id=instrument_id)
