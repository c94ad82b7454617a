"""Fixtures of the page tests: the settlement tests' live bond and two brokers with client
accounts and API clients (``tests/settlement/conftest.py``); a test module may define its own
``bond``."""

from tests.settlement.conftest import bond, parties  # noqa: F401 - fixtures
