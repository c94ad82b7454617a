"""Corporate action pages end to end in headless Chromium (Debian's) on the real four-node
devnet: the issuer admin declares a cash dividend on a live share through the page form
(bad input is refused with its reason and writes nothing) and submits it; the page tells
the admin why it cannot approve its own event; a second user, an issuer approver, approves
it; the event page shows the entitlement preview from the latest Final holdings, then, after
the beat's steps on the record and payment dates, the record-date entitlements, ``Paid
(Final)``, the totals and the rounding remainder; the broker sees its client account's
entitlement on ``/entitlements/``, upcoming and then paid, and the cash arrived on chain.

The worker's beat is the ``Worker`` thread of test_issuance_flow plus
``corporate_actions_tick`` with the date the test sets (the record date, then the payment
date), so the pages are never read while a step is half done."""

from __future__ import annotations

import datetime
import os
import shutil
import time
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.utils import timezone

from corporate_actions.services import corporate_actions_tick
from identity.roles import OrganisationKind, Role
from ledger.indexer import index_final_events
from ledger.models import TokenHolding
from tests.corporate_actions.test_corporate_actions_onchain import _allocate, _cash, _live_share
from tests.e2e.test_issuance_flow import Worker, _investors, _login
from tests.e2e.test_login_roles import CHROMIUM, browser  # noqa: F401 - fixture
from tests.factories import OrganisationFactory, UserFactory
from tests.issuance.test_onchain import pump
from tests.platformchain import ChainPlatform

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("GLOAM_REQUIRE_BROWSER"),
        reason="Debian chromium is not installed (apt-get install chromium)",
    ),
]

ISIN = "XS0000000108"
PER_SHARE = Decimal("0.0333")
WITHHOLDING_PERCENT = Decimal("15")
HOLDINGS = {"Northwind Pension Fund": 1000, "Grace Client (HB-0042, Harbour Brokers)": 370}
CLIENT = "Grace Client (HB-0042, Harbour Brokers)"
WAIT_S = 180
#: TARGET closing days that can fall on a weekday before a Wednesday (no Easter here).
TARGET_FIXED_HOLIDAYS = {(1, 1), (5, 1), (12, 25), (12, 26)}


def _payment_and_record_date() -> tuple[datetime.date, datetime.date]:
    """A Wednesday at least two weeks ahead whose Tuesday is a TARGET business day: the
    record date (and ex-date) is then that Tuesday (T+1, one business day before)."""
    day = timezone.localdate() + datetime.timedelta(days=14)
    while day.weekday() != 2 or (day.month, day.day - 1) in TARGET_FIXED_HOLIDAYS or day.day == 1:
        day += datetime.timedelta(days=1)
    return day, day - datetime.timedelta(days=1)


def _expected(units: int) -> tuple[Decimal, Decimal, Decimal]:
    """(gross, withheld, net) of a holding, as docs/corporate-actions.md states them: gross
    rounded down to the cent, withholding rounded half up."""
    gross = (units * PER_SHARE).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    withheld = (gross * WITHHOLDING_PERCENT / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return gross, withheld, gross - withheld


class Beat(Worker):
    """The worker's jobs and, once ``today`` is set, the corporate action beat on that day."""

    today: datetime.date | None = None

    def _tick(self) -> None:
        super()._tick()
        if self.today is not None:
            corporate_actions_tick(today=self.today)


@pytest.fixture
def share(
    transactional_db: None, chain_platform: ChainPlatform, memory_broker: None, settings: Any
) -> dict[str, Any]:
    """A live EUR share held by an investor fund (1,000) and a broker's client account (370);
    the issuer admin also holds the approver role (maker-checker must still refuse it)."""
    settings.GLOAM_WITHHOLDING_DEFAULT_PERCENT = str(WITHHOLDING_PERCENT)
    settings.GLOAM_WITHHOLDING_RATES = {}
    chain = chain_platform
    issuer = OrganisationFactory.create(kind=OrganisationKind.ISSUER, legal_name="Aurora Issuer")
    chain.attach(issuer)
    admin = UserFactory.create(
        organisation=issuer, username="e2e.ca.admin", roles=[Role.ISSUER_ADMIN, Role.ISSUER_APPROVER]
    )
    approver = UserFactory.create(
        organisation=issuer, username="e2e.ca.approver", roles=[Role.ISSUER_APPROVER]
    )
    cash_issuer, fund, broker, client = _investors(chain, 100_000_00, 100_000_00)
    back_office = UserFactory.create(
        organisation=broker, username="e2e.ca.backoffice", roles=[Role.BROKER_BACK_OFFICE]
    )

    instrument = _live_share(chain, admin, approver, ISIN)
    _allocate(
        chain,
        admin,
        instrument,
        [
            {"investor_lei": fund.lei, "quantity": "1000", "price": "1"},
            {"broker_lei": broker.lei, "client_account": "HB-0042", "quantity": "370", "price": "1"},
        ],
    )

    def indexed() -> bool:  # the preview reads the indexer's Final holdings
        index_final_events()
        balances = TokenHolding.objects.filter(contract=instrument.contract_id).values_list(
            "balance", flat=True
        )
        return sorted(int(b) for b in balances if b) == [370, 1000]

    pump(chain, indexed)
    return {
        "chain": chain,
        "admin": admin,
        "approver": approver,
        "back_office": back_office,
        "client_address": client.chain_account.address,
    }


def _text(page: Any) -> str:
    return " ".join(page.inner_text("main").split())


def _rows(page: Any, table: str) -> list[list[str]]:
    return page.locator(f"[data-testid={table}] tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))"
    )


def _propose(page: Any, base: str, payment: datetime.date, amount: str, record: str = "") -> None:
    page.goto(f"{base}/corporate-actions/")
    page.click("[data-testid=ca-propose] summary")
    page.select_option("#ca-kind", "dividend")
    page.fill("#ca-payment", payment.isoformat())
    page.fill("#ca-record", record)
    page.fill("#ca-amount", amount)
    page.click("[data-testid=ca-propose] button[type=submit]")
    page.wait_for_load_state("load")


def _wait_for_status(page: Any, worker: Beat, label: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while True:
        with worker.paused():
            page.reload()
            status = page.inner_text("[data-testid=ca-status]")
        if status == label:
            return
        assert not status.startswith("Failed"), status
        assert time.monotonic() < deadline, (status, worker.errors)
        page.wait_for_timeout(1_000)


def test_declare_approve_record_and_pay_a_dividend_in_the_pages(share, live_server, browser) -> None:  # noqa: F811
    # share comes first: ORM work must happen before Playwright switches greenlets.
    base = live_server.url
    chain, client_address = share["chain"], share["client_address"]
    payment, record = _payment_and_record_date()
    expected = {holder: _expected(units) for holder, units in HOLDINGS.items()}
    declared = sum((units * PER_SHARE for units in HOLDINGS.values()), Decimal(0))
    paid = sum((gross for gross, _, _ in expected.values()), Decimal(0))
    withheld = sum((w for _, w, _ in expected.values()), Decimal(0))
    net = sum((n for _, _, n in expected.values()), Decimal(0))
    remainder = declared - paid
    assert remainder > 0  # the amounts are chosen so that rounding leaves something

    worker = Beat()
    with worker:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(30_000)

        # 1. The issuer admin declares the dividend; bad input is refused and writes nothing.
        with worker.paused():
            _login(page, base, share["admin"])
            _propose(page, base, payment, "0")
            assert "The amount per unit must be positive." in _text(page)
            _propose(page, base, payment, "-1")
            assert "The amount per unit must be positive." in _text(page)
            _propose(page, base, payment, "0.05", record=(payment + datetime.timedelta(days=1)).isoformat())
            assert "The record date must not be after the payment date." in _text(page)
            _propose(page, base, payment, "five cents")
            assert "Amount per unit: Enter a number." in _text(page)
            assert page.input_value("#ca-amount") == "five cents"  # shown again, not lost
            assert page.input_value("#ca-payment") == payment.isoformat()
            _propose(page, base, payment, "1e40")  # would not fit the database column
            assert "no more than 30 digits in total" in _text(page)
            page.goto(f"{base}/corporate-actions/")
            assert "No corporate actions." in _text(page)

            _propose(page, base, payment, str(PER_SHARE))
            page.wait_for_url(f"{base}/corporate-actions/*/")
            detail_url = page.url
            text = _text(page)
            assert "Proposed as a draft" in text
            assert page.inner_text("[data-testid=ca-status]") == "Draft"
            assert f"{record:%Y-%m-%d} / {record:%Y-%m-%d} / {payment:%Y-%m-%d}" in text
            assert f"{PER_SHARE} EUR" in text

            # The preview, from the latest Final holdings, before the record date.
            assert "From the latest Final holdings" in text
            preview = {row[0]: row[1:] for row in _rows(page, "ca-entitlements")}
            assert preview == {
                holder: [str(HOLDINGS[holder]), str(g), "–", "15", str(w), str(n)]
                for holder, (g, w, n) in expected.items()
            }

            page.click("[data-testid=ca-submit]")
            page.wait_for_selector("[data-testid=ca-status]:text-is('Pending approval')")
            # The admin also holds the approver role, yet may not approve its own event.
            assert page.locator("[data-testid=ca-approve]").count() == 0
            assert "You proposed this event: another issuer approver must approve it." in _text(page)
            page.click("text=Log out")
            page.wait_for_url(f"{base}/login/")

        # 2. A second user, an issuer approver, approves it from the inbox.
        with worker.paused():
            _login(page, base, share["approver"])
            page.goto(f"{base}/corporate-actions/")
            page.click(f"[data-testid=ca-inbox] a:has-text('{ISIN}')")
            page.wait_for_url(detail_url)
            page.click("[data-testid=ca-approve]")
            page.wait_for_selector("[data-testid=ca-status]:text-is('Approved')")
            assert "Approved: the record checkpoint follows." in _text(page)

        # 3. The record date: checkpoint, then the entitlements from it.
        worker.today = record
        _wait_for_status(page, worker, "Entitlements computed")
        with worker.paused():
            page.reload()
            assert "From the record checkpoint" in _text(page)
            entitled = {row[0]: row[1:] for row in _rows(page, "ca-entitlements")}
        assert entitled == preview

        # 4. The broker sees its client's entitlement as upcoming.
        broker_page = browser.new_context().new_page()
        broker_page.set_default_timeout(30_000)
        with worker.paused():
            _login(broker_page, base, share["back_office"])
            broker_page.click("#main-nav >> text=Entitlements")
            rows = _rows(broker_page, "entitlements")
        gross, tax, client_net = expected[CLIENT]
        assert len(rows) == 1, rows
        assert rows[0] == [
            ISIN,
            "Cash dividend",
            CLIENT,
            f"{record:%Y-%m-%d}",
            f"{payment:%Y-%m-%d}",
            "370",
            str(gross),
            str(tax),
            f"{client_net} EUR",
            "Upcoming",
        ]

        # The payment date: one settle_batch, Final; the event shows paid and its totals.
        cash_before = _cash(chain, client_address)
        worker.today = payment
        _wait_for_status(page, worker, "Paid (Final)")
        with worker.paused():
            page.reload()
            text = _text(page)
        assert "Paid in Final block" in text
        assert (
            f"Total: declared {declared.normalize()} EUR, paid (gross) {paid}, withheld {withheld}, "
            f"net {net}, remainder {remainder.normalize()} (stays with the issuer)" in text
        )
        assert {row[0]: row[1:] for row in _rows(page, "ca-entitlements")} == preview
        assert _cash(chain, client_address) - cash_before == int(client_net * 100)

        with worker.paused():
            broker_page.reload()
            rows = _rows(broker_page, "entitlements")
            broker_page.goto(f"{base}/entitlements/?state=upcoming")
            upcoming = _rows(broker_page, "entitlements")
        assert [row[-1] for row in rows] == ["Paid"]
        assert upcoming == [["No entitlements."]]
        context.close()
