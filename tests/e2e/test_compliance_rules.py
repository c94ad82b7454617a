"""A compliance officer edits a live bond's transfer rules in headless Chromium (Debian's)
and the live breach preview (htmx) lists the holder that would breach them, read from the
real four-node devnet: a client account holding the bond without any claim fails
``receiver_conditions`` once KYC is required; an impossible rule is refused with its
reason before anything is saved."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from chain.node.client import contract_abi as abi
from identity.models import ClientAccount
from identity.roles import OrganisationKind, Role
from identity.services import client_account_chain_account_create
from issuance.models import Instrument
from ledger import outbox
from ledger.indexer import index_final_events
from ledger.models import TokenHolding
from tests.e2e.test_login_roles import CHROMIUM, browser  # noqa: F401 - fixture
from tests.factories import PASSWORD, OrganisationFactory, UserFactory
from tests.issuance.test_onchain import _live_bond, pump
from tests.platformchain import ChainPlatform

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("GLOAM_REQUIRE_BROWSER"),
        reason="Debian chromium is not installed (apt-get install chromium)",
    ),
]


@pytest.fixture
def holding(transactional_db: None, chain_platform: ChainPlatform, memory_broker: None) -> dict[str, Any]:
    """A live bond of which a broker's client account (a fresh key, no claims) holds 100 units."""
    chain = chain_platform
    issuer = OrganisationFactory.create(kind=OrganisationKind.ISSUER, legal_name="Aurora Issuer")
    chain.attach(issuer)
    admin = UserFactory.create(organisation=issuer, roles=[Role.ISSUER_ADMIN])
    approver = UserFactory.create(organisation=issuer, roles=[Role.ISSUER_APPROVER])
    officer = UserFactory.create(
        organisation=issuer, username="e2e.compliance", roles=[Role.COMPLIANCE_OFFICER]
    )
    bond: Instrument = _live_bond(chain, admin, approver, isin="XS0000000082")
    broker = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Harbour Brokers")
    client = ClientAccount.objects.create(
        broker=broker, account_reference="HB-7", name="Nora Client", holder_type="natural_person"
    )
    account = client_account_chain_account_create(client_account=client)
    issued = outbox.chain_call_enqueue(
        organisation=issuer,
        kind="test.issue",
        contract=bond.contract_id,
        fn_name="issue",
        fn_args=abi.encode_address_amount(account.address, 100),
    )
    (done,) = chain.settle([issued])
    assert done.succeeded
    pump(chain, lambda: index_final_events()["height"] >= (done.block_height or 0))
    assert TokenHolding.objects.filter(contract=bond.contract_id, holder=account.address.hex()).exists()
    return {"officer": officer.username, "bond": str(bond.pk)}


def test_compliance_officer_edits_a_rule_and_sees_the_breach_preview(holding, live_server, browser) -> None:  # noqa: F811
    # holding comes first: ORM work must happen before Playwright switches greenlets.
    base = live_server.url
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/login/")
    page.fill("#id_username", holding["officer"])
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.click("#main-nav >> text=Transfer rules")
    page.click("text=Edit rules")
    page.wait_for_url(f"{base}/compliance/rules/{holding['bond']}/")
    holders = page.locator("[data-testid=preview-holders]")
    holders.wait_for()
    assert "No current holder would breach these rules." in holders.inner_text()

    page.check("#id_kyc_required")  # change: htmx posts the form and swaps the preview
    # a locator, not wait_for_function: the page's Content-Security-Policy refuses eval
    page.locator("[data-testid=preview-holders]", has_text="receiver_conditions").wait_for()
    row = page.locator("[data-testid=preview-holders] tbody tr").first
    text = row.inner_text()
    assert "Nora Client (HB-7, Harbour Brokers)" in text
    assert "receiver_conditions (7)" in text
    assert "has no valid KYC claim" in text

    page.fill("#id_allowed_jurisdictions", "DE, FR")
    page.fill("#id_denied_jurisdictions", "FR")
    page.locator("#id_denied_jurisdictions").dispatch_event("change")
    problems = page.locator("[data-testid=preview-problems]")
    problems.wait_for()
    assert "FR is both allowed and denied." in problems.inner_text()

    page.click("#main-nav >> text=Breaches")
    page.wait_for_selector("#breach-chart[data-rendered=true]", timeout=10_000)  # Chart.js, served locally
    page.click("#main-nav >> text=Compliance actions")
    page.wait_for_selector("[data-testid=forced-transfer-form]")
    context.close()
