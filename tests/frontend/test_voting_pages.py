"""Proxy voting pages: the issuer admin proposes through the form, the approver (not the
proposer) approves, brokers see approved ballots only, and a vote on a ballot not on chain
yet is refused with the reason on the page."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from corporate_actions.models import Ballot, BallotStatus
from frontend.voting_views import parse_motions
from identity.roles import OrganisationKind, Role
from identity.services import chain_account_create
from issuance import services
from ledger.models import ChainSubmission
from tests.factories import OrganisationFactory
from tests.issuance.conftest import make_bond_terms


def test_parse_motions_reads_one_motion_a_line() -> None:
    assert parse_motions("Accounts: for | against | abstain\n\n Auditor :A|B|") == [
        {"title": "Accounts", "options": ["for", "against", "abstain"]},
        {"title": "Auditor", "options": ["A", "B"]},
    ]


def test_propose_approve_and_see_a_ballot(client, maker, approver, make_user, issuer) -> None:
    bond = services.instrument_create(actor=maker, terms=make_bond_terms())
    bond.status, bond.contract_id = "live", "0x" + "ab" * 32
    bond.save(update_fields=["status", "contract_id"])
    chain_account_create(organisation=issuer)  # the issuer's account asks for the checkpoint
    now = timezone.now().replace(second=0, microsecond=0)
    form = {
        "instrument": str(bond.pk),
        "title": "AGM 2026",
        "motions": "Accounts: for | against",
        "record_date": now.date().isoformat(),
        "opens_at": (now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
    }
    client.force_login(maker)
    bad = client.post("/ballots/", {**form, "motions": "Accounts: only one"})
    assert "needs 2 to 8 options" in bad.content.decode()
    assert not Ballot.objects.exists()
    response = client.post("/ballots/", form)
    ballot = Ballot.objects.get()
    assert response.status_code == 302
    assert ballot.motions == [{"title": "Accounts", "options": ["for", "against"]}]

    broker = OrganisationFactory.create(kind=OrganisationKind.BROKER)
    chain_account_create(organisation=broker)
    client.force_login(make_user(broker, Role.BROKER_TRADER))
    assert "AGM 2026" not in client.get("/ballots/").content.decode()  # pending: the issuer's only

    client.force_login(approver)
    page = client.get(f"/ballots/{ballot.pk}/").content.decode()
    assert "Approve" in page
    refused = client.post(f"/ballots/{ballot.pk}/decide/", {"decision": "reject"}, follow=True)
    assert "Say why the ballot is rejected." in refused.content.decode()
    client.post(f"/ballots/{ballot.pk}/decide/", {"decision": "approve"})
    ballot.refresh_from_db()
    assert ballot.status == BallotStatus.RECORDING  # the record date has come: checkpoint queued
    assert ChainSubmission.objects.filter(kind="ballot.checkpoint", subject_id=str(ballot.pk)).exists()

    client.force_login(make_user(broker, Role.BROKER_TRADER))
    assert "AGM 2026" in client.get("/ballots/").content.decode()
    response = client.post(f"/ballots/{ballot.pk}/vote/", {"motion": "0", "option-0": "5"}, follow=True)
    assert "not deployed on chain yet" in response.content.decode()
    assert ballot.votes.count() == 0
