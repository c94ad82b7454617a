"""Selective disclosure end to end in headless Chromium (Debian's) on the real devnet: the
issuer admin discloses a live bond to a regulator through the form; once its hash is Final on
chain the regulator finds the package in its portal and downloads the envelope; a second
regulator sees nothing and gets 404 for the download; the regulator's tool, run as a
separate process with the regulator's secret key, verifies the downloaded file against a
devnet node and rejects a tampered copy.

As in test_issuance_flow, a thread does the worker's beat jobs (outbox, indexer, and the
disclosures still building) while the browser waits."""

from __future__ import annotations

import base64
import datetime
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from nacl.public import PrivateKey

from compliance.disclosure import disclosures_complete, regulator_key_register
from identity.roles import OrganisationKind, Role
from issuance import allocation, register
from issuance.models import Allocation, AllocationStatus
from tests.compliance.test_disclosure_onchain import run_tool
from tests.e2e.test_issuance_flow import Worker, _login
from tests.e2e.test_login_roles import CHROMIUM, browser  # noqa: F401 - fixture
from tests.factories import OrganisationFactory, UserFactory
from tests.issuance.test_onchain import _live_bond, _mint_eur, pump
from tests.platformchain import ChainPlatform

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("GLOAM_REQUIRE_BROWSER"),
        reason="Debian chromium is not installed (apt-get install chromium)",
    ),
]

ISIN = "XS0000000066"
WAIT_S = 150


class DisclosureWorker(Worker):
    def _tick(self) -> None:
        super()._tick()
        disclosures_complete()


@pytest.fixture
def scene(transactional_db: None, chain_platform: ChainPlatform, memory_broker: None) -> dict[str, Any]:
    chain = chain_platform
    issuer = OrganisationFactory.create(kind=OrganisationKind.ISSUER, legal_name="Aurora Issuer")
    chain.attach(issuer)
    admin = UserFactory.create(organisation=issuer, username="e2e.admin", roles=[Role.ISSUER_ADMIN])
    approver = UserFactory.create(organisation=issuer, username="e2e.approver", roles=[Role.ISSUER_APPROVER])
    cash_issuer = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER, legal_name="E-Money")
    chain.attach(cash_issuer, role="cash_issuer")
    operator = OrganisationFactory.create(kind=OrganisationKind.OPERATOR, legal_name="Operator")
    chain.attach(operator, role="operator")
    fund = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Northwind Pension Fund")
    chain.attach(fund)
    _mint_eur(chain, cash_issuer, fund, 2_000_000_00)
    start = timezone.now() - datetime.timedelta(minutes=1)
    bond = _live_bond(chain, admin, approver, isin=ISIN)
    batch = allocation.allocation_batch_create(
        actor=admin,
        instrument_id=bond.pk,
        rows=[{"investor_lei": fund.lei, "quantity": "1000000", "price": "100"}],
    )
    pump(chain, lambda: Allocation.objects.get(batch=batch).status == AllocationStatus.SETTLED)
    chain.settle([register.instrument_checkpoint_create(actor=admin, instrument_id=bond.pk)])
    authority = OrganisationFactory.create(
        kind=OrganisationKind.REGULATOR, legal_name="Demo Markets Authority"
    )
    rhea = UserFactory.create(organisation=authority, username="e2e.regulator", roles=[Role.REGULATOR])
    other = OrganisationFactory.create(kind=OrganisationKind.REGULATOR, legal_name="Other Authority")
    remy = UserFactory.create(organisation=other, username="e2e.regulator2", roles=[Role.REGULATOR])
    secret = PrivateKey.generate()
    regulator_key_register(actor=rhea, public_key=base64.b64encode(bytes(secret.public_key)).decode())
    regulator_key_register(actor=remy, public_key=bytes(PrivateKey.generate().public_key).hex())
    return {
        "chain": chain,
        "admin": admin,
        "rhea": rhea,
        "remy": remy,
        "secret": secret,
        "authority": str(authority.pk),
        "bond": str(bond.pk),
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": (timezone.now() + datetime.timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M"),
    }


def test_a_regulator_downloads_its_package_and_verifies_it_against_a_node(
    scene: dict[str, Any],
    live_server: Any,
    browser: Any,  # noqa: F811
    tmp_path: Path,
) -> None:
    base = live_server.url
    with DisclosureWorker() as worker:
        context = browser.new_context(accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
        external: list[str] = []
        page.on("request", lambda r: external.append(r.url) if not r.url.startswith(base) else None)

        # The issuer admin discloses the bond to the first regulator.
        with worker.paused():
            _login(page, base, scene["admin"])
            page.click("#main-nav >> text=Disclosures")
            page.select_option("#id_instrument", scene["bond"])
            page.select_option("#id_regulator", scene["authority"])
            page.fill("#id_window_start", scene["start"])
            page.fill("#id_window_end", scene["end"])
            page.fill("#id_checkpoint", "1")
            page.click("[data-testid=disclosure-submit]")
            page.wait_for_selector("[data-testid=disclosure-row]")
            assert "Demo Markets Authority" in page.inner_text("[data-testid=disclosure-row]")
        for _ in range(WAIT_S):
            with worker.paused():
                page.reload()
                status = page.get_attribute("[data-testid=disclosure-row]", "data-status")
            if status in ("recorded", "failed"):
                break
            page.wait_for_timeout(1_000)
        assert status == "recorded", (page.inner_text("[data-testid=disclosure-table]"), worker.errors)
        assert page.locator("[data-testid=disclosure-download]").count() == 0  # the issuer cannot open it
        disclosure_id = page.get_attribute("[data-testid=disclosure-row]", "data-id")
        with worker.paused():
            page.click("text=Log out")

        # The second regulator sees nothing, and cannot fetch it by its address.
        with worker.paused():
            _login(page, base, scene["remy"])
            page.goto(f"{base}/disclosures/")
            assert page.locator("[data-testid=disclosure-row]").count() == 0
            assert page.is_visible("[data-testid=disclosure-empty]")
            assert page.request.get(f"{base}/disclosures/{disclosure_id}/envelope/").status == 404
            page.click("text=Log out")

        # The regulator finds it, with its on-chain record, and downloads the envelope.
        with worker.paused():
            _login(page, base, scene["rhea"])
            page.click("#main-nav >> text=Disclosures")
            row = page.locator("[data-testid=disclosure-row]")
            assert row.count() == 1
            assert "Aurora Issuer" in row.inner_text()
            assert page.get_attribute("[data-testid=disclosure-tx]", "title").startswith("0x")
            with page.expect_download() as download:
                page.click("[data-testid=disclosure-download]")
            saved = tmp_path / "downloaded.json"
            download.value.save_as(saved)

        # The regulator's report of the bond draws its charts (Chart.js, served locally).
        with worker.paused():
            page.click("#main-nav >> text=Reports")
            page.click(f"[data-testid=report-instruments] tr:has-text('{ISIN}') >> text=Report")
            page.wait_for_selector("#report-jurisdiction-chart[data-rendered=true]")
            page.wait_for_selector("#report-concentration-chart[data-rendered=true]")
            assert page.inner_text("[data-testid=top1]") == "100 %"
            assert "within" in page.inner_text("[data-testid=dlt-pilot-verdict]")
            assert page.locator("[data-testid=jurisdiction-row]").count() == 1  # the one holder
        context.close()
    assert external == []

    envelope = json.loads(saved.read_text())
    (tmp_path / "run").mkdir()
    urls = scene["chain"].net.urls[:1]
    code, output = run_tool(envelope, scene["secret"], tmp_path / "run", urls)
    assert code == 0, output
    assert "VERIFIED" in output
    raw = bytearray(base64.b64decode(envelope["ciphertext"]))
    raw[-1] ^= 0x80
    tampered = {**envelope, "ciphertext": base64.b64encode(bytes(raw)).decode()}
    code, output = run_tool(tampered, scene["secret"], tmp_path / "run", urls)
    assert code == 1, output
    assert "FAIL decrypt" in output
