"""Selective disclosure and instrument reports in the UI (docs/disclosure.md).

- ``/disclosures/``: a regulator's portal (the packages disclosed to its organisation, with
  their on-chain record and an envelope download; its disclosure key) or, for the issuer's
  admins and compliance officers, the disclosures it made (never their content) and the
  form to make one.
- ``/reports/`` and ``/reports/<instrument>/``: holders by jurisdiction and investor
  category, concentration and the DLT Pilot Regime position, with charts (Chart.js, local).

They call ``compliance.disclosure`` and ``compliance.reports``; listings and downloads are
audited there.
"""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from compliance import disclosure, reports
from frontend.views import page_for
from identity.authentication import request_user
from identity.roles import OrganisationKind, Role
from identity.selectors import user_sees_all_organisations
from issuance.models import Instrument, InstrumentStatus

PAGE_SIZE = 25


class DisclosureForm(forms.Form):
    instrument = forms.ModelChoiceField(queryset=Instrument.objects.none())
    regulator = forms.ModelChoiceField(queryset=disclosure.regulator_organisation_list())
    window_start = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    window_end = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    checkpoint = forms.IntegerField(
        min_value=1, required=False, help_text="A recorded checkpoint; empty: one is taken now."
    )


class RegulatorKeyForm(forms.Form):
    public_key = forms.CharField(
        max_length=100, help_text="Your X25519 public key, 32 bytes as base64 or hex. Keep the secret key."
    )


def _is_regulator(request: HttpRequest) -> bool:
    organisation = request_user(request).organisation
    return organisation is not None and organisation.kind == OrganisationKind.REGULATOR


def _disclosure_form(request: HttpRequest, data: Any = None) -> DisclosureForm:
    user = request_user(request)
    form = DisclosureForm(
        data,
        initial={
            "window_start": (timezone.now() - datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "window_end": timezone.now().strftime("%Y-%m-%dT%H:%M"),
        },
    )
    instruments = form.fields["instrument"]
    assert isinstance(instruments, forms.ModelChoiceField)
    instruments.queryset = Instrument.objects.filter(
        issuer_id=user.organisation_id, status=InstrumentStatus.LIVE
    ).order_by("isin")
    return form


@page_for("frontend:disclosures")
def disclosure_page(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    instrument = request.GET.get("instrument") or None
    try:
        instrument_id = uuid.UUID(instrument) if instrument else None
    except ValueError:
        instrument_id = None
    disclosure.disclosure_access_record(
        actor=user, action="list", filters={"instrument": str(instrument_id) if instrument_id else None}
    )
    queryset = disclosure.disclosure_list(user=user, instrument_id=instrument_id)
    regulator = _is_regulator(request)
    context: dict[str, Any] = {
        "page": Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page")),
        "filters": {"instrument": instrument} if instrument else {},
        "is_regulator": regulator,
        "instruments": disclosure.disclosed_instruments(user=user),
        "selected_instrument": str(instrument_id) if instrument_id else "",
    }
    if regulator:
        context["keys"] = disclosure.regulator_key_list(user=user)
        context["key_form"] = RegulatorKeyForm()
    elif user.has_role(*disclosure.DISCLOSER_ROLES):
        context["form"] = _disclosure_form(request)
    return render(request, "frontend/disclosures/list.html", context)


@page_for("frontend:disclosures")
@require_POST
def disclosure_create(request: HttpRequest) -> HttpResponse:
    form = _disclosure_form(request, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            made = disclosure.disclosure_create(
                actor=request_user(request),
                instrument_id=data["instrument"].pk,
                regulator_id=data["regulator"].pk,
                window_start=data["window_start"],
                window_end=data["window_end"],
                checkpoint_number=data["checkpoint"],
            )
            messages.success(
                request, f"Disclosure {made.pk} is being built; it is recorded on chain when Final."
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in form.errors.items()))
    return redirect("frontend:disclosures")


@page_for("frontend:disclosures")
@require_POST
def regulator_key_register(request: HttpRequest) -> HttpResponse:
    form = RegulatorKeyForm(request.POST)
    if form.is_valid():
        try:
            key = disclosure.regulator_key_register(
                actor=request_user(request), public_key=form.cleaned_data["public_key"]
            )
            messages.success(request, f"Key {key.fingerprint[:16]}… is now the active disclosure key.")
        except ApplicationError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "Give the public key.")
    return redirect("frontend:disclosures")


@page_for("frontend:disclosures")
def disclosure_download(request: HttpRequest, disclosure_id: uuid.UUID) -> HttpResponse:
    try:
        envelope = disclosure.disclosure_envelope(actor=request_user(request), disclosure_id=disclosure_id)
    except NotFoundError as exc:
        raise Http404(str(exc)) from exc
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("frontend:disclosures")
    response = HttpResponse(json.dumps(envelope, indent=2), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="disclosure-{disclosure_id}.json"'
    return response


# -- reports ----------------------------------------------------------------------------------
def _reportable(request: HttpRequest) -> Any:
    user = request_user(request)
    live = (
        Instrument.objects.filter(status=InstrumentStatus.LIVE)
        .exclude(contract_id="")
        .select_related("issuer")
    )
    if user_sees_all_organisations(user=user):
        return live.order_by("isin")
    return live.filter(issuer_id=user.organisation_id).order_by("isin")


@page_for("frontend:reports")
def report_list(request: HttpRequest) -> HttpResponse:
    return render(request, "frontend/reports/list.html", {"instruments": _reportable(request)})


@page_for("frontend:reports")
def report_detail(request: HttpRequest, instrument_id: uuid.UUID) -> HttpResponse:
    try:
        report = reports.instrument_report(user=request_user(request), instrument_id=instrument_id)
    except (NotFoundError, PermissionDeniedError) as exc:
        raise Http404(str(exc)) from exc
    data = reports.report_json(report)
    charts = {
        "jurisdictions": {
            "labels": [b["label"] for b in data["jurisdictions"]],
            "values": [float(b["quantity"]) for b in data["jurisdictions"]],
        },
        "categories": {
            "labels": [b["label"] for b in data["investor_categories"]],
            "values": [float(b["quantity"]) for b in data["investor_categories"]],
        },
        "concentration": {
            "labels": ["Top 1", "Top 5", "Top 10"],
            "values": [
                float(data["concentration"][k]) for k in ("top1_percent", "top5_percent", "top10_percent")
            ],
        },
    }
    return render(
        request,
        "frontend/reports/detail.html",
        {
            "instrument": report.instrument,
            "report": data,
            "charts_json": json.dumps(charts),
            "shows_breaches": request_user(request).has_role(Role.COMPLIANCE_OFFICER),
        },
    )
