"""Reads of Citadel providers, licences and sessions (docs/kyc.md "Citadel").

Who sees what: a KYC provider's users see their provider's licences; a broker's users their
client accounts' licences and sessions; regulators, operators and superusers everything. A
licence read never carries an attribute (the platform keeps none in clear).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Q, QuerySet

from common.exceptions import NotFoundError
from identity.filters import CitadelLicenceFilter
from identity.kyc_selectors import is_kyc_officer
from identity.models import CitadelLicence, CitadelProvider, CitadelSession, ClientAccount, User
from identity.roles import BROKER_ROLES
from identity.selectors import apply_filters, user_sees_all_organisations


def citadel_provider_list(*, user: User) -> QuerySet[CitadelProvider]:
    providers = CitadelProvider.objects.select_related("organisation")
    if user_sees_all_organisations(user=user):
        return providers
    if user.organisation_id is None:
        return providers.none()
    return providers.filter(organisation_id=user.organisation_id)


def citadel_licence_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[CitadelLicence]:
    """The licences ``user`` may see (module docstring), newest first; ``filters`` as
    ``CitadelLicenceFilter`` (an invalid value raises ``ValidationError``)."""
    licences = CitadelLicence.objects.select_related(
        "provider__organisation", "wallet__client_account__broker"
    )
    if not user_sees_all_organisations(user=user):
        org = user.organisation_id
        licences = licences.filter(
            Q(provider__organisation_id=org) | Q(wallet__client_account__broker_id=org)
        )
    return apply_filters(CitadelLicenceFilter, licences, filters)


def citadel_licence_get(*, user: User, licence_id: uuid.UUID) -> CitadelLicence:
    """404 if unknown or not visible to ``user``."""
    licence = citadel_licence_list(user=user).filter(pk=licence_id).first()
    if licence is None:
        raise NotFoundError("Licence not found.")
    return licence


def citadel_session_list(*, user: User) -> QuerySet[CitadelSession]:
    sessions = CitadelSession.objects.select_related(
        "proof_job", "licence__provider__organisation", "licence__wallet__client_account__broker"
    )
    if user_sees_all_organisations(user=user):
        return sessions
    org = user.organisation_id
    return sessions.filter(
        Q(licence__wallet__client_account__broker_id=org) | Q(licence__provider__organisation_id=org)
    )


def citadel_session_get(*, user: User, session_id: uuid.UUID) -> CitadelSession:
    """404 if unknown or not visible to ``user``."""
    session = citadel_session_list(user=user).filter(pk=session_id).first()
    if session is None:
        raise NotFoundError("Session not found.")
    return session


def citadel_licence_client_accounts(*, user: User) -> QuerySet[ClientAccount]:
    """The investors a KYC provider's compliance officer may issue a licence to: every broker's
    active client accounts (none for anyone else)."""
    if not is_kyc_officer(user=user):
        return ClientAccount.objects.none()
    return (
        ClientAccount.objects.select_related("broker")
        .filter(status=ClientAccount.Status.ACTIVE)
        .order_by("broker__legal_name", "name", "account_reference")
    )


def citadel_session_client_accounts(*, user: User) -> QuerySet[ClientAccount]:
    """The investors a broker's user may open Citadel sessions for: its own active client
    accounts (none for anyone else)."""
    if user.organisation_id is None or not user.has_role(*BROKER_ROLES):
        return ClientAccount.objects.none()
    return ClientAccount.objects.filter(
        broker_id=user.organisation_id, status=ClientAccount.Status.ACTIVE
    ).order_by("name", "account_reference")
