"""The "Shielded cash" page for brokers (settlement.shielded): the shielded cash balance, the
notes found in Final blocks, the transfers with their proof job's progress and chain status,
and (broker back office) forms to shield, send by LEI and unshield. The transfers table
refreshes itself with htmx while a transfer is proving or on its way to Final. Regulators and
operators read every broker's. No inline script or style (CSP)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from common.exceptions import ApplicationError
from frontend.forms import ShieldedCashForm
from frontend.views import page_for, paginate
from identity.authentication import request_user
from identity.roles import Role
from settlement import shielded
from settlement.models import ShieldedTransfer

OPEN = (ShieldedTransfer.Status.PROVING, ShieldedTransfer.Status.SUBMITTED)


def _currency() -> str:
    """The shielded cash's currency, or "" while the chain does not answer (the page still
    shows what the platform has read)."""
    try:
        return shielded.shielded_currency()
    except ApplicationError:
        return ""


def _transfers(request: HttpRequest) -> dict[str, object]:
    page = paginate(request, shielded.shielded_transfer_list(user=request_user(request)))
    return {"transfers": page, "running": any(t.status in OPEN for t in page)}


@page_for("frontend:shielded-cash")
def shielded_cash(request: HttpRequest) -> HttpResponse:
    """GET: the page. POST (broker back office): one of the three forms; a refusal is shown
    with its reason and nothing is written."""
    user = request_user(request)
    typed: dict[str, str] = {}
    currency = _currency()
    if request.method == "POST":
        if not user.has_role(Role.BROKER_BACK_OFFICE):
            messages.error(request, "Only a broker's back office moves shielded cash.")
            return redirect("frontend:shielded-cash")
        form = ShieldedCashForm(request.POST)
        if not form.is_valid():
            messages.error(request, form.error_text())
        else:
            data = form.cleaned_data
            try:
                if data["action"] == "shield":
                    shielded.shielded_cash_shield(actor=user, amount=data["amount"])
                elif data["action"] == "send":
                    shielded.shielded_cash_send(
                        actor=user, receiver_lei=data["receiver_lei"], amount=data["amount"]
                    )
                else:
                    shielded.shielded_cash_unshield(actor=user, amount=data["amount"])
            except ApplicationError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(
                    request, f"{data['action'].capitalize()} of {data['amount']} {currency} requested."
                )
                return redirect("frontend:shielded-cash")
        typed = {name: request.POST.get(name, "") for name in ShieldedCashForm.base_fields}
    notes = paginate(request, shielded.shielded_note_list(user=user, filters={"status": "unspent"}))
    for note in notes:
        note.amount = Decimal(note.value) / shielded.MINOR_UNITS  # cents to units, for the table
    return render(
        request,
        "frontend/settlement/shielded_cash.html",
        {
            "balances": shielded.shielded_balance_list(user=user),
            "notes": notes,
            "can_write": user.has_role(Role.BROKER_BACK_OFFICE),
            "typed": typed,
            "currency": currency,
            **_transfers(request),
        },
        status=400 if request.method == "POST" else 200,
    )


@page_for("frontend:shielded-cash")
def shielded_transfers_table(request: HttpRequest) -> HttpResponse:
    """htmx partial: the transfers table, polled while one is open."""
    return render(request, "frontend/settlement/_shielded_transfers.html", _transfers(request))
