"""Headless Chromium (Debian's, never a downloaded one) logs in as each role and sees that
role's navigation; the operator's chart and the htmx health panel render with no internet."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from common.tasks import worker_heartbeat
from demo.services import demo_data_create
from identity.demo import DEFAULT_DEMO_PASSWORD

CHROMIUM = "/usr/bin/chromium"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("GLOAM_REQUIRE_BROWSER"),
        reason="Debian chromium is not installed (apt-get install chromium)",
    ),
]

#: What each demo user must see in the main navigation, in order (written out, not derived).
EXPECTED_NAVIGATION = {
    "issuer.admin": [
        "Dashboard",
        "Organisations",
        "Instruments",
        "New instrument",
        "Corporate actions",
        "Ballots",
        "Proof jobs",
        "Disclosures",
        "Reports",
    ],
    "issuer.approver": [
        "Dashboard",
        "Organisations",
        "Instruments",
        "Approval inbox",
        "Corporate actions",
        "Ballots",
        "Proof jobs",
        "Reports",
    ],
    "compliance": [
        "Dashboard",
        "Organisations",
        "Instruments",
        "KYC credentials",
        "Proof jobs",
        "Transfer rules",
        "Breaches",
        "Compliance actions",
        "Audit trail",
        "Disclosures",
        "Reports",
    ],
    "kyc": [
        "Dashboard",
        "Organisations",
        "Instruments",
        "KYC credentials",
        "Citadel licences",
        "Proof jobs",
        "Transfer rules",
        "Breaches",
        "Compliance actions",
        "Audit trail",
        "Disclosures",
        "Reports",
    ],
    "broker.trader": [
        "Dashboard",
        "Organisations",
        "Instruments",
        "Client accounts",
        "KYC credentials",
        "Citadel licences",
        "Ballots",
        "Instructions",
        "Proof jobs",
        "Fails",
        "Cash",
        "Shielded cash",
        "Entitlements",
        "API docs",
    ],
    "broker.backoffice": [
        "Dashboard",
        "Organisations",
        "Instruments",
        "Client accounts",
        "KYC credentials",
        "Citadel licences",
        "Ballots",
        "Instructions",
        "Proof jobs",
        "Fails",
        "Cash",
        "Shielded cash",
        "Entitlements",
        "API docs",
    ],
    "regulator": [
        "Dashboard",
        "Organisations",
        "Instruments",
        "Client accounts",
        "KYC credentials",
        "Citadel licences",
        "Ballots",
        "Instructions",
        "Proof jobs",
        "Cycles",
        "Fails",
        "Shielded cash",
        "Audit trail",
        "Disclosures",
        "Reports",
    ],
    "regulator2": [
        "Dashboard",
        "Organisations",
        "Instruments",
        "Client accounts",
        "KYC credentials",
        "Citadel licences",
        "Ballots",
        "Instructions",
        "Proof jobs",
        "Cycles",
        "Fails",
        "Shielded cash",
        "Audit trail",
        "Disclosures",
        "Reports",
    ],
    "operator": [
        "Dashboard",
        "Organisations",
        "Instruments",
        "Users",
        "Client accounts",
        "KYC credentials",
        "KYC issuers",
        "Citadel licences",
        "Ballots",
        "Instructions",
        "Proof jobs",
        "Cycles",
        "Fails",
        "Cash",
        "Shielded cash",
        "Audit trail",
        "Reports",
        "API docs",
        "Admin",
    ],
}

EXPECTED_ROLE_LABEL = {
    "issuer.admin": "Issuer admin",
    "issuer.approver": "Issuer approver",
    "compliance": "Compliance officer",
    "kyc": "Compliance officer",
    "broker.trader": "Broker trader",
    "broker.backoffice": "Broker back office",
    "regulator": "Regulator",
    "regulator2": "Regulator",
    "operator": "Operator",
}


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def demo_users(transactional_db: None) -> None:
    demo_data_create()
    worker_heartbeat()  # a worker is up: /healthz fails without a fresh heartbeat


def test_each_role_logs_in_and_sees_its_navigation(demo_users, live_server, browser) -> None:
    # demo_users comes first: ORM work must happen before Playwright switches greenlets,
    # or its connection would escape the test database teardown.
    external_requests: list[str] = []
    for username, expected in EXPECTED_NAVIGATION.items():
        context = browser.new_context()
        page = context.new_page()
        page.on(
            "request",
            lambda r: external_requests.append(r.url) if not r.url.startswith(live_server.url) else None,
        )
        page.goto(f"{live_server.url}/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", DEFAULT_DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        labels = [t.strip() for t in page.locator("#main-nav .nav-link").all_inner_texts()]
        assert labels == expected, username
        assert EXPECTED_ROLE_LABEL[username] in page.inner_text("[data-testid=whoami]")
        assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"
        if username == "operator":
            page.wait_for_selector("#organisations-chart[data-rendered=true]", timeout=10_000)
            page.wait_for_selector("[data-testid=health-status]", timeout=10_000)
            assert page.inner_text("[data-testid=health-status]") == "healthy"
        page.click("text=Log out")
        page.wait_for_url(f"{live_server.url}/login/")
        context.close()
    assert external_requests == []
