"""KYC pages: credentials (list, onboarding form, detail with the claims on chain and the
affected holdings, renew / revoke / erase) and the operator's trusted KYC issuers. They call
``identity.kyc_selectors`` and ``identity.kyc_services``; no business logic here."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_countries import countries

from common.exceptions import ApplicationError, ChainUnavailable
from common.text import validate_multiline_text, validate_name
from frontend.views import page_for, paginate, query_filters
from identity import kyc_selectors, kyc_services
from identity.authentication import request_user
from identity.models import KycCredential, Organisation, TrustedKycIssuer
from identity.roles import OrganisationKind

LIST_FILTERS = ("status", "holder_type", "subject")


def _default_expiry() -> dt.datetime:
    return (timezone.now() + dt.timedelta(days=365)).replace(second=0, microsecond=0)


class KycCredentialForm(forms.Form):
    """The onboarding form; ``kyc_services.kyc_credential_issue`` validates."""

    subject_public_key = forms.ChoiceField(label="Chain account (investor or client account)")
    holder_type = forms.ChoiceField(choices=KycCredential.HolderType.choices)
    legal_name = forms.CharField(max_length=200, validators=[validate_name])
    date_of_birth_or_incorporation = forms.DateField(
        label="Date of birth or of incorporation", widget=forms.DateInput(attrs={"type": "date"})
    )
    country = forms.ChoiceField(label="Nationality or country (ISO 3166-1)")
    investor_category = forms.ChoiceField(
        label="MiFID II category", choices=KycCredential.InvestorCategory.choices
    )
    category_evidence = forms.CharField(
        validators=[validate_multiline_text],
        label="Evidence of the category assessment",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=kyc_services.MAX_EVIDENCE_CHARS,
    )
    accredited = forms.BooleanField(required=False)
    expires_at = forms.DateTimeField(
        label="Expiry (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        subject = cast(forms.ChoiceField, self.fields["subject_public_key"])
        subject.choices = [("", "—"), *kyc_selectors.kyc_subject_choices()]
        country = cast(forms.ChoiceField, self.fields["country"])
        country.choices = [("", "—"), *((code, f"{name} ({code})") for code, name in countries)]

    def clean_expires_at(self) -> dt.datetime:
        value = cast(dt.datetime, self.cleaned_data["expires_at"])
        return value if timezone.is_aware(value) else value.replace(tzinfo=dt.UTC)


@page_for("frontend:kyc-credentials")
def kyc_credentials(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    filters = query_filters(request, LIST_FILTERS)
    try:
        queryset = kyc_selectors.kyc_credential_list(user=user, filters=filters)
    except ValidationError:
        queryset = kyc_selectors.kyc_credential_list(user=user).none()
    return render(
        request,
        "frontend/kyc/credentials.html",
        {
            "page": paginate(request, queryset),
            "filters": filters,
            "statuses": KycCredential.Status.choices,
            "holder_types": KycCredential.HolderType.choices,
            "can_issue": kyc_selectors.is_kyc_officer(user=user),
        },
    )


@page_for("frontend:kyc-credentials")
def kyc_credential_create(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not kyc_selectors.is_kyc_officer(user=user):
        raise PermissionDenied
    form = KycCredentialForm(request.POST or None, initial={"expires_at": _default_expiry()})
    if request.method == "POST" and form.is_valid():
        try:
            credential = kyc_services.kyc_credential_issue(actor=user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Credential issued: its claims are on their way to the chain.")
            return redirect("frontend:kyc-credential-detail", credential_id=credential.pk)
    return render(request, "frontend/kyc/form.html", {"form": form})


@page_for("frontend:kyc-credentials")
def kyc_credential_detail(request: HttpRequest, credential_id: uuid.UUID) -> HttpResponse:
    user = request_user(request)
    try:
        credential = kyc_selectors.kyc_credential_get(user=user, credential_id=credential_id)
    except ApplicationError as exc:
        return render(request, "frontend/kyc/not_found.html", {"message": exc.message}, status=404)
    claims: list[kyc_selectors.ClaimOnChain] | None = None
    chain_error = ""
    try:
        claims = kyc_selectors.kyc_credential_claims_on_chain(user=user, credential_id=credential_id)
    except ChainUnavailable as exc:
        chain_error = exc.message
    is_provider = kyc_selectors.is_kyc_officer(user=user) and user.organisation_id == credential.provider_id
    show_attributes = (
        credential.status != KycCredential.Status.ERASED
        and kyc_selectors.kyc_attributes_visible(user=user, credential=credential)
    )
    return render(
        request,
        "frontend/kyc/detail.html",
        {
            "credential": credential,
            "subject_name": kyc_selectors.chain_account_label(credential.subject),
            "show_attributes": show_attributes,
            "claims": claims,
            "chain_error": chain_error,
            "holdings": kyc_selectors.kyc_subject_holdings(subject=credential.subject),
            "provider_trusted": kyc_selectors.kyc_provider_is_trusted(provider_id=credential.provider_id),
            "can_renew": is_provider and credential.status in ("active", "expired"),
            "can_revoke": is_provider and credential.status in ("pending", "active", "renewing", "expired"),
            "can_erase": is_provider and credential.status != "erased",
            "default_expiry": _default_expiry(),
        },
    )


@require_POST
@page_for("frontend:kyc-credentials")
def kyc_credential_action(request: HttpRequest, credential_id: uuid.UUID, action: str) -> HttpResponse:
    """Renew (``expires_at``), revoke (``reason``) or erase (``request_reference``)."""
    user = request_user(request)
    try:
        if action == "renew":
            field = forms.DateTimeField()
            expires = cast(dt.datetime, field.clean(request.POST.get("expires_at", "")))
            expires = expires if timezone.is_aware(expires) else expires.replace(tzinfo=dt.UTC)
            kyc_services.kyc_credential_renew(actor=user, credential_id=credential_id, expires_at=expires)
            messages.success(request, "Renewal sent to the chain.")
        elif action == "revoke":
            kyc_services.kyc_credential_revoke(
                actor=user, credential_id=credential_id, reason=request.POST.get("reason", "")
            )
            messages.success(request, "Credential revoked; its claims are being revoked on chain.")
        elif action == "erase":
            kyc_services.kyc_credential_erase(
                actor=user,
                credential_id=credential_id,
                request_reference=request.POST.get("request_reference", ""),
            )
            messages.success(request, "Personal data erased; the claims are being revoked on chain.")
        else:
            raise PermissionDenied
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ApplicationError as exc:
        if exc.status_code == 404:
            return render(request, "frontend/kyc/not_found.html", {"message": exc.message}, status=404)
        if exc.status_code == 403:
            raise PermissionDenied from exc
        messages.error(request, exc.message)
    return redirect("frontend:kyc-credential-detail", credential_id=credential_id)


class TrustedIssuerForm(forms.Form):
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(kind=OrganisationKind.KYC_PROVIDER), label="KYC provider"
    )


@page_for("frontend:kyc-trusted-issuers")
def kyc_trusted_issuers(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    form = TrustedIssuerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organisation = cast(Organisation, form.cleaned_data["organisation"])
        try:
            kyc_services.trusted_kyc_issuer_register(actor=user, organisation_id=organisation.pk)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"{organisation.legal_name} registered; trusted once Final.")
            return redirect("frontend:kyc-trusted-issuers")
    rows = kyc_selectors.trusted_kyc_issuer_list(user=user)
    return render(
        request,
        "frontend/kyc/trusted_issuers.html",
        {"page": paginate(request, rows), "form": form, "Status": TrustedKycIssuer.Status},
    )


@require_POST
@page_for("frontend:kyc-trusted-issuers")
def kyc_trusted_issuer_remove(request: HttpRequest, trusted_issuer_id: uuid.UUID) -> HttpResponse:
    try:
        kyc_services.trusted_kyc_issuer_remove(
            actor=request_user(request), trusted_issuer_id=trusted_issuer_id
        )
        messages.success(
            request, "Removal sent to the chain; the provider's claims stop counting once Final."
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("frontend:kyc-trusted-issuers")
