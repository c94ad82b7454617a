"""Shielded cash end to end through the API on the real four-node devnet (tests/platformchain.py):
broker A shields public EUR, sends shielded EUR to broker B by LEI (proved by the real prover,
verified by the nodes), B sees the note Final and A does not, B unshields to its public account;
public EUR + shielded EUR of the two brokers stays what was minted.

The devnet deploys ``phoenix`` only when the Phoenix transfer circuits have committed keys;
until then the test is skipped."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from ledger.indexer import index_final_events
from ledger.models import ChainSubmission, ShieldedNote, TokenHolding
from ledger.phoenix import scan_final_phoenix_events
from proving.models import ProofJob
from proving.services import proof_job_execute
from settlement.cash import cash_issue
from settlement.models import ShieldedTransfer
from tests.factories import OrganisationFactory
from tests.platformchain import ChainPlatform

pytestmark = [
    pytest.mark.devnet,
    pytest.mark.slow,
]
API = "/api/v1/"


def _settle(chain: ChainPlatform, transfer_id: str) -> ShieldedTransfer:
    """Drive the outbox until the transfer's submissions are Final, then scan until the
    transfer's outcome is in the read models."""
    transfer = ShieldedTransfer.objects.get(pk=transfer_id)
    chain.settle(list(ChainSubmission.objects.filter(subject_id=str(transfer.pk))), timeout=180)
    transfer.refresh_from_db()
    return transfer


def _scan_until(predicate: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        index_final_events()
        scan_final_phoenix_events()
        if predicate():
            return
        if time.monotonic() > deadline:
            raise AssertionError("the scanner did not see it Final in time")
        time.sleep(0.5)


def _prove(transfer_id: str) -> None:
    transfer = ShieldedTransfer.objects.get(pk=transfer_id)
    assert transfer.proof_job is not None
    assert proof_job_execute(job_id=transfer.proof_job.pk) == ProofJob.Status.DONE


def _public(organisation: Organisation) -> int:
    account = organisation.chain_account
    cents = TokenHolding.objects.filter(holder=account.address.hex()).values_list("balance", flat=True)
    return int(sum(cents))


def _shielded(organisation: Organisation) -> int:
    notes = ShieldedNote.objects.filter(key__organisation=organisation, status=ShieldedNote.Status.UNSPENT)
    return int(sum(notes.values_list("value", flat=True)))


def test_shield_send_receive_and_unshield_through_the_api(
    chain_platform: ChainPlatform,
    operator: User,
    make_user: Callable[..., User],
    api_client_for: Callable[[User], APIClient],
) -> None:
    issuer = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER, legal_name="Cash issuer")
    chain_platform.attach(issuer, role="cash_issuer")
    a = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Shielded A")
    b = OrganisationFactory.create(kind=OrganisationKind.BROKER, legal_name="Shielded B")
    chain_platform.attach(a, fresh=True)
    chain_platform.attach(b, fresh=True)
    a_api = api_client_for(make_user(a, Role.BROKER_BACK_OFFICE))
    b_api = api_client_for(make_user(b, Role.BROKER_BACK_OFFICE))
    minted = cash_issue(actor=operator, lei=a.lei, currency="EUR", amount=Decimal("100.00"))
    chain_platform.settle([minted])
    _scan_until(lambda: _public(a) == 10_000)

    shield = a_api.post(
        f"{API}shielded-transfers/shield/", {"amount": "60.00"}, format="json", HTTP_IDEMPOTENCY_KEY="sh"
    )
    assert shield.status_code == 202, shield.content
    assert _settle(chain_platform, shield.json()["id"]).status == ShieldedTransfer.Status.FINAL
    _scan_until(lambda: _shielded(a) == 6_000)

    send = a_api.post(
        f"{API}shielded-transfers/send/",
        {"amount": "25.00", "receiver_lei": b.lei},
        format="json",
        HTTP_IDEMPOTENCY_KEY="se",
    )
    assert send.status_code == 202, send.content
    assert send.json()["status"] == "proving"
    _prove(send.json()["id"])
    assert _settle(chain_platform, send.json()["id"]).status == ShieldedTransfer.Status.FINAL
    _scan_until(lambda: _shielded(b) == 2_500 and _shielded(a) == 3_500)

    [note] = b_api.get(f"{API}shielded-notes/").json()["results"]
    assert (note["amount"], note["chain_status"], note["status"]) == ("25.00", "Final", "unspent")
    assert a_api.get(f"{API}shielded-notes/?status=unspent").json()["results"][0]["amount"] == "35.00"
    received = b_api.get(f"{API}shielded-transfers/?kind=send").json()["results"]
    assert [(r["lei"], r["receiver_lei"], r["chain_status"]) for r in received] == [(a.lei, b.lei, "Final")]

    unshield = b_api.post(f"{API}shielded-transfers/unshield/", {"amount": "10.00"}, format="json")
    assert unshield.status_code == 202, unshield.content
    _prove(unshield.json()["id"])
    assert _settle(chain_platform, unshield.json()["id"]).status == ShieldedTransfer.Status.FINAL
    _scan_until(lambda: _public(b) == 1_000 and _shielded(b) == 1_500)

    [balance] = b_api.get(f"{API}shielded-balances/").json()
    assert balance["unspent"] == "15.00"
    assert _public(a) + _public(b) + _shielded(a) + _shielded(b) == 10_000
