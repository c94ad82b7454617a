"""Shared fixtures: organisations of each kind, a user per role, API clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from knox.models import AuthToken
from rest_framework.test import APIClient

from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from tests import testmarks
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
def migrations_restored() -> Iterator[None]:
    """For a test that migrates the test database back: afterwards every app is migrated to
    its latest migration again, so the tests after it find the schema the models expect (a
    migration back to ``identity 0007`` also undoes ``ledger``'s, which build on it)."""
    yield
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


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


#: Modules whose tests start chain node processes without the session devnet (marked
#: ``devnet`` here; single tests elsewhere carry ``@pytest.mark.devnet`` themselves).
CHAIN_PROCESS_MODULES = (*NODE_PROCESS_MODULES, "tests/settlement/test_crash_recovery")


#: Tests of 5 s or more on an idle 2-core machine (measured with --durations): whole-file
#: vector checks, property tests over LMDB, the simulator, crash tests, py_ecc batches. Marked
#: ``slow``: ``make test`` and CI run them, ``make test-fast`` leaves them out.
SLOW_TESTS = (
    "tests/issuance/test_importers.py::test_every_imported_treasury_schedule_matches_quantlib",
    "tests/issuance/test_importers.py::test_treasury_import_rejects_nothing_and_is_idempotent",
    "tests/issuance/test_importers.py::test_sample_reference_data_matches_the_vectors_and_reloads_unchanged",
    "tests/issuance/test_importers.py::test_known_treasury_coupons",
    "tests/corporate_actions/test_corporate_actions.py::test_treasury_coupons_per_holder_equal_quantlib_to_the_cent",
    "tests/corporate_actions/test_corporate_action_capacity.py",
    "tests/chain/state/test_revert.py::test_revert_restores_each_height_then_fork_switch",
    "tests/chain/state/test_commitment.py::test_root_changes_with_any_effective_write",
    "tests/chain/state/test_commitment.py::test_incremental_root_equals_reference",
    "tests/chain/state/test_commitment.py::test_root_is_independent_of_write_order_and_block_split",
    "tests/chain/state/test_commitment.py::test_state_root_with_snapshots_equals_reference",
    "tests/chain/state/test_lmdb_store.py::test_sigkill_",
    "tests/chain/crypto/bls12_381/test_facade.py::test_batch_verify_is_deterministic_in_entropy",
    "tests/chain/crypto/bls12_381/test_invalid.py::test_invalid_batch_",
    "tests/chain/crypto/bls12_381/test_backends_agree.py",
    "tests/chain/consensus/test_engine.py::test_honest_engines_decide_the_same_block",
    "tests/chain/consensus/test_incentives.py::test_equivocation_is_carried_in_blocks_once",
    "tests/sim/test_simulator.py",
    "tests/common/test_sqlite_file_mode.py",
    "tests/config/test_settings.py::test_production_process_starts_with_safe_configuration",
)


@pytest.hookimpl(tryfirst=True)  # before xdist's, which turns the group into a node-id suffix
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(NODE_PROCESS_MODULES):
            item.add_marker(pytest.mark.xdist_group("chain-nodes"))
        if item.nodeid.startswith(CHAIN_PROCESS_MODULES) or "platform_devnet" in getattr(
            item, "fixturenames", ()
        ):
            item.add_marker(pytest.mark.devnet)
        if item.nodeid.startswith(SLOW_TESTS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _current_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Lets the chain process helpers check the running test's markers (tests/testmarks.py)."""
    testmarks.current = request.node
    yield
    testmarks.current = None
