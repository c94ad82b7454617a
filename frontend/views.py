"""Pages of the web UI. They compose the apps' selectors; no business logic here."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from common.health import get_health
from compliance.audit import audit_trail_verify
from compliance.models import AuditAnchor
from compliance.selectors import audit_entry_list
from corporate_actions.selectors import corporate_action_beat_failures
from frontend.navigation import can_view
from identity import selectors
from identity.authentication import request_user
from identity.roles import OrganisationKind, Role
from issuance.selectors import instrument_list

PAGE_SIZE = 25

View = Callable[..., HttpResponse]


def page_for(url_name: str) -> Callable[[View], View]:
    """Login required, and the page must be in the user's navigation (else 403)."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not can_view(request_user(request), url_name):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def paginate(request: HttpRequest, queryset: Any, *, param: str = "page") -> Any:
    """The page of ``queryset`` that the query parameter ``param`` names (a page with two
    paginated tables gives the second its own parameter)."""
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(param))


def query_filters(request: HttpRequest, names: tuple[str, ...]) -> dict[str, str]:
    return {n: request.GET[n] for n in names if request.GET.get(n)}


@page_for("frontend:dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    organisations = selectors.organisation_list(user=user)
    by_kind = dict(organisations.values_list("kind").annotate(n=Count("id")).values_list("kind", "n"))
    chart = {
        "labels": [OrganisationKind(k).label for k in OrganisationKind.values],
        "values": [by_kind.get(k, 0) for k in OrganisationKind.values],
    }
    roles = user.roles
    context = {
        "roles": roles,
        "Role": Role,
        "organisation": user.organisation,
        "organisation_count": organisations.count(),
        "chart_json": json.dumps(chart),
        "client_account_count": (
            selectors.client_account_list(user=user).count()
            if roles & {Role.BROKER_TRADER, Role.BROKER_BACK_OFFICE, Role.REGULATOR, Role.OPERATOR}
            else None
        ),
        "recent_audit": (
            list(audit_entry_list(user=user)[:5])
            if roles & {Role.COMPLIANCE_OFFICER, Role.REGULATOR, Role.OPERATOR}
            else []
        ),
        "beat_failures": (
            corporate_action_beat_failures(user=user)
            if roles & {Role.ISSUER_ADMIN, Role.ISSUER_APPROVER, Role.REGULATOR, Role.OPERATOR}
            else None
        ),
    }
    return render(request, "frontend/dashboard.html", context)


@login_required
def health_panel(request: HttpRequest) -> HttpResponse:
    """htmx partial: the platform health, refreshed by the dashboard."""
    healthy, body = get_health()
    return render(request, "frontend/partials/health.html", {"healthy": healthy, "health": body})


@page_for("frontend:organisations")
def organisations(request: HttpRequest) -> HttpResponse:
    filters = query_filters(request, ("kind", "country", "legal_name"))
    try:
        queryset = selectors.organisation_list(user=request_user(request), filters=filters)
    except ValidationError:
        queryset = selectors.organisation_list(user=request_user(request)).none()
    return render(
        request,
        "frontend/organisations.html",
        {
            "page": paginate(request, queryset),
            "filters": filters,
            "kinds": OrganisationKind.choices,
        },
    )


@page_for("frontend:users")
def users(request: HttpRequest) -> HttpResponse:
    queryset = selectors.user_list(user=request_user(request))
    return render(request, "frontend/users.html", {"page": paginate(request, queryset)})


@page_for("frontend:client-accounts")
def client_accounts(request: HttpRequest) -> HttpResponse:
    queryset = selectors.client_account_list(user=request_user(request))
    return render(request, "frontend/client_accounts.html", {"page": paginate(request, queryset)})


AUDIT_FILTERS = ("instrument", "organisation", "actor", "action", "request_id", "since", "until")


@page_for("frontend:audit-trail")
def audit_trail(request: HttpRequest) -> HttpResponse:
    """Search the audit trail (filters as the API's), export what is shown, see the anchors."""
    user = request_user(request)
    filters = query_filters(request, AUDIT_FILTERS)
    error = ""
    try:
        queryset = audit_entry_list(user=user, filters=filters)
        queryset.exists()
    except ValidationError as exc:
        error = "; ".join(
            f"{k}: {' '.join(map(str, v))}" for k, v in getattr(exc, "message_dict", {}).items()
        )
        queryset = audit_entry_list(user=user).none()
    context = {
        "page": paginate(request, queryset),
        "filters": filters,
        "filter_error": error,
        "query": urlencode(filters),
        "organisations": selectors.organisation_list(user=user).order_by("legal_name"),
        "instruments": instrument_list(user=user).filter(is_reference_data=False).order_by("isin"),
        "anchors": AuditAnchor.objects.select_related("submission")[:5],
    }
    return render(request, "frontend/audit_trail.html", context)


@page_for("frontend:audit-trail")
def audit_trail_verify_panel(request: HttpRequest) -> HttpResponse:
    """htmx partial: recompute the hash chain and check the anchors (``?chain=1``: on a node)."""
    report = audit_trail_verify(against_chain=request.GET.get("chain") == "1")
    return render(request, "frontend/partials/audit_verify.html", {"report": report})
