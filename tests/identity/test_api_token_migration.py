"""Migration identity 0008: DRF's plaintext tokens (``authtoken_token``, from before
django-rest-knox) become knox digests that still authenticate, and the plaintext table is gone."""

from __future__ import annotations

import secrets

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from knox.models import AuthToken
from rest_framework.test import APIClient

from identity.models import User
from identity.roles import Role
from tests.at_rest import tables_holding

BEFORE = ("identity", "0007_kyc_credentials")
AFTER = ("identity", "0008_api_tokens_hashed")


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


def _create_drf_token_table(user: User, key: str) -> None:
    """``authtoken_token`` as rest_framework.authtoken's migrations left it, with one token."""
    quote = connection.ops.quote_name
    user_pk = User._meta.get_field("id")
    user_id_type = user_pk.db_type(connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {quote('authtoken_token')} ({quote('key')} varchar(40) PRIMARY KEY,"
            f" {quote('created')} {connection.data_types['DateTimeField']} NOT NULL,"
            f" {quote('user_id')} {user_id_type} NOT NULL UNIQUE)"
        )
        cursor.execute(
            f"INSERT INTO {quote('authtoken_token')} ({quote('key')}, {quote('created')}, {quote('user_id')})"  # noqa: S608
            " VALUES (%s, %s, %s)",
            [key, "2026-11-01 09:00:00", user_pk.get_db_prep_value(user.pk, connection)],
        )
    MigrationRecorder(connection).record_applied("authtoken", "0004_alter_tokenproxy_options")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrations_restored")
def test_plaintext_drf_tokens_become_digests_that_still_authenticate(make_user, broker_a):
    user = make_user(broker_a, Role.BROKER_TRADER, username="old-client")
    key = secrets.token_hex(20)  # a DRF token: 40 hex characters
    _migrate(BEFORE)
    try:
        _create_drf_token_table(user, key)
        assert tables_holding(key) == ["authtoken_token"]
    finally:
        _migrate(AFTER)

    assert "authtoken_token" not in connection.introspection.table_names()
    assert not MigrationRecorder(connection).migration_qs.filter(app="authtoken").exists()
    assert tables_holding(key) == []
    stored = AuthToken.objects.get(user=user)
    assert stored.expiry is not None
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/me/").json()["username"] == "old-client"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrations_restored")
def test_a_database_without_drf_tokens_migrates_unchanged(make_user, broker_a):
    make_user(broker_a, Role.BROKER_TRADER)
    _migrate(BEFORE)
    _migrate(AFTER)
    assert not AuthToken.objects.exists()
