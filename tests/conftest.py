"""Shared fixtures: organisations of each kind, a user per role, API clients."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from tests.factories import OrganisationFactory, UserFactory
from tests.platformchain import chain_platform, platform_devnet  # noqa: F401 - fixtures

# Property tests check behaviour, not speed: no per-example deadline, which a loaded machine
# (two pytest workers and node processes on two cores) would miss at random.
hypothesis_settings.register_profile("gloam", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("gloam")


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
        _, token = AuthToken.objects.create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        return client

    return make


#: Tests of the consensus on node processes that time themselves (finality with nodes killed,
#: restarts): with ``pytest -n 2 --dist loadgroup`` (``make pytest``) they share one worker.
#: The platform's devnet tests (``chain_platform``) are not grouped: each worker has its own
#: session devnet. Grouped too, they ran one after another on one worker while the other sat
#: idle: pytest took over 25 minutes instead of about 10 (measured 2026-11-26).
NODE_PROCESS_MODULES = (
    "tests/chain/node/test_devnet",
    "tests/chain/node/test_node_process",
    "tests/config/test_supervision",  # make run's supervisor, timing restarts
)


@pytest.hookimpl(tryfirst=True)  # before xdist's, which turns the group into a node-id suffix
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(NODE_PROCESS_MODULES):
            item.add_marker(pytest.mark.xdist_group("chain-nodes"))
