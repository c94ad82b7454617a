"""Headless Chromium (Debian's): the demo KYC provider's officer onboards a client account
through the form, sees the credential with its attributes and the renew / revoke / erase
actions, and erases it after confirming; the broker's back office then sees the status and
no attributes. No chain here: the claims panel says so."""

from __future__ import annotations

import os
import shutil

import pytest

from demo.services import demo_data_create
from identity.demo import DEFAULT_DEMO_PASSWORD
from identity.models import ClientAccount, Organisation, TrustedKycIssuer
from identity.roles import OrganisationKind
from identity.services import client_account_chain_account_create
from tests.e2e.test_login_roles import CHROMIUM, browser  # noqa: F401 - fixture

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("GLOAM_REQUIRE_BROWSER"),
        reason="Debian chromium is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture
def demo(transactional_db: None) -> ClientAccount:
    demo_data_create()
    provider = Organisation.objects.get(kind=OrganisationKind.KYC_PROVIDER)
    # as the outbox leaves it once add_trusted_issuer is Final (no chain in this test)
    TrustedKycIssuer.objects.filter(organisation=provider).update(status="trusted")
    broker = Organisation.objects.get(legal_name="Borealis Securities AG")
    account = ClientAccount.objects.create(
        broker=broker, account_reference="E2E-KYC-1", name="Grace Investor", holder_type="natural_person"
    )
    client_account_chain_account_create(client_account=account)
    # loaded here: the browser's event loop refuses database queries in the test body
    return ClientAccount.objects.select_related("chain_account").get(pk=account.pk)


def _login(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEFAULT_DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_kyc_officer_onboards_and_erases_and_the_broker_sees_the_status(demo, live_server, browser):  # noqa: F811
    base = live_server.url
    context = browser.new_context()
    page = context.new_page()
    _login(page, base, "kyc")
    page.click("#main-nav >> text=KYC credentials")
    page.click("[data-testid=kyc-onboard]")
    page.select_option("#id_subject_public_key", demo.chain_account.public_key)
    page.select_option("#id_holder_type", "natural_person")
    page.fill("#id_legal_name", "Grace B. Hopper")
    page.fill("#id_date_of_birth_or_incorporation", "1986-12-09")
    page.select_option("#id_country", "US")
    page.select_option("#id_investor_category", "professional")
    page.fill("#id_category_evidence", "elective professional: 3 criteria, assessed 2026-11-25")
    page.check("#id_accredited")
    page.click("[data-testid=kyc-form] button[type=submit]")
    page.wait_for_selector("[data-testid=kyc-attributes]")
    assert "Grace B. Hopper" in page.inner_text("[data-testid=kyc-attributes]")
    assert page.inner_text("[data-testid=kyc-status]") == "Pending"
    assert "genesis contracts are unknown" in page.content()
    if os.environ.get("GLOAM_KYC_SCREENSHOT"):  # a path, to look at the page
        page.screenshot(path=os.environ["GLOAM_KYC_SCREENSHOT"], full_page=True)

    page.fill("[data-testid=kyc-erase] input[name=request_reference]", "DSR-E2E-1")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-testid=kyc-erase] button")
    page.wait_for_selector("text=Personal data erased")
    assert page.inner_text("[data-testid=kyc-status]") == "Erased"
    assert "Grace B. Hopper" not in page.content()
    page.click("text=Log out")
    context.close()

    context = browser.new_context()
    page = context.new_page()
    _login(page, base, "broker.backoffice")
    page.click("#main-nav >> text=KYC credentials")
    assert "Grace Investor" in page.inner_text("[data-testid=kyc-credentials]")
    page.click("[data-testid=kyc-credentials] a")
    assert page.inner_text("[data-testid=kyc-status]") == "Erased"
    assert page.locator("[data-testid=kyc-attributes]").count() == 0
    context.close()
