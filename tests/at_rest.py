"""What the database holds, read past the ORM: every column of every table, as stored."""

from __future__ import annotations

from django.db import connection


def _as_text(value: object) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def tables_holding(text: str) -> list[str]:
    """The tables (of this database connection) one of whose stored values contains ``text``."""
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - names from introspection
            if any(text in _as_text(value) for row in cursor.fetchall() for value in row):
                found.append(table)
    return found
