"""The "Citadel licences" page (docs/kyc.md "Citadel"): the licences the user may see, the
licence providers and the investors' sessions, with the forms of each role: a KYC provider's
compliance officer issues and revokes licences, the operator registers providers, a broker
opens its investors' sessions (the sessions table refreshes itself with htmx while a session
is proving or submitted). Regulators read. The page calls ``identity.citadel_selectors``,
``identity.citadel_services`` and ``compliance.citadel``; no business logic here. No licence
attribute is shown: the platform keeps none in clear."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django_countries import countries

from common.exceptions import ApplicationError
from common.text import validate_multiline_text
from compliance.citadel import instrument_citadel_session_open
from frontend.views import page_for, paginate, query_filters
from identity import citadel_selectors, citadel_services
from identity.authentication import request_user
from identity.kyc_selectors import is_kyc_officer
from identity.models import CitadelLicence, CitadelSession, Organisation, User
from identity.roles import BROKER_ROLES, OrganisationKind, Role
from issuance.selectors import instrument_citadel_list

LIST_FILTERS = ("status",)
#: Sessions on their way: the sessions table polls while one is on its page.
OPEN = (CitadelSession.Status.PROVING, CitadelSession.Status.SUBMITTED)
#: The sessions table's own page parameter (the licences table has ``page``).
SESSIONS_PAGE = "sessions_page"

_CONTROL = {"class": "form-control form-control-sm"}
_SELECT = {"class": "form-select form-select-sm"}


def _client_account_label(account: Any) -> str:
    return f"{account.name} ({account.account_reference}), {account.broker.legal_name}"


class LicenceIssueForm(forms.Form):
    """The officer's form; ``citadel_services.citadel_licence_issue`` validates the values."""

    client_account_id = forms.TypedChoiceField(
        label="Client account", coerce=uuid.UUID, widget=forms.Select(attrs=_SELECT)
    )
    jurisdiction = forms.ChoiceField(label="Jurisdiction (ISO 3166-1)", widget=forms.Select(attrs=_SELECT))
    accredited = forms.BooleanField(
        required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"})
    )
    birth_date = forms.DateField(
        label="Birth date", widget=forms.DateInput(attrs={"type": "date", **_CONTROL}, format="%Y-%m-%d")
    )
    expires_on = forms.DateField(
        label="Expiry", widget=forms.DateInput(attrs={"type": "date", **_CONTROL}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "issue-%s")
        super().__init__(*args, **kwargs)
        accounts = citadel_selectors.citadel_licence_client_accounts(user=user)
        account = cast(forms.TypedChoiceField, self.fields["client_account_id"])
        account.choices = [("", "—"), *((str(a.pk), _client_account_label(a)) for a in accounts)]
        country = cast(forms.ChoiceField, self.fields["jurisdiction"])
        country.choices = [("", "—"), *((code, f"{name} ({code})") for code, name in countries)]


class LicenceRevokeForm(forms.Form):
    licence_id = forms.UUIDField()
    reason = forms.CharField(label="Reason", max_length=500, validators=[validate_multiline_text])


class ProviderRegisterForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(kind=OrganisationKind.KYC_PROVIDER).order_by("legal_name"),
        label="KYC provider",
        widget=forms.Select(attrs=_SELECT),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "register-%s")
        super().__init__(*args, **kwargs)


class SessionOpenForm(forms.Form):
    client_account_id = forms.TypedChoiceField(
        label="Client account", coerce=uuid.UUID, widget=forms.Select(attrs=_SELECT)
    )
    instrument_id = forms.TypedChoiceField(
        label="Instrument", coerce=uuid.UUID, widget=forms.Select(attrs=_SELECT)
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "session-%s")
        super().__init__(*args, **kwargs)
        accounts = citadel_selectors.citadel_session_client_accounts(user=user)
        account = cast(forms.TypedChoiceField, self.fields["client_account_id"])
        account.choices = [("", "—"), *((str(a.pk), f"{a.name} ({a.account_reference})") for a in accounts)]
        instrument = cast(forms.TypedChoiceField, self.fields["instrument_id"])
        instrument.choices = [
            ("", "—"),
            *((str(i.pk), f"{i.name} ({i.isin})") for i in instrument_citadel_list(user=user)),
        ]


def _error_text(form: forms.Form) -> str:
    """Every field error on one line, each named by its label."""
    return " ".join(
        f"{form[name].label}: {' '.join(map(str, errors))}"
        if name in form.fields
        else " ".join(map(str, errors))
        for name, errors in form.errors.items()
    )


class _Refused(Exception):
    """A form that does not validate: its errors are shown as the refusal."""


def _valid(form: forms.Form) -> dict[str, Any]:
    if not form.is_valid():
        raise _Refused(_error_text(form))
    return form.cleaned_data


def _capabilities(user: User) -> dict[str, bool]:
    """Which forms the page offers; the services decide whether the action is allowed."""
    is_broker = user.has_role(*BROKER_ROLES)
    return {
        "can_issue": is_kyc_officer(user=user),
        "can_register": user.has_role(Role.OPERATOR),
        "can_open": is_broker,
        "show_providers": not is_broker,
    }


def _sessions(request: HttpRequest) -> dict[str, object]:
    sessions = citadel_selectors.citadel_session_list(user=request_user(request))
    page = paginate(request, sessions, param=SESSIONS_PAGE)
    return {"sessions": page, "running": any(s.status in OPEN for s in page)}


def _act(user: User, action: str, forms_: dict[str, forms.Form]) -> str:
    """Do ``action`` through its service; the success message. Raises ``_Refused`` or the
    service's ``ApplicationError``; ``PermissionDenied`` for an action the page does not offer
    to the user's role."""
    can = _capabilities(user)
    if action == "issue" and can["can_issue"]:
        data = _valid(forms_["issue_form"])
        citadel_services.citadel_licence_issue(actor=user, **data)
        return "Licence issued: it is pending until its leaf is Final on chain."
    if action == "revoke" and can["can_issue"]:
        data = _valid(forms_["revoke_form"])
        citadel_services.citadel_licence_revoke(
            actor=user, licence_id=data["licence_id"], reason=data["reason"]
        )
        return "Revocation sent to the chain: new sessions fail once it is Final."
    if action == "register" and can["can_register"]:
        organisation = cast(Organisation, _valid(forms_["register_form"])["organisation"])
        citadel_services.citadel_provider_register(actor=user, organisation_id=organisation.pk)
        return f"{organisation.legal_name} registered as a licence provider once Final."
    if action == "open" and can["can_open"]:
        data = _valid(forms_["session_form"])
        session, created = instrument_citadel_session_open(
            actor=user, instrument_id=data["instrument_id"], client_account_id=data["client_account_id"]
        )
        if created:
            return f"Session for {session.reference} opened: its proof is being made."
        return f"The investor already has a live session for {session.reference}."
    raise PermissionDenied


def _forms(user: User, action: str, data: QueryDict | None) -> dict[str, forms.Form]:
    """The page's forms, the one of ``action`` bound to ``data`` (to show what was typed)."""

    def bound(name: str) -> QueryDict | None:
        return data if action == name else None

    return {
        "issue_form": LicenceIssueForm(
            bound("issue"), user=user, initial={"expires_on": timezone.now().date() + dt.timedelta(days=365)}
        ),
        "revoke_form": LicenceRevokeForm(bound("revoke")),
        "register_form": ProviderRegisterForm(bound("register")),
        "session_form": SessionOpenForm(bound("open"), user=user),
    }


@page_for("frontend:citadel")
def citadel(request: HttpRequest) -> HttpResponse:
    """GET: the page. POST (``action``: issue, revoke, register or open): one form through its
    service; a refusal is shown with its reason (400) and nothing is written."""
    user = request_user(request)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    page_forms = _forms(user, action, request.POST if action else None)
    if request.method == "POST":
        try:
            done = _act(user, action, page_forms)
        except _Refused as exc:
            messages.error(request, str(exc))
        except ApplicationError as exc:
            reason = exc.details.get("reason")
            messages.error(request, f"{exc.message} ({reason})" if reason else exc.message)
        else:
            messages.success(request, done)
            return redirect("frontend:citadel")
    filters = query_filters(request, LIST_FILTERS)
    try:
        licences = citadel_selectors.citadel_licence_list(user=user, filters=filters)
    except ValidationError:
        licences = citadel_selectors.citadel_licence_list(user=user).none()
    can = _capabilities(user)
    return render(
        request,
        "frontend/kyc/citadel.html",
        {
            "page": paginate(request, licences),
            "filters": filters,
            "statuses": CitadelLicence.Status.choices,
            "providers": citadel_selectors.citadel_provider_list(user=user) if can["show_providers"] else [],
            "revocable": CitadelLicence.Status.ACTIVE,
            **can,
            **page_forms,
            **_sessions(request),
        },
        status=400 if request.method == "POST" else 200,
    )


@page_for("frontend:citadel")
def citadel_sessions_table(request: HttpRequest) -> HttpResponse:
    """htmx partial: the sessions table, polled while a session is proving or submitted."""
    return render(request, "frontend/kyc/_citadel_sessions.html", _sessions(request))
