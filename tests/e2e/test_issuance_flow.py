"""Issuance end to end in headless Chromium (Debian's) on the real four-node devnet: the
issuer admin creates a fixed-rate EUR bond through the form and submits it, the approver
approves it, the chain panel shows the deployment Final and the bond live, the issuer admin
allocates it to an investor organisation and to a broker's client account, both settle by
DvP, and the register shows the two holders with the quantities read from chain.

No worker runs in tests: a background thread does the worker's beat jobs (deployment sweep,
outbox flush and confirm, indexer) every 0.3 s while the browser waits. Celery tasks queued
on commit by the live server go to an in-memory broker that nobody reads (the thread does
their work), so no broker folder or server is needed."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from identity.models import ClientAccount, Organisation, User
from identity.roles import OrganisationKind, Role
from identity.services import client_account_chain_account_create
from issuance.tasks import instrument_deploy_sweep
from ledger import outbox
from ledger.indexer import index_final_events
from ledger.models import ChainSubmission
from tests.e2e.test_login_roles import CHROMIUM, browser  # noqa: F401 - fixture
from tests.factories import PASSWORD, OrganisationFactory, UserFactory
from tests.issuance.test_onchain import _mint_eur
from tests.platformchain import ChainPlatform

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("GLOAM_REQUIRE_BROWSER"),
        reason="Debian chromium is not installed (apt-get install chromium)",
    ),
]

ISIN = "XS0000000058"
WAIT_MS = 150_000


class Worker:
    """The worker's beat jobs in a thread, every 0.3 s, until stopped. ``paused()`` holds
    it between ticks while the browser writes (SQLite lets one writer at a time)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._run, name="e2e-worker", daemon=True)

    def _tick(self) -> None:
        instrument_deploy_sweep()
        for account in (
            ChainSubmission.objects.filter(
                status__in=[ChainSubmission.Status.QUEUED, ChainSubmission.Status.SIGNED]
            )
            .values_list("chain_account_id", flat=True)
            .distinct()
        ):
            outbox.chain_outbox_flush(chain_account_id=str(account))
        outbox.chain_outbox_confirm()
        index_final_events()

    def _run(self) -> None:
        try:
            while not self.stop.wait(0.3):
                with self.lock:
                    try:
                        self._tick()
                    except Exception as exc:  # noqa: BLE001 - a busy database: try again next tick
                        self.errors.append(repr(exc))
        finally:
            connection.close()

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        with self.lock:
            yield

    def __enter__(self) -> Worker:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


def _investors(
    chain: ChainPlatform, fund_cents: int, broker_cents: int
) -> tuple[Organisation, Organisation, Organisation, ClientAccount]:
    """A cash issuer, an investor fund and a broker with a client account (HB-0042), each with
    a chain account; the fund and the broker hold the given EUR. Returns (cash issuer, fund,
    broker, client account)."""
    cash_issuer = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER, legal_name="E-Money")
    chain.attach(cash_issuer, role="cash_issuer")
    fund = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Northwind Pension Fund")
    broker = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Harbour Brokers")
    chain.attach(fund)
    chain.attach(broker)
    client = ClientAccount.objects.create(
        broker=broker, account_reference="HB-0042", name="Grace Client", holder_type="natural_person"
    )
    client_account_chain_account_create(client_account=client)
    _mint_eur(chain, cash_issuer, fund, fund_cents)
    _mint_eur(chain, cash_issuer, broker, broker_cents)
    return cash_issuer, fund, broker, client


@pytest.fixture
def parties(transactional_db: None, chain_platform: ChainPlatform, memory_broker: None) -> dict[str, Any]:
    """Issuer (admin and approver), a cash issuer, an investor fund and a broker with a
    client account, each with a chain account; the fund and the broker hold EUR."""
    chain = chain_platform
    issuer = OrganisationFactory.create(kind=OrganisationKind.ISSUER, legal_name="Aurora Issuer")
    chain.attach(issuer)
    admin = UserFactory.create(organisation=issuer, username="e2e.admin", roles=[Role.ISSUER_ADMIN])
    approver = UserFactory.create(organisation=issuer, username="e2e.approver", roles=[Role.ISSUER_APPROVER])
    _, fund, broker, _ = _investors(chain, 5_000_000_00, 1_000_000_00)
    return {"admin": admin, "approver": approver, "fund": fund, "broker": broker}


def _login(page: Any, base: str, user: User) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


BOND_FIELDS = {
    "#id_name": "Aurora 3.5% 2031",
    "#id_isin": ISIN,
    "#id_currency": "EUR",
    "#id_face_value": "1000",
    "#id_minimum_denomination": "1000",
    "#id_issue_size": "10000000",
    "#id_issue_date": "2026-03-16",
    "#id_maturity_date": "2031-03-16",
    "#id_coupon_rate": "3.5",
}
BOND_CHOICES = {
    "#id_kind": "fixed_rate_bond",
    "#id_issue_size_unit": "nominal",
    "#id_coupon_frequency": "annual",
    "#id_day_count": "act_act_icma",
    "#id_business_day_convention": "following",
    "#id_calendar": "target",
}


def _fill_bond(page: Any) -> None:
    """Fill the form; the inline validation (htmx, on change) re-renders the fields with
    what was sent, so check every value once it is quiet and type again what it lost."""
    for _ in range(3):
        for selector, value in BOND_CHOICES.items():
            if page.input_value(selector) != value:
                page.select_option(selector, value)
        for selector, value in BOND_FIELDS.items():
            if page.input_value(selector) != value:
                page.fill(selector, value)
        page.wait_for_timeout(800)
        page.wait_for_load_state("networkidle")
        wanted = {**BOND_FIELDS, **BOND_CHOICES}
        if all(page.input_value(selector) == value for selector, value in wanted.items()):
            return
    raise AssertionError("the form kept losing values")


def test_issue_approve_deploy_allocate_and_see_the_register(parties, live_server, browser) -> None:  # noqa: F811
    # parties comes first: ORM work must happen before Playwright switches greenlets.
    base = live_server.url
    admin, approver, fund, broker = (parties[k] for k in ("admin", "approver", "fund", "broker"))
    fund_lei, broker_lei = fund.lei, broker.lei
    with Worker() as worker:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(30_000)
        external: list[str] = []
        page.on("request", lambda r: external.append(r.url) if not r.url.startswith(base) else None)

        # The issuer admin creates the bond through the form and submits it.
        with worker.paused():
            _login(page, base, admin)
            page.goto(f"{base}/instruments/new/")
            _fill_bond(page)
            page.click("button[type=submit]:has-text('Create draft')")
            page.wait_for_selector("[data-testid=instrument-status]:has-text('Draft')")
            detail_url = page.url
            page.click("button:has-text('Submit for approval')")
            page.wait_for_selector("[data-testid=instrument-status]:has-text('Submitted')")
            page.click("text=Log out")
            page.wait_for_url(f"{base}/login/")

        # The approver approves it from the inbox.
        with worker.paused():
            _login(page, base, approver)
            page.goto(f"{base}/instruments/inbox/")
            page.click(f"[data-testid=approval-inbox] a:has-text('{ISIN}')")
            page.click("button:has-text('Approve')")
            page.wait_for_selector("[data-testid=instrument-status]:has-text('Approved')")
            page.click("text=Log out")
            page.wait_for_url(f"{base}/login/")

        # The issuer admin watches the chain panel until the deployment is Final.
        with worker.paused():
            _login(page, base, admin)
            page.goto(detail_url)
        page.wait_for_selector("[data-testid=deployment-finality]:has-text('Final')", timeout=WAIT_MS)
        assert page.inner_text("[data-testid=chain-instrument-status]") == "Live"
        assert page.inner_text("[data-testid=deployment-status]") == "Final"
        assert page.inner_text("[data-testid=deployment-tx]").startswith("0x")
        assert page.inner_text("[data-testid=chain-contract-id]").startswith("0x")
        assert len(page.inner_text("[data-testid=chain-terms-hash]")) == 64
        assert ISIN in page.locator("[data-testid=terms-document]").text_content()

        # Allocate to the fund and to the broker's client account: preview, then submit.
        with worker.paused():
            page.click("[data-testid=link-allocation]")
            page.wait_for_selector("[data-testid=allocation-form]")
            page.fill("[name=rows-0-investor_lei]", fund_lei)
            page.fill("[name=rows-0-quantity]", "3000000")
            page.fill("[name=rows-0-price]", "99.5")
            page.fill("[name=rows-1-broker_lei]", broker_lei)
            page.fill("[name=rows-1-client_account]", "HB-0042")
            page.fill("[name=rows-1-quantity]", "1000000")
            page.fill("[name=rows-1-price]", "99.5")
            page.click("[data-testid=allocation-preview-button]")
            page.wait_for_selector("[data-testid=allocation-preview]:has-text('Every row is valid')")
            assert page.inner_text("[data-testid=preview-total-quantity]") == "4000000"
            assert page.inner_text("[data-testid=preview-total-amount]") == "3980000.00"
            page.click("[data-testid=allocation-submit]")
            page.wait_for_selector("[data-testid=allocation-batch]")
        # both allocations done (a locator: the Content-Security-Policy refuses wait_for_function's eval)
        page.locator(
            "[data-testid=allocation][data-status=settled], [data-testid=allocation][data-status=failed]"
        ).nth(1).wait_for(timeout=WAIT_MS)
        outcome = page.locator("[data-testid=allocation]").evaluate_all(
            "rows => rows.map(r => [r.dataset.status, r.innerText.replace(/\\s+/g, ' ')])"
        )
        assert [status for status, _ in outcome] == ["settled", "settled"], outcome

        # The register, read from chain (the indexer's Final holdings): reload until the
        # indexer has applied the settlement block.
        register_url = detail_url + "register/"
        quantities: dict[str, str] = {}
        for _ in range(60):
            with worker.paused():
                page.goto(register_url)
            names = page.locator("[data-testid=holder-name]").all_inner_texts()
            values = page.locator("[data-testid=holder-quantity]").all_inner_texts()
            quantities = dict(zip(names, values, strict=True))
            if len(quantities) == 2:
                break
            page.wait_for_timeout(1000)
        assert quantities == {
            "Northwind Pension Fund": "3000000",
            "Grace Client (HB-0042, Harbour Brokers)": "1000000",
        }
        assert page.inner_text("[data-testid=register-issued]") == "4000000"
        page.wait_for_selector("#register-distribution-chart[data-rendered=true]")
        page.wait_for_selector("#register-issue-chart[data-rendered=true]")
        context.close()
    assert external == []
