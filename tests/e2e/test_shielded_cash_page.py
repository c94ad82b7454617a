"""Headless Chromium (Debian's) on the "Shielded cash" page, against a real in-process node
(tests/settlement/phoenixchain.py): a broker's back office sees its shielded balance and note
Final, the browser refuses an amount that is not whole cents before sending it, the server's
refusal (more than the shielded balance) is shown and nothing changes, and a shield submitted
through the form appears in the transfers table."""

from __future__ import annotations

import os
import shutil
from decimal import Decimal

import pytest

from settlement.shielded import shielded_cash_shield
from tests.e2e.test_login_roles import CHROMIUM, browser  # noqa: F401 - a fixture
from tests.factories import PASSWORD
from tests.settlement.phoenixchain import Platform, shielded_platform  # noqa: F401 - a fixture

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("GLOAM_REQUIRE_BROWSER"),
        reason="Debian chromium is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture
def ready(transactional_db: None, shielded_platform: Platform) -> Platform:  # noqa: F811
    """A's back office holds a Final 80.00 EUR note; all ORM work before the browser starts."""
    shielded_cash_shield(actor=shielded_platform.a_office, amount=Decimal("80.00"))
    shielded_platform.chain.settle()
    return shielded_platform


def test_back_office_uses_the_shielded_cash_page(ready: Platform, live_server, browser) -> None:  # noqa: F811
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", ready.a_office.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.click("#main-nav >> text=Shielded cash")
    page.wait_for_selector("[data-testid=shielded-balances]")
    assert page.inner_text("[data-testid=shielded-unspent]") == "80.00"
    assert "Final" in page.inner_text("[data-testid=shielded-notes]")

    # the browser refuses a fraction of a cent: the form is not sent
    page.fill("#unshield-amount", "1.005")
    page.click("[data-testid=unshield-form] button")
    assert page.evaluate("document.querySelector('#unshield-amount').validity.valid") is False
    # the server refuses more than the shielded balance, and says why
    page.fill("#unshield-amount", "500.00")
    page.click("[data-testid=unshield-form] button")
    page.wait_for_selector(".alert-danger")
    assert "below the amount" in page.inner_text(".alert-danger")

    page.fill("#shield-amount", "12.34")
    page.click("[data-testid=shield-form] button")
    page.wait_for_selector(".alert-success")
    assert "12.34" in page.inner_text("[data-testid=shielded-transfers]")
    assert page.get_attribute("[data-testid=shielded-transfers]", "hx-trigger") == "every 2s"
