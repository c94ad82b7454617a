"""Writes: organisations, users, roles, client accounts. Each change is audited.

Every service checks the actor's permission first (``check_*``), validates, writes and
records an audit entry in one transaction: bad input changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.contrib.auth.password_validation import validate_password
from django.db import IntegrityError, transaction

from common.exceptions import ConflictError, InvalidInput, PermissionDeniedError
from common.services import audit_entry_create
from identity.models import ClientAccount, Organisation, RoleAssignment, User
from identity.roles import ROLE_ORGANISATION_KINDS, OrganisationKind, Role
from identity.selectors import operator_chain_account, organisation_get, user_get
from ledger.keys import chain_account_generate
from ledger.models import ChainAccount
from ledger.outbox import chain_account_gas_enqueue


def check_operator(*, actor: User) -> None:
    """Raise ``PermissionDeniedError`` unless ``actor`` is an operator (or superuser)."""
    if not (actor.is_superuser or actor.has_role(Role.OPERATOR)):
        raise PermissionDeniedError("Only an operator may do this.")


def check_role_fits_organisation(*, role: Role, organisation: Organisation) -> None:
    kinds = ROLE_ORGANISATION_KINDS[role]
    if organisation.kind not in kinds:
        allowed = ", ".join(sorted(OrganisationKind(k).label for k in kinds))
        raise InvalidInput(
            f"The role {role.label} cannot be held in a {OrganisationKind(organisation.kind).label} "
            f"organisation (allowed: {allowed}).",
            code="role_not_allowed_for_organisation",
            details={"role": role.value, "organisation_kind": organisation.kind},
        )


@transaction.atomic
def organisation_create(*, actor: User, legal_name: str, lei: str, country: str, kind: str) -> Organisation:
    check_operator(actor=actor)
    organisation = Organisation(legal_name=legal_name.strip(), lei=lei, country=country, kind=kind)
    organisation.full_clean()
    organisation.save()
    chain_account_create(organisation=organisation, actor=actor)
    audit_entry_create(
        actor=actor,
        action="organisation.create",
        obj=organisation,
        organisation=organisation,
        changes={"legal_name": organisation.legal_name, "lei": lei, "country": country, "kind": kind},
    )
    return organisation


@transaction.atomic
def user_create(
    *,
    actor: User,
    organisation_id: uuid.UUID,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
    roles: Iterable[str] = (),
) -> User:
    """Create a user in an organisation with its roles; ``password=None`` leaves it unusable
    (a machine account that authenticates with an API token)."""
    check_operator(actor=actor)
    organisation = organisation_get(user=actor, organisation_id=organisation_id)
    role_values = [Role(r) for r in dict.fromkeys(roles)]
    for role in role_values:
        check_role_fits_organisation(role=role, organisation=organisation)
    user = User(
        username=username,
        email=email.lower(),
        first_name=first_name,
        last_name=last_name,
        organisation=organisation,
    )
    if password is None:
        user.set_unusable_password()
    else:
        validate_password(password, user)
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    RoleAssignment.objects.bulk_create(
        RoleAssignment(user=user, role=role, granted_by=actor) for role in role_values
    )
    audit_entry_create(
        actor=actor,
        action="user.create",
        obj=user,
        organisation=organisation,
        changes={"username": username, "email": user.email, "roles": [r.value for r in role_values]},
    )
    return user


@transaction.atomic
def user_role_grant(*, actor: User, user_id: uuid.UUID, role: str) -> RoleAssignment:
    check_operator(actor=actor)
    target = user_get(user=actor, user_id=user_id)
    role_value = Role(role)
    if target.organisation is None:
        raise InvalidInput("A platform superuser holds no roles.", code="user_without_organisation")
    check_role_fits_organisation(role=role_value, organisation=target.organisation)
    if RoleAssignment.objects.filter(user=target, role=role_value).exists():
        raise ConflictError(
            f"{target.username} already holds the role {role_value.label}.",
            code="role_already_held",
        )
    assignment = RoleAssignment.objects.create(user=target, role=role_value, granted_by=actor)
    audit_entry_create(
        actor=actor,
        action="role.grant",
        obj=target,
        organisation=target.organisation,
        changes={"role": role_value.value},
    )
    return assignment


@transaction.atomic
def user_role_revoke(*, actor: User, user_id: uuid.UUID, role: str) -> None:
    check_operator(actor=actor)
    target = user_get(user=actor, user_id=user_id)
    role_value = Role(role)
    if target.pk == actor.pk and role_value == Role.OPERATOR:
        raise InvalidInput("An operator cannot revoke their own operator role.", code="self_revoke_forbidden")
    deleted, _ = RoleAssignment.objects.filter(user=target, role=role_value).delete()
    if not deleted:
        raise InvalidInput(
            f"{target.username} does not hold the role {role_value.label}.", code="role_not_held"
        )
    audit_entry_create(
        actor=actor,
        action="role.revoke",
        obj=target,
        organisation=target.organisation,
        changes={"role": role_value.value},
    )


@transaction.atomic
def client_account_create(
    *,
    actor: User,
    account_reference: str,
    name: str,
    holder_type: str,
    holder_lei: str = "",
) -> ClientAccount:
    """Open a client account at the actor's broker (broker back office only)."""
    if not actor.has_role(Role.BROKER_BACK_OFFICE) or actor.organisation is None:
        raise PermissionDeniedError("Only a broker's back office may open client accounts.")
    if holder_type == ClientAccount.HolderType.LEGAL_ENTITY and not holder_lei:
        raise InvalidInput(
            "A legal-entity client needs its LEI.",
            code="holder_lei_required",
            details={"holder_lei": ["Required for legal entities."]},
        )
    account = ClientAccount(
        broker=actor.organisation,
        account_reference=account_reference,
        name=name,
        holder_type=holder_type,
        holder_lei=holder_lei,
    )
    account.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            account.save()
    except IntegrityError as exc:
        raise ConflictError(
            f"Client account {account_reference} already exists at this broker.",
            code="client_account_exists",
            details={"account_reference": account_reference},
        ) from exc
    client_account_chain_account_create(client_account=account, actor=actor)
    audit_entry_create(
        actor=actor,
        action="client_account.create",
        obj=account,
        organisation=actor.organisation,
        changes={
            "account_reference": account_reference,
            "name": name,
            "holder_type": holder_type,
            "holder_lei": holder_lei,
        },
    )
    return account


@transaction.atomic
def organisation_chain_account_open(*, actor: User, organisation_id: uuid.UUID) -> Organisation:
    """The operator gives an organisation (e.g. one imported from GLEIF data) its chain
    account; idempotent. Returns the organisation."""
    check_operator(actor=actor)
    organisation = organisation_get(user=actor, organisation_id=organisation_id)
    chain_account_create(organisation=organisation, actor=actor)
    return Organisation.objects.select_related("chain_account").get(pk=organisation.pk)


@transaction.atomic
def chain_account_create(*, organisation: Organisation, actor: User | None = None) -> ChainAccount:
    """Give ``organisation`` a chain account (idempotent): a fresh BLS key pair whose secret
    key is stored encrypted at rest, funded with gas by the operator if there is one
    (``ledger.outbox.chain_account_gas_enqueue``). Returns the account (public key only is
    readable)."""
    existing = ChainAccount.objects.filter(organisation=organisation).first()
    if existing is not None:
        return existing
    account = chain_account_generate(organisation_id=organisation.pk)
    audit_entry_create(
        actor=actor,
        action="chain_account.create",
        obj=account,
        organisation=organisation,
        changes={"public_key": account.public_key},
    )
    # gas for an organisation onboarded after genesis
    chain_account_gas_enqueue(account=account, funder=operator_chain_account())
    return account


@transaction.atomic
def client_account_chain_account_create(
    *, client_account: ClientAccount, actor: User | None = None
) -> ChainAccount:
    """Give a broker's client account its own chain address (idempotent): holdings allocated
    or settled to the client sit there, segregated from the broker's; the broker's account
    pays the cash, the client's own key approves and affirms its securities' deliveries,
    with gas the operator sends it (``ledger.outbox.chain_account_gas_enqueue``)."""
    existing = ChainAccount.objects.filter(client_account=client_account).first()
    if existing is not None:
        return existing
    account = chain_account_generate(client_account_id=client_account.pk)
    chain_account_gas_enqueue(account=account, funder=operator_chain_account())
    audit_entry_create(
        actor=actor,
        action="chain_account.create",
        obj=account,
        organisation=client_account.broker,
        changes={"public_key": account.public_key, "client_account": client_account.account_reference},
    )
    return account
