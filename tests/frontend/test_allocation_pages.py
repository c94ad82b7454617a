"""The chain panel, allocation and register pages without a chain: who may open them, the
preview of allocation rows (form and CSV) with every row's errors and the totals, and that
a preview writes nothing. (What needs chain state: ``tests/issuance/test_api_onchain.py``.)"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from identity.models import ClientAccount
from identity.roles import OrganisationKind, Role
from identity.services import chain_account_create, client_account_chain_account_create
from issuance import services
from issuance.models import Allocation, AllocationBatch, Instrument, InstrumentStatus
from ledger.models import ChainSubmission
from tests.factories import OrganisationFactory
from tests.issuance.conftest import make_bond_terms

pytestmark = pytest.mark.django_db

TOKEN = "0x" + "ab" * 32


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def bond(maker) -> Instrument:
    """A bond in the live state (as after a Final deployment; the chain is not asked here)."""
    instrument = services.instrument_create(actor=maker, terms=make_bond_terms())
    Instrument.objects.filter(pk=instrument.pk).update(status=InstrumentStatus.LIVE, contract_id=TOKEN)
    instrument.refresh_from_db()
    return instrument


@pytest.fixture
def investors():
    fund = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Northwind Fund")
    chain_account_create(organisation=fund)
    broker = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Broker Co")
    chain_account_create(organisation=broker)
    client = ClientAccount.objects.create(
        broker=broker, account_reference="CL-7", name="Ada Client", holder_type="natural_person"
    )
    client_account_chain_account_create(client_account=client)
    return fund, broker


def _form(rows):
    body = {
        "action": "preview",
        "rows-TOTAL_FORMS": str(len(rows)),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "200",
    }
    for i, row in enumerate(rows):
        for name, value in row.items():
            body[f"rows-{i}-{name}"] = value
    return body


def _nothing_written() -> bool:
    return not (
        Allocation.objects.exists() or AllocationBatch.objects.exists() or ChainSubmission.objects.exists()
    )


def test_chain_panel_before_deployment_and_links_per_role(client, maker, approver, make_user, broker_a, bond):
    client.force_login(maker)
    html = client.get(f"/instruments/{bond.pk}/").content.decode()
    assert 'data-testid="panel-chain"' in html
    assert TOKEN in html
    assert 'data-testid="link-allocation"' in html
    assert 'data-testid="link-register"' in html
    fragment = client.get(f"/instruments/{bond.pk}/chain/").content.decode()
    assert fragment.lstrip().startswith("<section")
    assert "every 2s" not in fragment
    client.force_login(make_user(broker_a, Role.BROKER_TRADER))
    html = client.get(f"/instruments/{bond.pk}/").content.decode()
    assert 'data-testid="panel-chain"' in html
    assert "link-allocation" not in html
    assert "link-register" not in html


def test_approved_instrument_polls_its_chain_panel(client, maker, bond):
    Instrument.objects.filter(pk=bond.pk).update(status=InstrumentStatus.APPROVED, contract_id="")
    client.force_login(maker)
    html = client.get(f"/instruments/{bond.pk}/").content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "being queued" in html


def test_failed_deployment_shows_the_error_and_retry_for_the_issuer_admin_only(client, maker, approver, bond):
    Instrument.objects.filter(pk=bond.pk).update(
        status=InstrumentStatus.APPROVED, contract_id="", deployment_error="no_chain_account"
    )
    client.force_login(approver)
    html = client.get(f"/instruments/{bond.pk}/").content.decode()
    assert "no_chain_account" in html
    assert "Retry deployment" not in html
    assert 'hx-trigger="every 2s"' not in html
    client.force_login(maker)
    html = client.get(f"/instruments/{bond.pk}/").content.decode()
    assert "Retry deployment" in html
    response = client.post(f"/instruments/{bond.pk}/deployment/retry/")
    assert response.status_code == 302
    bond.refresh_from_db()
    assert bond.deployment_error == ""


def test_allocation_and_register_pages_per_role(
    client, maker, approver, regulator, operator, make_user, broker_a, bond
):
    pages = [f"/instruments/{bond.pk}/allocations/", f"/instruments/{bond.pk}/register/"]
    for user, status in [(maker, 200), (approver, 200), (regulator, 200), (operator, 200)]:
        client.force_login(user)
        assert [client.get(url).status_code for url in pages] == [status, status], user.username
    client.force_login(make_user(broker_a, Role.BROKER_BACK_OFFICE))
    assert [client.get(url).status_code for url in pages] == [403, 403]
    assert client.get(f"/instruments/{bond.pk}/register.csv").status_code == 403
    other_issuer = OrganisationFactory.create(kind=OrganisationKind.ISSUER)
    client.force_login(make_user(other_issuer, Role.ISSUER_ADMIN))
    assert [client.get(url).status_code for url in pages] == [403, 403]
    assert client.post(pages[0], _form([])).status_code == 403
    client.force_login(approver)
    assert 'data-testid="allocation-form"' not in client.get(pages[0]).content.decode()
    assert "Take checkpoint" not in client.get(pages[1]).content.decode()
    client.force_login(maker)
    assert 'data-testid="allocation-form"' in client.get(pages[0]).content.decode()
    assert "Take checkpoint" in client.get(pages[1]).content.decode()
    draft = services.instrument_create(actor=maker, terms={**make_bond_terms(), "isin": "XS0000000017"})
    client.force_login(make_user(broker_a, Role.BROKER_TRADER))
    assert client.get(f"/instruments/{draft.pk}/allocations/").status_code == 404
    client.force_login(maker)
    assert client.get(f"/instruments/{draft.pk}/register/").status_code == 404  # not on chain


def test_preview_shows_every_row_error_and_submits_nothing(client, maker, bond, investors):
    fund, broker = investors
    client.force_login(maker)
    rows = [
        {"investor_lei": fund.lei, "quantity": "1000000", "price": "99.5"},
        {"investor_lei": "529900T8BM49AURSDO55", "quantity": "1000", "price": "100"},
        {"investor_lei": fund.lei, "quantity": "1500", "price": "100"},
        {"broker_lei": broker.lei, "client_account": "CL-404", "quantity": "1000", "price": "100"},
        {"investor_lei": fund.lei, "quantity": "1000", "price": "-2"},
    ]
    response = client.post(f"/instruments/{bond.pk}/allocations/", _form(rows))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="allocation-preview"' in html
    assert "4 errors" in html
    assert "No organisation with LEI 529900T8BM49AURSDO55" in html
    assert "The quantity must be a multiple of 1000." in html
    assert "No client account CL-404" in html
    assert "price must be positive" in html
    assert 'data-testid="allocation-submit"' not in html  # nothing to submit until every row is valid
    assert html.count('data-testid="row-error"') == 4
    assert "995000.00" in html  # the valid row's settlement amount
    assert _nothing_written()


def test_valid_preview_shows_totals_and_what_is_left(client, maker, bond, investors):
    fund, broker = investors
    client.force_login(maker)
    rows = [
        {"investor_lei": fund.lei, "quantity": "1000000", "price": "99.5"},
        {"broker_lei": broker.lei, "client_account": "CL-7", "quantity": "250000", "price": "100"},
        {},  # an empty row is ignored
    ]
    html = client.post(f"/instruments/{bond.pk}/allocations/", _form(rows)).content.decode()
    assert "Every row is valid" in html
    assert '<th class="text-end" data-testid="preview-total-quantity">1250000</th>' in html
    assert '<th class="text-end" data-testid="preview-total-amount">1245000.00</th>' in html
    assert 'data-testid="preview-left-after">498750000<' in html
    assert "Ada Client (Broker Co)" in html
    assert 'data-testid="allocation-submit"' in html
    assert _nothing_written()


def test_too_much_is_a_batch_error(client, maker, bond, investors):
    fund, _ = investors
    client.force_login(maker)
    rows = [{"investor_lei": fund.lei, "quantity": "600000000", "price": "100"}]
    html = client.post(f"/instruments/{bond.pk}/allocations/", _form(rows)).content.decode()
    assert 'data-testid="preview-batch-error"' in html
    assert "The allocations total 600000000 but only 500000000 is left." in html
    assert _nothing_written()


def test_csv_upload_is_previewed_with_line_numbers(client, maker, bond, investors):
    fund, broker = investors
    client.force_login(maker)
    content = (
        "investor_lei,broker_lei,client_account,quantity,price\n"
        f"{fund.lei},,,2000,101.25\n"
        f",{broker.lei},CL-7,abc,100\n"
    ).encode()
    upload = SimpleUploadedFile("allocation.csv", content, content_type="text/csv")
    response = client.post(f"/instruments/{bond.pk}/allocations/", {"action": "upload", "file": upload})
    html = response.content.decode()
    assert "CSV upload, 2 rows" in html
    assert 'data-row="3"' in html
    assert "quantity must be a number" in html
    assert "2025.00" in html
    assert _nothing_written()
    bad = SimpleUploadedFile("allocation.csv", b"lei;qty\nX;1\n", content_type="text/csv")
    response = client.post(f"/instruments/{bond.pk}/allocations/", {"action": "upload", "file": bad})
    html = response.content.decode()
    assert "The header must name" in html
    assert _nothing_written()


def test_allocation_of_a_non_live_instrument_is_refused(client, maker, bond, investors):
    fund, _ = investors
    Instrument.objects.filter(pk=bond.pk).update(status=InstrumentStatus.MATURED)
    client.force_login(maker)
    html = client.get(f"/instruments/{bond.pk}/allocations/").content.decode()
    assert 'data-testid="allocation-form"' not in html
    rows = [{"investor_lei": fund.lei, "quantity": "1000", "price": "100"}]
    html = client.post(f"/instruments/{bond.pk}/allocations/", _form(rows)).content.decode()
    assert "Only a live instrument" in html
    assert _nothing_written()


def test_allocation_totals_count_open_and_settled_not_failed(maker, bond, investors):
    from issuance.selectors import allocation_totals

    fund, _ = investors
    batch = AllocationBatch.objects.create(instrument=bond, created_by=maker)
    for quantity, status in [("1000", "settled"), ("2000", "failed"), ("3000", "instructed")]:
        Allocation.objects.create(
            batch=batch,
            instrument=bond,
            investor=fund,
            quantity=Decimal(quantity),
            price=Decimal(100),
            settlement_amount=Decimal(quantity),
            status=status,
        )
    totals = allocation_totals(instrument=bond)
    assert (totals.allocated, totals.settled, totals.left) == (
        Decimal(4000),
        Decimal(1000),
        Decimal(500000000) - 4000,
    )
