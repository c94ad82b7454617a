"""Migrations ``ledger 0001``/``0002`` (with ``identity 0010``, ``settlement 0007``, ``issuance
0012``, ``compliance 0004``): the chain accounts, submissions, holdings and cursor of a
database from before the move are read back by ``ledger``'s models, the foreign keys into
and out of the renamed tables still hold, and the migrations reverse."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from ledger.models import HOLDINGS_CURSOR, ChainAccount, ChainCursor, ChainSubmission, TokenHolding

#: The last migration of each app before the move.
BEFORE = [
    ("identity", "0009_tx_index"),
    ("settlement", "0006_tx_index"),
    ("issuance", "0011_tx_index"),
    ("compliance", "0003_disclosure"),
]
MOVED_TABLES = {
    "identity_chainaccount": "ledger_chainaccount",
    "identity_chainsubmission": "ledger_chainsubmission",
    "settlement_tokenholding": "ledger_tokenholding",
    "settlement_chaincursor": "ledger_chaincursor",
}
PUBLIC_KEY = "0x" + "ab" * 48
HOLDER = "00" + "ab" * 48


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _migrate_latest() -> None:
    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())
    ContentType.objects.clear_cache()


def _migrate_before() -> Any:
    """From the latest state, unapply ``ledger`` (and so every migration that builds on it);
    return the apps as they were before the move."""
    _migrate_latest()
    _executor().migrate([("ledger", None)])
    return _executor().loader.project_state(BEFORE).apps


def _foreign_keys() -> dict[tuple[str, str], tuple[str, str]]:
    """(table, column) → (referenced table, column), for every foreign key of the database."""
    keys = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for constraint in connection.introspection.get_constraints(cursor, table).values():
                if constraint["foreign_key"]:
                    keys[(table, constraint["columns"][0])] = tuple(constraint["foreign_key"])
    return keys


def _index_names(table: str) -> set[str]:
    with connection.cursor() as cursor:
        return set(connection.introspection.get_constraints(cursor, table))


def _create_old_rows(old: Any) -> dict[str, Any]:
    """A chain account, two submissions (the second after the first), an audit anchor on one,
    a holding and the indexer's cursor, written with the models as they were."""
    organisation = old.get_model("identity", "Organisation").objects.create(
        legal_name="Old Bank", lei="5493001KJTIIGC8Y1R12", country="DE", kind="broker"
    )
    account = old.get_model("identity", "ChainAccount").objects.create(
        organisation=organisation, public_key=PUBLIC_KEY, encrypted_secret_key=b"sealed key"
    )
    submission_model = old.get_model("identity", "ChainSubmission")
    funding = submission_model.objects.create(
        chain_account=account,
        kind="account.gas",
        operation="transfer",
        receiver=PUBLIC_KEY,
        value=10**9,
        gas_limit=50_000,
        status="final",
        nonce=1,
        tx_id="0x" + "01" * 32,
        raw=b"signed bytes",
        block_height=7,
        tx_index=2,
        succeeded=True,
        events=[{"topic": "transfer", "data": "0x00"}],
    )
    call = submission_model.objects.create(
        chain_account=account,
        after=funding,
        kind="audit.anchor",
        operation="call",
        contract="genesis:cash_token",
        fn_name="mint",
        fn_args=b"\x01\x02",
        gas_limit=200_000_000,
    )
    anchor = old.get_model("compliance", "AuditAnchor").objects.create(
        sequence=1, entry_hash="ab" * 32, submission=call
    )
    holding = old.get_model("settlement", "TokenHolding").objects.create(
        contract="0x" + "cd" * 32,
        holder=HOLDER,
        balance=Decimal(1_000_000),
        last_height=7,
        last_tx_id="0x" + "01" * 32,
        last_changed_at=timezone.now(),
    )
    old.get_model("settlement", "ChainCursor").objects.create(
        name=HOLDINGS_CURSOR, sequence=42, height=7, final_height=9
    )
    old_types = old.get_model("contenttypes", "ContentType").objects
    return {
        "organisation": organisation.pk,
        "account": account.pk,
        "funding": funding.pk,
        "call": call.pk,
        "anchor": anchor.pk,
        "holding": holding.pk,
        "content_type": old_types.get_or_create(app_label="identity", model="chainaccount")[0].pk,
    }


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrations_restored")
def test_an_upgrade_keeps_the_chain_models_rows_and_their_foreign_keys():
    old = _migrate_before()
    try:
        assert set(MOVED_TABLES) <= set(connection.introspection.table_names())
        ids = _create_old_rows(old)
    finally:
        _migrate_latest()

    tables = set(connection.introspection.table_names())
    assert set(MOVED_TABLES.values()) <= tables
    assert not set(MOVED_TABLES) & tables

    account = ChainAccount.objects.get(pk=ids["account"])
    assert (account.organisation_id, account.public_key) == (ids["organisation"], PUBLIC_KEY)
    assert bytes(account.encrypted_secret_key) == b"sealed key"
    funding = ChainSubmission.objects.get(pk=ids["funding"])
    assert (funding.chain_account_id, funding.status, funding.nonce, funding.block_height) == (
        account.pk,
        ChainSubmission.Status.FINAL,
        1,
        7,
    )
    assert (bytes(funding.raw or b""), funding.tx_index, funding.events) == (
        b"signed bytes",
        2,
        [{"topic": "transfer", "data": "0x00"}],
    )
    call = ChainSubmission.objects.get(pk=ids["call"])
    assert (call.after_id, bytes(call.fn_args), call.status) == (funding.pk, b"\x01\x02", "queued")
    assert call.audit_anchor.pk == ids["anchor"]  # compliance's key to the moved table
    assert list(account.submissions.order_by("created_at")) == [funding, call]
    holding = TokenHolding.objects.get(pk=ids["holding"])
    assert (holding.holder, holding.balance) == (HOLDER, Decimal(1_000_000))
    cursor = ChainCursor.objects.get(name=HOLDINGS_CURSOR)
    assert (cursor.sequence, cursor.height, cursor.final_height) == (42, 7, 9)

    # the content type (permissions, admin history) moved with the model, same row
    assert ContentType.objects.get_for_model(ChainAccount).pk == ids["content_type"]
    # the foreign keys follow the renamed tables, and the index took its new name
    keys = _foreign_keys()
    assert keys[("ledger_chainsubmission", "chain_account_id")] == ("ledger_chainaccount", "id")
    assert keys[("ledger_chainsubmission", "after_id")] == ("ledger_chainsubmission", "id")
    assert keys[("ledger_chainaccount", "organisation_id")] == ("identity_organisation", "id")
    assert keys[("identity_kyccredential", "subject_id")] == ("ledger_chainaccount", "id")
    assert keys[("compliance_auditanchor", "submission_id")] == ("ledger_chainsubmission", "id")
    assert keys[("issuance_marketclaim", "submission_id")] == ("ledger_chainsubmission", "id")
    assert not {target for target, _ in keys.values()} & set(MOVED_TABLES)
    assert "ledger_chai_chain_a_53e43b_idx" in _index_names("ledger_chainsubmission")
    assert "identity_ch_chain_a_bdfe82_idx" not in _index_names("ledger_chainsubmission")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrations_restored")
def test_invalid_rows_after_the_upgrade_are_refused_by_the_moved_constraints():
    """The database still enforces the keys and constraints it had: a submission of an
    account that does not exist, a second live submission with one nonce."""
    _migrate_before()
    _migrate_latest()
    from identity.models import Organisation

    organisation = Organisation.objects.create(
        legal_name="New Bank", lei="5493001KJTIIGC8Y1R12", country="DE", kind="broker"
    )
    account = ChainAccount.objects.create(organisation=organisation, public_key=PUBLIC_KEY)
    fields = {"kind": "test", "operation": "call", "gas_limit": 1, "status": "signed"}
    ChainSubmission.objects.create(chain_account=account, nonce=1, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChainSubmission.objects.create(chain_account=account, nonce=1, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChainSubmission.objects.create(chain_account_id=uuid.uuid4(), **fields)
    assert ChainSubmission.objects.count() == 1
