"""Proxy voting pages: ballots (list, proposal form), a ballot (the on-chain tally as a
chart, approve or reject, vote). They call ``corporate_actions.voting``; no business logic here."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from common.business_date import get_business_date
from common.exceptions import ApplicationError, ChainUnavailable, NotFoundError
from common.text import validate_multiline_text, validate_name
from corporate_actions import voting
from frontend.views import page_for, paginate
from identity.authentication import request_user
from identity.models import ClientAccount
from identity.roles import BROKER_ROLES, Role
from issuance.models import Instrument, InstrumentStatus


class BallotForm(forms.Form):
    instrument = forms.ModelChoiceField(queryset=Instrument.objects.none())
    title = forms.CharField(max_length=200, validators=[validate_name])
    motions = forms.CharField(
        validators=[validate_multiline_text],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="One motion a line: the title, a colon, then the options separated by | "
        "(e.g. Approve the accounts: for | against | abstain).",
    )
    record_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    opens_at = forms.DateTimeField(
        label="Opens (UTC)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    closes_at = forms.DateTimeField(
        label="Closes (UTC)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


def parse_motions(text: str) -> list[dict[str, Any]]:
    """``Title: option | option`` per line → the service's motions (it validates them)."""
    motions = []
    for line in text.splitlines():
        if not line.strip():
            continue
        title, _, options = line.partition(":")
        motions.append(
            {"title": title.strip(), "options": [o.strip() for o in options.split("|") if o.strip()]}
        )
    return motions


@page_for("frontend:ballots")
def ballot_list(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = None
    if user.has_role(Role.ISSUER_ADMIN):
        today = timezone.now().replace(second=0, microsecond=0)
        form = BallotForm(
            request.POST or None,
            initial={
                "record_date": get_business_date(),
                "opens_at": today + dt.timedelta(minutes=5),
                "closes_at": today + dt.timedelta(days=7),
            },
        )
        form.fields["instrument"].queryset = Instrument.objects.filter(  # type: ignore[attr-defined]
            issuer_id=user.organisation_id, status=InstrumentStatus.LIVE
        )
        if request.method == "POST" and form.is_valid():
            values = form.cleaned_data
            try:
                ballot = voting.ballot_create(
                    actor=user,
                    instrument_id=values["instrument"].pk,
                    title=values["title"],
                    motions=parse_motions(values["motions"]),
                    record_date=values["record_date"],
                    opens_at=values["opens_at"],
                    closes_at=values["closes_at"],
                )
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, "Ballot proposed: an issuer approver approves it next.")
                return redirect("frontend:ballot-detail", ballot_id=ballot.pk)
    return render(
        request,
        "frontend/voting/ballots.html",
        {"page": paginate(request, voting.ballot_list(user=user)), "form": form, "filters": {}},
    )


@page_for("frontend:ballots")
def ballot_detail(request: HttpRequest, ballot_id: uuid.UUID) -> HttpResponse:
    user = request_user(request)
    try:
        ballot = voting.ballot_get(user=user, ballot_id=ballot_id)
    except NotFoundError as exc:  # another issuer's pending ballot, or none: not a 500
        raise Http404(exc.message) from exc
    chain_error = ""
    try:
        results = voting.ballot_results(ballot=ballot)
    except ChainUnavailable as exc:
        results, chain_error = [], exc.message
    voters: list[tuple[str, str]] = []
    if user.has_role(*BROKER_ROLES):
        voters = [("", f"{user.organisation.legal_name if user.organisation else ''} (own account)")]
        voters += [
            (str(c.pk), f"{c.name} ({c.account_reference})")
            for c in ClientAccount.objects.filter(broker_id=user.organisation_id, chain_account__isnull=False)
        ]
    chart = [
        {"title": r.title, "labels": r.options, "weights": r.weights, "voters": r.voters} for r in results
    ]
    context = {
        "ballot": ballot,
        "results": results,
        "chart_json": json.dumps(chart),
        "chain_error": chain_error,
        "voters": voters,
        "can_decide": user.has_role(Role.ISSUER_APPROVER)
        and user.organisation_id == ballot.instrument.issuer_id
        and ballot.status == voting.BallotStatus.PENDING_APPROVAL,
        "votes": ballot.votes.select_related("voter").filter(cast_by__organisation=user.organisation)[:20],
    }
    return render(request, "frontend/voting/detail.html", context)


@require_POST
@page_for("frontend:ballots")
def ballot_decide(request: HttpRequest, ballot_id: uuid.UUID) -> HttpResponse:
    try:
        voting.ballot_decide(
            actor=request_user(request),
            ballot_id=ballot_id,
            approve=request.POST.get("decision") == "approve",
            comment=request.POST.get("comment", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Decision recorded.")
    return redirect("frontend:ballot-detail", ballot_id=ballot_id)


@require_POST
@page_for("frontend:ballots")
def ballot_vote(request: HttpRequest, ballot_id: uuid.UUID) -> HttpResponse:
    """One motion's form: a weight per option (empty or 0: none) and the voter."""
    try:
        motion = int(request.POST.get("motion", "-1"))
        choices = []
        for key in request.POST:
            value = request.POST.get(key, "").strip()
            if key.startswith("option-") and value and int(value) != 0:
                choices.append((int(key.removeprefix("option-")), int(value)))
        voter = request.POST.get("voter") or None
        voting.ballot_vote(
            actor=request_user(request),
            ballot_id=ballot_id,
            motion=motion,
            choices=choices,
            client_account_id=uuid.UUID(voter) if voter else None,
        )
    except ValueError:
        messages.error(request, "Weights are whole numbers of token units.")
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Vote sent: it counts once its block is Final.")
    return redirect("frontend:ballot-detail", ballot_id=ballot_id)
