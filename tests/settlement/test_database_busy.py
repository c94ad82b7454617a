"""A write the database refuses for this attempt (a lock it would not wait for, a deadlock, a
lost connection, SQLite busy) is a 503 ``database_busy`` with ``Retry-After``: nothing is
written, and the same request sent again with the same ``Idempotency-Key`` writes once.
The chaos test's broker saw a 500 where it should have been told to retry (CI, stop 26)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest
from django.db import OperationalError, connection
from psycopg import sql

from common.api.errors import is_transient_database_error
from common.models import AuditChainHead, IdempotencyRecord
from settlement.models import SettlementInstruction
from tests.settlement.conftest import URL, side

postgres_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's lock_timeout")


def _conninfo() -> str:
    settings = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=settings["NAME"],
        user=settings["USER"] or None,
        host=settings["HOST"] or None,
        port=str(settings["PORT"]) if settings["PORT"] else None,
        password=settings["PASSWORD"] or None,
    )


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_write_that_cannot_take_its_lock_is_a_503_and_the_retry_writes_once(bond, parties) -> None:
    AuditChainHead.objects.get_or_create(id=1)
    table = sql.Identifier(AuditChainHead._meta.db_table)
    database = sql.Identifier(connection.settings_dict["NAME"])
    with psycopg.connect(_conninfo(), autocommit=True) as admin:
        admin.execute(sql.SQL("ALTER DATABASE {} SET lock_timeout = '300ms'").format(database))
    connection.close()  # the next request connects with the setting
    try:
        with psycopg.connect(_conninfo()) as holder:  # another writer holds the audit chain's head
            holder.execute(sql.SQL("SELECT id FROM {} WHERE id = 1 FOR UPDATE").format(table))
            busy = parties["a"].post(URL, side(parties, "a"), format="json", HTTP_IDEMPOTENCY_KEY="trade-1")
            holder.rollback()
        assert busy.status_code == 503, busy.content
        assert busy["Retry-After"] == "1"
        assert busy.json()["error"]["code"] == "database_busy"
        assert SettlementInstruction.objects.count() == 0
        assert IdempotencyRecord.objects.count() == 0

        again = parties["a"].post(URL, side(parties, "a"), format="json", HTTP_IDEMPOTENCY_KEY="trade-1")
        assert again.status_code == 201, again.content
        assert SettlementInstruction.objects.count() == 1
    finally:
        with psycopg.connect(_conninfo(), autocommit=True) as admin:
            admin.execute(sql.SQL("ALTER DATABASE {} RESET lock_timeout").format(database))
        connection.close()


def test_sqlite_busy_is_transient_and_other_database_errors_are_not(tmp_path: Path) -> None:
    path = tmp_path / "busy.sqlite3"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("CREATE TABLE t (x INTEGER)")
    writer.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError) as busy:
        other.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlite3.OperationalError) as missing:
        other.execute("SELECT * FROM no_such_table")
    writer.close()
    other.close()

    def wrapped(error: BaseException) -> OperationalError:
        try:
            raise OperationalError(str(error)) from error  # as Django's DatabaseErrorWrapper does
        except OperationalError as exc:
            return exc

    assert is_transient_database_error(wrapped(busy.value))
    assert not is_transient_database_error(wrapped(missing.value))
    assert not is_transient_database_error(ValueError("not a database error"))
