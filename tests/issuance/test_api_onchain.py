"""The allocation, register, checkpoint and deployment-retry endpoints, and the register and
chain-panel pages, on a real four-node devnet: invalid rows are 422 with every error and
nothing saved, valid ones settle by DvP, the register and its CSV show the holders read from
Final chain state, a checkpoint is listed once Final, and roles are enforced."""

from __future__ import annotations

import csv
import io

import pytest

from identity.models import ClientAccount, Organisation
from identity.roles import OrganisationKind, Role
from identity.services import client_account_chain_account_create
from issuance import deployment, services
from issuance.models import Allocation, AllocationBatch, Instrument, InstrumentCheckpoint
from ledger.indexer import index_final_events
from ledger.models import ChainSubmission
from tests.factories import OrganisationFactory
from tests.issuance.conftest import make_bond_terms
from tests.issuance.test_onchain import _live_bond, _mint_eur, pump
from tests.platformchain import ChainPlatform

Status = ChainSubmission.Status


@pytest.fixture
def onchain(chain_platform: ChainPlatform, issuer: Organisation) -> tuple[ChainPlatform, Organisation]:
    chain_platform.attach(issuer)
    cash_issuer = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER)
    chain_platform.attach(cash_issuer, role="cash_issuer")
    return chain_platform, cash_issuer


def _investors(chain: ChainPlatform, cash_issuer: Organisation) -> tuple[Organisation, Organisation]:
    fund = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN, legal_name="Api Fund")
    broker = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Api Broker")
    chain.attach(fund)
    chain.attach(broker)
    client = ClientAccount.objects.create(
        broker=broker, account_reference="API-1", name="Api Client", holder_type="natural_person"
    )
    client_account_chain_account_create(client_account=client)
    _mint_eur(chain, cash_issuer, fund, 500_000_00)
    _mint_eur(chain, cash_issuer, broker, 500_000_00)
    return fund, broker


def test_allocate_read_register_and_checkpoint_through_the_api_and_pages(
    onchain, maker, approver, regulator, make_user, api_client_for, client
):
    chain, cash_issuer = onchain
    bond = _live_bond(chain, maker, approver, isin="XS0000000033")
    fund, broker = _investors(chain, cash_issuer)
    url = f"/api/v1/instruments/{bond.pk}"
    api = api_client_for(maker)

    # Invalid rows: 422, every error by position in ``rows``, nothing saved or queued.
    before = ChainSubmission.objects.count()
    bad = [
        {"investor_lei": fund.lei, "quantity": "1000", "price": "100"},
        {"investor_lei": "529900T8BM49AURSDO55", "quantity": "1000", "price": "100"},
        {"broker_lei": broker.lei, "client_account": "API-1", "quantity": "10", "price": "100"},
    ]
    response = api.post(f"{url}/allocations/", {"rows": bad}, format="json")
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_allocations"
    assert [(e["row"], e["field"]) for e in error["details"]["rows"]] == [
        (2, "investor_lei"),
        (3, "quantity"),
    ]
    assert not AllocationBatch.objects.exists()
    assert ChainSubmission.objects.count() == before

    # Roles: the approver may not allocate; a broker may not read the books.
    denied = api_client_for(approver).post(f"{url}/allocations/", {"rows": bad[:1]}, format="json")
    assert denied.status_code == 403
    broker_user = make_user(broker, Role.BROKER_BACK_OFFICE)
    for path in ("allocations/", "register/", "register.csv", "checkpoints/"):
        assert api_client_for(broker_user).get(f"{url}/{path}").status_code == 403, path

    # Valid rows, with an Idempotency-Key: one batch even when sent twice.
    rows = [
        {"investor_lei": fund.lei, "quantity": "300000", "price": "100"},
        {"broker_lei": broker.lei, "client_account": "API-1", "quantity": "200000", "price": "99"},
    ]
    first = api.post(f"{url}/allocations/", {"rows": rows}, format="json", HTTP_IDEMPOTENCY_KEY="alloc-1")
    again = api.post(f"{url}/allocations/", {"rows": rows}, format="json", HTTP_IDEMPOTENCY_KEY="alloc-1")
    assert first.status_code == 201
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert AllocationBatch.objects.count() == 1
    body = first.json()
    assert body["source"] == "api"
    assert [(a["investor_name"], a["settlement_amount"], a["status"]) for a in body["allocations"]] == [
        ("Api Fund", "300000.00", "pending"),
        ("Api Client (Api Broker)", "198000.00", "pending"),
    ]

    pump(
        chain,
        lambda: all(a.status in ("settled", "failed") for a in Allocation.objects.filter(instrument=bond)),
    )
    settled = list(Allocation.objects.filter(instrument=bond))
    pump(chain, lambda: index_final_events()["height"] >= max(a.settled_height or 0 for a in settled))

    listed = api.get(f"{url}/allocations/", {"status": "settled"}).json()
    assert listed["count"] == 2
    assert all(a["dvp_instruction_id"] is not None and a["settled_height"] for a in listed["results"])
    assert api.get(f"{url}/allocations/", {"status": "pending"}).json()["count"] == 0
    assert api.get(f"{url}/allocations/", {"status": "nope"}).status_code == 400

    # The register at the latest Final block, for the issuer and a regulator.
    register = api_client_for(regulator).get(f"{url}/register/").json()
    assert register["at"] == "final"
    assert register["indexer"]["final_height"] >= max(a.settled_height or 0 for a in settled)
    holders = {h["name"]: (h["quantity"], h["percent"], h["kind"]) for h in register["holders"]}
    assert holders == {
        "Api Fund": ("300000.000000", "0.0600", "investor"),
        "Api Client (API-1, Api Broker)": ("200000.000000", "0.0400", "client account"),
    }
    assert (register["issued"], register["outstanding"]) == ("500000.000000", "500000.000000")

    exported = api.get(f"{url}/register.csv")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/csv")
    assert 'filename="XS0000000033-register-final.csv"' in exported["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [(r["holder"], r["kind"], r["quantity"], r["units"], r["percent_of_issue"]) for r in table] == [
        ("Api Fund", "investor", "300000", "300", "0.06"),
        ("Api Client (API-1, Api Broker)", "client account", "200000", "200", "0.04"),
    ]
    assert {r["isin"] for r in table} == {"XS0000000033"}
    assert all(r["holder_address"].startswith("0x00") and r["last_change_height"] for r in table)

    # A checkpoint: requested (202), listed once Final, the register at it.
    assert api_client_for(approver).post(f"{url}/checkpoints/").status_code == 403
    requested = api.post(f"{url}/checkpoints/", HTTP_IDEMPOTENCY_KEY="cp-1")
    assert requested.status_code == 202
    assert requested.json()["kind"] == "instrument.checkpoint"
    chain.settle([ChainSubmission.objects.get(id=requested.json()["id"])])
    checkpoints = api.get(f"{url}/checkpoints/").json()
    assert [(c["number"], c["holder_count"], c["total_supply"]) for c in checkpoints] == [(1, 2, 500)]
    at_checkpoint = api.get(f"{url}/register/", {"checkpoint": 1}).json()
    assert at_checkpoint["at"] == "checkpoint 1"
    assert at_checkpoint["height"] == InstrumentCheckpoint.objects.get(instrument=bond).height
    assert {h["name"]: h["quantity"] for h in at_checkpoint["holders"]} == {
        "Api Fund": "300000.000000",
        "Api Client (API-1, Api Broker)": "200000.000000",
    }
    assert api.get(f"{url}/register/", {"checkpoint": 9}).json()["error"]["code"] == "checkpoint_not_found"
    assert api.get(f"{url}/register.csv", {"checkpoint": 1}).content.decode().count("checkpoint 1") == 2

    # The pages: chain panel Final, allocation statuses, register with holders and charts.
    client.force_login(maker)
    html = client.get(f"/instruments/{bond.pk}/").content.decode()
    assert 'data-testid="deployment-finality">Final<' in html
    assert bond.contract_id in html
    assert Instrument.objects.get(pk=bond.pk).terms_hash in html
    html = client.get(f"/instruments/{bond.pk}/allocations/").content.decode()
    assert html.count('data-status="settled"') == 2
    assert "hx-trigger" not in html  # nothing open: no polling
    html = client.get(f"/instruments/{bond.pk}/register/").content.decode()
    assert "Api Fund" in html
    assert "Api Client (API-1, Api Broker)" in html
    assert 'id="register-distribution-chart"' in html
    assert "checkpoint 1 (height" in html
    html = client.get(f"/instruments/{bond.pk}/register/", {"checkpoint": 1}).content.decode()
    assert "Checkpoint 1, taken in Final block" in html
    page_csv = client.get(f"/instruments/{bond.pk}/register.csv", {"checkpoint": 1})
    assert page_csv.content == api.get(f"{url}/register.csv", {"checkpoint": 1}).content


def test_deployment_retry_through_the_api(chain_platform, maker, approver, api_client_for):
    """The issuer has no chain account: the deployment records ``no_chain_account``; once
    it has one, an issuer admin's retry clears the error and the deployment goes Final."""
    instrument = services.instrument_create(actor=maker, terms={**make_bond_terms(), "isin": "XS0000000041"})
    services.instrument_submit(actor=maker, instrument_id=instrument.pk)
    services.instrument_approve(actor=approver, instrument_id=instrument.pk)
    assert deployment.instrument_deploy(instrument_id=instrument.pk) is None
    url = f"/api/v1/instruments/{instrument.pk}"
    shown = api_client_for(maker).get(f"{url}/").json()
    assert (shown["status"], shown["deployment_error"]) == ("approved", "no_chain_account")
    assert api_client_for(approver).post(f"{url}/deployment/retry/").status_code == 403
    chain_platform.attach(instrument.issuer)
    retried = api_client_for(maker).post(f"{url}/deployment/retry/", HTTP_IDEMPOTENCY_KEY="retry-1")
    assert retried.status_code == 200
    assert retried.json()["deployment_error"] == ""
    assert api_client_for(maker).post(f"{url}/deployment/retry/").json()["error"]["code"] == "not_failed"
    submission = deployment.instrument_deploy(instrument_id=instrument.pk)  # the queued task's body
    assert submission is not None
    chain_platform.settle([submission])
    shown = api_client_for(maker).get(f"{url}/").json()
    assert shown["status"] == "live"
    assert shown["contract_id"] == submission.contract_id
    assert shown["deployed_height"] is not None
