"""Fixtures of the page tests: the settlement tests' live bond and two brokers with client
accounts and API clients (``tests/settlement/conftest.py``); a test module may define its own
``bond``."""

from tests.compliance.conftest import ready, recorded, regulator_b  # noqa: F401, E402 - fixtures
from tests.settlement.conftest import bond, parties  # noqa: F401 - fixtures
