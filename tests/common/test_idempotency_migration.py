"""Migration 0006: replay bodies written in plaintext before it are encrypted in place, and
their object id is filled in; migrating back restores them."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from common.models import IdempotencyRecord

BEFORE = ("common", "0005_business_date")
AFTER = ("common", "0006_idempotency_body_encrypted")
NAME = "Zoë Quintessa Marlowe"


def _migrate(target: tuple[str, str]) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([target])


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("migrations_restored")
def test_existing_plaintext_bodies_are_encrypted(make_user, broker_a):
    user = make_user(broker_a)
    object_id = str(uuid.uuid4())
    body = {"id": object_id, "attributes": {"legal_name": NAME}}
    table = IdempotencyRecord._meta.db_table
    id_field = IdempotencyRecord._meta.get_field("id")
    user_field = IdempotencyRecord._meta.get_field("user")
    _migrate(BEFORE)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (id, created_at, updated_at, user_id, key,"  # noqa: S608
                " request_fingerprint, method, path, response_status, response_body)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    id_field.get_db_prep_value(uuid.uuid4(), connection),
                    "2026-12-01 10:00:00",
                    "2026-12-01 10:00:00",
                    user_field.get_db_prep_value(user.pk, connection),
                    "old-1",
                    "0" * 64,
                    "POST",
                    "/api/v1/kyc/credentials/",
                    201,
                    json.dumps(body),
                ],
            )
    finally:
        _migrate(AFTER)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT response_body, object_id FROM {table}")  # noqa: S608
        (stored, stored_object_id), *_ = cursor.fetchall()
    assert "Quintessa" not in str(stored)
    assert str(stored).startswith("gAAAAA")
    assert stored_object_id == object_id
    assert IdempotencyRecord.objects.get(key="old-1").response_body == body
