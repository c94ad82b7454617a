"""A broker votes in headless Chromium (Debian's) on a ballot deployed on the real
four-node devnet: it finds the ballot, splits its record-date holding over two options, and
the motion's chart shows the tally read back from the ballot contract once Final; a vote
above the holding is refused with its reason."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from typing import Any

import pytest
from django.utils import timezone

from chain.node.client import contract_abi as abi
from corporate_actions import voting
from corporate_actions.models import Ballot, BallotStatus
from identity.roles import OrganisationKind, Role
from ledger import outbox
from tests.e2e.test_issuance_flow import Worker, _login
from tests.e2e.test_login_roles import CHROMIUM, browser  # noqa: F401 - fixture
from tests.factories import OrganisationFactory, UserFactory
from tests.issuance.test_onchain import _live_bond, pump
from tests.platformchain import ChainPlatform

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("GLOAM_REQUIRE_BROWSER"),
        reason="Debian chromium is not installed (apt-get install chromium)",
    ),
]
WAIT_S = 90


@pytest.fixture
def ballot(transactional_db: None, chain_platform: ChainPlatform, memory_broker: None) -> dict[str, Any]:
    """A live bond of which a broker holds 100 units, and an open ballot on it."""
    chain = chain_platform
    issuer = OrganisationFactory.create(kind=OrganisationKind.ISSUER, legal_name="Aurora Issuer")
    chain.attach(issuer)
    admin = UserFactory.create(organisation=issuer, roles=[Role.ISSUER_ADMIN])
    approver = UserFactory.create(organisation=issuer, roles=[Role.ISSUER_APPROVER])
    bond = _live_bond(chain, admin, approver, isin="XS0000000090")
    broker = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Harbour Brokers")
    account = chain.attach(broker)
    trader = UserFactory.create(organisation=broker, username="e2e.voter", roles=[Role.BROKER_TRADER])
    issued = outbox.chain_call_enqueue(
        organisation=issuer,
        kind="test.issue",
        contract=bond.contract_id,
        fn_name="issue",
        fn_args=abi.encode_address_amount(account.address, 100),
    )
    (done,) = chain.settle([issued])
    assert done.succeeded
    now = timezone.now()
    created = voting.ballot_create(
        actor=admin,
        instrument_id=bond.pk,
        title="Extraordinary meeting",
        motions=[{"title": "Change the paying agent", "options": ["for", "against", "abstain"]}],
        record_date=now.date(),
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(hours=1),
    )
    voting.ballot_decide(actor=approver, ballot_id=created.pk, approve=True)
    pump(chain, lambda: Ballot.objects.get(pk=created.pk).status in (BallotStatus.OPEN, BallotStatus.FAILED))
    assert Ballot.objects.get(pk=created.pk).status == BallotStatus.OPEN
    return {"voter": trader, "ballot": str(created.pk)}


def test_a_broker_votes_and_sees_the_tally_from_the_chain(ballot, live_server, browser) -> None:  # noqa: F811
    base = live_server.url
    with Worker() as worker:
        context = browser.new_context()
        page = context.new_page()
        page.set_default_timeout(30_000)
        with worker.paused():
            _login(page, base, ballot["voter"])
            page.click("#main-nav >> text=Ballots")
            page.click("text=Extraordinary meeting")
            page.wait_for_url(f"{base}/ballots/{ballot['ballot']}/")
            page.fill("#m0o0", "101")
            page.click("button:has-text('Vote')")
            assert "the voter held 100 units at the record date" in page.inner_text("main")
            page.fill("#m0o0", "60")
            page.fill("#m0o1", "40")
            page.click("button:has-text('Vote')")
            assert "Vote sent" in page.inner_text("main")
        for _ in range(WAIT_S):
            with worker.paused():
                page.reload()
                counted = "Counted (Final)" in page.inner_text("main")
            if counted:
                break
            page.wait_for_timeout(1_000)
        assert counted, worker.errors
        with worker.paused():
            page.reload()
            page.wait_for_selector("canvas.ballot-chart[data-rendered=true]")  # Chart.js, served locally
            tally = page.evaluate("JSON.parse(document.getElementById('ballot-chart-data').textContent)")
        assert tally == [
            {
                "title": "Change the paying agent",
                "labels": ["for", "against", "abstain"],
                "weights": [60, 40, 0],
                "voters": 1,
            }
        ]
        context.close()
