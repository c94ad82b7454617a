"""Reads, always scoped to what the asking user may see.

A user sees its own organisation's data; regulators and operators see every
organisation's. An object the user may not see is reported as not found (404), never as
forbidden, so that its existence is not revealed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from django.db.models import Model, QuerySet

from common.exceptions import NotFoundError
from common.models import AuditEntry
from identity.filters import ClientAccountFilter, OrganisationFilter, UserFilter
from identity.hooks import get_regulator_audit_exclusion
from identity.models import ClientAccount, Organisation, User
from identity.roles import ROLES_SEEING_ALL_ORGANISATIONS, OrganisationKind, Role
from ledger.models import ChainAccount

M = TypeVar("M", bound=Model)


def user_sees_all_organisations(*, user: User) -> bool:
    """Regulators, operators and platform superusers see every organisation's data."""
    return user.is_superuser or user.has_role(*ROLES_SEEING_ALL_ORGANISATIONS)


def scope_to_organisation(queryset: QuerySet[M], *, user: User, field: str) -> QuerySet[M]:
    """Keep the rows whose ``field`` is the user's organisation, unless the user sees all.

    The one place where organisation scoping is decided; every app's selectors use it.
    """
    if user_sees_all_organisations(user=user):
        return queryset
    if user.organisation_id is None:
        return queryset.none()
    return queryset.filter(**{field: user.organisation_id})


def apply_filters(filterset: Any, queryset: QuerySet[M], filters: Any) -> QuerySet[M]:
    """``queryset`` narrowed by the django-filter ``filterset`` from ``filters`` (query
    parameters); invalid values raise ``ValidationError`` (the API answers 400)."""
    if not filters:
        return queryset
    fs = filterset(filters, queryset)
    if not fs.is_valid():
        from django.core.exceptions import ValidationError

        raise ValidationError(fs.errors)
    return fs.qs


def scope_audit_entries(queryset: QuerySet[AuditEntry], *, user: User) -> QuerySet[AuditEntry]:
    """The entries of ``queryset`` that ``user`` may read: the one place the audit trail's
    read scope is decided (the search, its export, an instrument's history).

    Its own organisation's entries (:func:`scope_to_organisation`), or every organisation's
    for regulators and operators, except that a regulator does not read what concerns another
    regulator: that regulator organisation's own entries (its users, its keys, its listings
    and downloads of disclosures) and the entries about disclosures sealed to it
    (``disclosure.create``/``seal``/``record``/``failed``, written under the issuer: compliance
    excludes those, ``identity.hooks.get_regulator_audit_exclusion``). Platform superusers and
    operators read everything: the operator keeps the chain of entries and anchors it."""
    queryset = scope_to_organisation(queryset, user=user, field="organisation")
    if user.is_superuser or user.has_role(Role.OPERATOR) or not user.has_role(Role.REGULATOR):
        return queryset
    own = user.organisation_id
    other_regulators = Organisation.objects.filter(kind=OrganisationKind.REGULATOR).exclude(
        id__in=[own] if own is not None else []
    )
    return get_regulator_audit_exclusion()(
        queryset.exclude(organisation__in=other_regulators), regulator_organisation_id=own
    )


def organisation_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[Organisation]:
    queryset = scope_to_organisation(
        Organisation.objects.select_related("chain_account"), user=user, field="pk"
    )
    return apply_filters(OrganisationFilter, queryset, filters)


def organisation_get(*, user: User, organisation_id: uuid.UUID) -> Organisation:
    try:
        return organisation_list(user=user).get(pk=organisation_id)
    except Organisation.DoesNotExist as exc:
        raise NotFoundError("Organisation not found.") from exc


def user_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[User]:
    queryset = scope_to_organisation(
        User.objects.select_related("organisation").prefetch_related("role_assignments"),
        user=user,
        field="organisation",
    )
    return apply_filters(UserFilter, queryset, filters)


def user_get(*, user: User, user_id: uuid.UUID) -> User:
    try:
        return user_list(user=user).get(pk=user_id)
    except User.DoesNotExist as exc:
        raise NotFoundError("User not found.") from exc


def client_account_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[ClientAccount]:
    queryset = scope_to_organisation(
        ClientAccount.objects.select_related("broker"), user=user, field="broker"
    )
    return apply_filters(ClientAccountFilter, queryset, filters)


def client_account_get(*, user: User, client_account_id: uuid.UUID) -> ClientAccount:
    try:
        return client_account_list(user=user).get(pk=client_account_id)
    except ClientAccount.DoesNotExist as exc:
        raise NotFoundError("Client account not found.") from exc


def operator_chain_account() -> ChainAccount | None:
    """The platform operator's chain account: the oldest operator organisation's, the one
    ``devnet_init`` makes the genesis ``operator`` (identity registry admin, gas funder,
    netting batches, audit anchors). ``None`` if no operator organisation has one."""
    from identity.roles import OrganisationKind

    return (
        ChainAccount.objects.filter(organisation__kind=OrganisationKind.OPERATOR)
        .order_by("organisation__created_at")
        .first()
    )


def chain_account_owners(addresses: Iterable[str]) -> dict[str, ChainAccount]:
    """Hex account Addresses (``00`` ‖ 48-byte key) → their chain account, with its
    organisation or client account (and broker) loaded; unknown ones are left out."""
    keys = {"0x" + a[2:]: a for a in addresses if a.startswith("00")}
    return {
        keys[account.public_key]: account
        for account in ChainAccount.objects.filter(public_key__in=keys).select_related(
            "organisation", "client_account__broker"
        )
    }


def chain_addresses_user_owns(*, user: User, addresses: Iterable[bytes]) -> set[bytes]:
    """Of ``addresses`` (49-byte Addresses), those whose owner and holdings ``user`` may read
    by name: every one for regulators and operators; otherwise its own organisation's chain
    account and its client accounts' (a broker's), and none else. The one place this is
    decided; an Address nobody on the platform owns is not the user's either."""
    wanted = set(addresses)
    if user_sees_all_organisations(user=user):
        return wanted
    if user.organisation_id is None:
        return set()
    owners = chain_account_owners(a.hex() for a in wanted)
    return {
        bytes.fromhex(address)
        for address, account in owners.items()
        if account.organisation_id == user.organisation_id
        or (account.client_account is not None and account.client_account.broker_id == user.organisation_id)
    }


def chain_account_owner_name(account: ChainAccount | None) -> tuple[str, str]:
    """``(name, kind)`` of who holds ``account``: an organisation (``investor``), a client
    account named with its reference and broker (``client account``), or ``unknown``."""
    if account is not None and account.organisation is not None:
        return account.organisation.legal_name, "investor"
    if account is not None and account.client_account is not None:
        client = account.client_account
        return f"{client.name} ({client.account_reference}, {client.broker.legal_name})", "client account"
    return "unknown address", "unknown"
