"""Migrations issuance 0013 and corporate_actions 0001: corporate actions, entitlements, market
claims and ballots leave ``issuance`` for ``corporate_actions`` in Django's state only. A
database from before the move keeps every row, foreign key and table, and the new models read
what the old ones wrote."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from corporate_actions.models import Ballot, CorporateAction, Entitlement, MarketClaim
from identity.models import Organisation, User
from identity.roles import Role
from issuance.models import Instrument
from ledger.models import ChainAccount, ChainSubmission
from settlement.models import SettlementInstruction
from tests.settlement.conftest import URL, bond, parties, side  # noqa: F401 - fixtures

#: The state before the move: issuance with the models, no corporate_actions app yet.
BEFORE = [("issuance", "0012_chain_models_to_ledger"), ("corporate_actions", None)]
TABLES = (
    "issuance_corporateaction",
    "issuance_entitlement",
    "issuance_marketclaim",
    "issuance_ballot",
    "issuance_ballotvote",
)
HOLDER = "ab" * 49


def _migrate(targets: list[tuple[str, str | None]]) -> Apps:
    """Migrate to ``targets``; the models of the state the database is then in."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    loader = MigrationLoader(connection)
    return loader.project_state(sorted(loader.applied_migrations)).apps


def _latest() -> list[tuple[str, str | None]]:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return list(executor.loader.graph.leaf_nodes())


def _submission(account: ChainAccount, kind: str) -> ChainSubmission:
    return ChainSubmission.objects.create(
        chain_account=account, kind=kind, operation="call", gas_limit=1, status="final"
    )


def _write_with_old_models(
    old: Apps, instrument: Instrument, maker: User, broker: Organisation, buy: SettlementInstruction
) -> dict[str, Any]:
    """An event with its entitlement and market claim, and a ballot with a vote, written with
    issuance's models of the state before the move."""
    account = ChainAccount.objects.create(
        organisation=broker, public_key="0x" + "11" * 48, encrypted_secret_key=b"x"
    )
    action = old.get_model("issuance", "CorporateAction").objects.create(
        instrument_id=instrument.pk,
        kind="coupon",
        status="paid",
        record_date=datetime.date(2027, 3, 15),
        ex_date=datetime.date(2027, 3, 12),
        payment_date=datetime.date(2027, 3, 16),
        amount_per_unit=Decimal("0.035"),
        checkpoint_number=1,
        checkpoint_height=120,
        checkpoint_tx_index=3,
        plan={"settle": "s-1"},
        proposed_by_id=maker.pk,
    )
    entitlement = old.get_model("issuance", "Entitlement").objects.create(
        action_id=action.pk,
        holder=HOLDER,
        holder_name=broker.legal_name,
        holder_kind="investor",
        organisation_id=broker.pk,
        units=100,
        position=Decimal("100000"),
        gross=Decimal("3500.00"),
        net=Decimal("3500.00"),
    )
    claim = old.get_model("issuance", "MarketClaim").objects.create(
        action_id=action.pk,
        buy_instruction_id=buy.pk,
        sell_instruction_id=buy.matched_with_id,
        seller=HOLDER,
        buyer="cd" * 49,
        units=100,
        amount=Decimal("3500.00"),
        submission_id=_submission(account, "corporate_action.market_claim").pk,
    )
    ballot = old.get_model("issuance", "Ballot").objects.create(
        instrument_id=instrument.pk,
        title="AGM 2027",
        motions=[{"title": "Dividend", "options": ["for", "against"]}],
        record_date=datetime.date(2027, 4, 1),
        opens_at=datetime.datetime(2027, 4, 2, tzinfo=datetime.UTC),
        closes_at=datetime.datetime(2027, 4, 9, tzinfo=datetime.UTC),
        proposed_by_id=maker.pk,
    )
    vote = old.get_model("issuance", "BallotVote").objects.create(
        ballot_id=ballot.pk,
        voter_id=account.pk,
        motion=0,
        choices=[[0, 100]],
        cast_by_id=maker.pk,
        submission_id=_submission(account, "ballot.vote").pk,
    )
    return {
        "action": action.pk,
        "entitlement": entitlement.pk,
        "claim": claim.pk,
        "ballot": ballot.pk,
        "vote": vote.pk,
        "account": account,
    }


@pytest.mark.django_db(transaction=True)
def test_an_upgrade_keeps_events_entitlements_claims_and_ballots(
    bond,  # noqa: F811 - the fixture imported above
    parties,  # noqa: F811
    make_user,
    issuer,
    broker_a,
):
    maker = make_user(issuer, Role.ISSUER_ADMIN)
    for who in ("a", "b"):
        assert parties[who].post(URL, side(parties, who), format="json").status_code == 201
    buy = SettlementInstruction.objects.get(reference="A-1")
    assert buy.matched_with_id is not None

    old = _migrate(BEFORE)
    try:
        with pytest.raises(LookupError):
            old.get_model("corporate_actions", "CorporateAction")  # the state before the move
        written = _write_with_old_models(old, bond, maker, broker_a, buy)
    finally:
        _migrate(_latest())

    assert set(TABLES) <= set(connection.introspection.table_names())
    action = CorporateAction.objects.get(pk=written["action"])
    assert (action.instrument, action.kind, action.status, action.proposed_by) == (
        bond,
        "coupon",
        "paid",
        maker,
    )
    assert (action.amount_per_unit, action.checkpoint_height, action.checkpoint_tx_index) == (
        Decimal("0.035"),
        120,
        3,
    )
    assert action.plan == {"settle": "s-1"}
    (entitlement,) = action.entitlements.all()
    assert (entitlement.pk, entitlement.organisation, entitlement.net) == (
        written["entitlement"],
        broker_a,
        Decimal("3500.00"),
    )
    (claim,) = action.market_claims.all()
    assert (claim.pk, claim.buy_instruction, claim.sell_instruction_id) == (
        written["claim"],
        buy,
        buy.matched_with_id,
    )
    assert claim.submission is not None
    assert claim.submission.kind == "corporate_action.market_claim"
    ballot = Ballot.objects.get(pk=written["ballot"])
    assert (ballot.instrument, ballot.title, ballot.proposed_by) == (bond, "AGM 2027", maker)
    (vote,) = ballot.votes.all()
    assert (vote.pk, vote.voter, vote.choices) == (written["vote"], written["account"], [[0, 100]])
    assert list(bond.corporate_actions.all()) == [action]
    assert list(bond.ballots.all()) == [ballot]


@pytest.mark.django_db(transaction=True)
def test_the_moved_tables_keep_their_foreign_keys(bond, make_user, issuer):  # noqa: F811
    """The database's own constraints still hold after the move: a row that points nowhere is
    refused when its transaction commits (deferred constraints, SQLite and PostgreSQL)."""
    _migrate(BEFORE)
    _migrate(_latest())
    maker = make_user(issuer, Role.ISSUER_ADMIN)
    action = CorporateAction.objects.create(
        instrument=bond,
        kind="coupon",
        record_date=datetime.date(2027, 3, 15),
        ex_date=datetime.date(2027, 3, 12),
        payment_date=datetime.date(2027, 3, 16),
        amount_per_unit=Decimal("0.035"),
        proposed_by=maker,
    )
    orphan = {"holder": HOLDER, "holder_name": "x", "holder_kind": "investor", "units": 1}
    amounts = {"position": Decimal(1), "gross": Decimal(0), "net": Decimal(0)}
    with pytest.raises(IntegrityError), transaction.atomic():
        Entitlement.objects.create(action_id=uuid.uuid4(), **orphan, **amounts)
    with pytest.raises(IntegrityError), transaction.atomic():
        MarketClaim.objects.create(
            action=action,
            buy_instruction_id=uuid.uuid4(),
            sell_instruction_id=uuid.uuid4(),
            seller=HOLDER,
            buyer=HOLDER,
            units=1,
            amount=Decimal(1),
        )
    assert not Entitlement.objects.exists()
    assert not MarketClaim.objects.exists()
