"""Webhook secrets at rest: encrypted in the endpoint's row and in the idempotency replay of
its creation (nowhere in the database in clear), shown by the API only when registered, and
existing plaintext secrets encrypted by migration settlement 0005."""

from __future__ import annotations

import secrets
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from common.models import IdempotencyRecord
from identity.roles import Role
from settlement.models import WebhookEndpoint
from tests.at_rest import tables_holding

URL = "/api/v1/webhook-endpoints/"


@pytest.fixture
def back_office(api_client_for, make_user, broker_a, settings):
    settings.GLOAM_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    return api_client_for(make_user(broker_a, Role.BROKER_BACK_OFFICE))


def _stored_secret(endpoint_id: str) -> str:
    table = WebhookEndpoint._meta.db_table
    id_field = WebhookEndpoint._meta.get_field("id")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT secret FROM {table} WHERE id = %s",  # noqa: S608 - table name
            [id_field.get_db_prep_value(uuid.UUID(endpoint_id), connection)],
        )
        return str(cursor.fetchone()[0])


@pytest.mark.django_db
def test_the_secret_is_in_no_table_in_clear_and_shown_only_at_registration(back_office):
    created = back_office.post(
        URL, {"url": "http://127.0.0.1:9/hook"}, format="json", HTTP_IDEMPOTENCY_KEY="wh-1"
    )
    assert created.status_code == 201, created.json()
    secret, endpoint_id = created.json()["secret"], created.json()["id"]
    assert len(secret) == 64

    assert tables_holding(secret) == []
    assert _stored_secret(endpoint_id).startswith("gAAAAA")  # a Fernet token
    assert IdempotencyRecord.objects.get(key="wh-1").response_body["secret"] == secret  # the replay
    assert WebhookEndpoint.objects.get(pk=endpoint_id).secret == secret  # what delivery signs with

    listed = back_office.get(URL).json()["results"]
    changed = back_office.patch(f"{URL}{endpoint_id}/", {"active": False}, format="json").json()
    assert [set(listed[0]), set(changed)] == [{"id", "url", "active", "created_at"}] * 2
    assert back_office.delete(f"{URL}{endpoint_id}/").status_code == 204


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrations_restored")
def test_migration_encrypts_existing_plaintext_secrets(broker_a):
    secret = secrets.token_hex(32)
    table = WebhookEndpoint._meta.db_table
    endpoint_id = uuid.uuid4()
    id_field = WebhookEndpoint._meta.get_field("id")
    broker_field = WebhookEndpoint._meta.get_field("broker")
    _migrate(("settlement", "0004_fails_and_webhooks"))
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (id, created_at, updated_at, broker_id, url, secret, active)"  # noqa: S608
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [
                    id_field.get_db_prep_value(endpoint_id, connection),
                    "2026-11-01 09:00:00",
                    "2026-11-01 09:00:00",
                    broker_field.get_db_prep_value(broker_a.pk, connection),
                    "https://hooks.example.com/gloam",
                    secret,
                    True,
                ],
            )
        assert tables_holding(secret) == [table]
    finally:
        _migrate(("settlement", "0005_webhook_secret_encrypted"))
    assert tables_holding(secret) == []
    assert WebhookEndpoint.objects.get(pk=endpoint_id).secret == secret
