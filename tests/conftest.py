"""Shared fixtures: organisations of each kind, a user per role, API clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from tests.factories import OrganisationFactory, UserFactory
from tests.platformchain import chain_platform, platform_devnet  # noqa: F401 - fixtures


@pytest.fixture
def broker_a(db: None) -> Organisation:
    return OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Broker A")


@pytest.fixture
def broker_b(db: None) -> Organisation:
    return OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Broker B")


@pytest.fixture
def issuer(db: None) -> Organisation:
    return OrganisationFactory.create(kind=OrganisationKind.ISSUER, legal_name="Issuer")


@pytest.fixture
def regulator_org(db: None) -> Organisation:
    return OrganisationFactory.create(kind=OrganisationKind.REGULATOR, legal_name="Regulator")


@pytest.fixture
def operator_org(db: None) -> Organisation:
    return OrganisationFactory.create(kind=OrganisationKind.OPERATOR, legal_name="Operator")


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(organisation: Organisation, *roles: Role, **fields: object) -> User:
        return UserFactory.create(organisation=organisation, roles=list(roles), **fields)

    return make


@pytest.fixture
def maker(make_user: Callable[..., User], issuer: Organisation) -> User:
    """An issuer admin of ``issuer``: the maker of instruments."""
    return make_user(issuer, Role.ISSUER_ADMIN)


@pytest.fixture
def approver(make_user: Callable[..., User], issuer: Organisation) -> User:
    """An issuer approver of ``issuer``: the checker."""
    return make_user(issuer, Role.ISSUER_APPROVER)


@pytest.fixture
def operator(make_user: Callable[..., User], operator_org: Organisation) -> User:
    return make_user(operator_org, Role.OPERATOR)


@pytest.fixture
def regulator(make_user: Callable[..., User], regulator_org: Organisation) -> User:
    return make_user(regulator_org, Role.REGULATOR)


@pytest.fixture
def api_client_for() -> Callable[[User], APIClient]:
    """An API client authenticated with the user's token (the machine path)."""

    def make(user: User) -> APIClient:
        client = APIClient()
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make
