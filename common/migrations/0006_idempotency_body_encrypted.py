"""Idempotency replay bodies encrypted at rest, and the object id they describe.

Existing plaintext bodies are encrypted in place (a retry within the TTL must still replay
rather than write twice, so they are not purged); ``object_id`` is filled from the body's
``id``. Needs ``GLOAM_KYC_ENCRYPTION_KEYS`` only if there are rows to encrypt.
"""

from typing import Any

from django.db import migrations, models

import common.fields


def _object_id(body: Any) -> str:
    if isinstance(body, dict) and body.get("id") is not None:
        return str(body["id"])[:64]
    return ""


def encrypt_bodies(apps: Any, schema_editor: Any) -> None:
    record_model = apps.get_model("common", "IdempotencyRecord")
    for record in record_model.objects.exclude(response_body=None).iterator():
        record.response_body_encrypted = record.response_body
        record.object_id = _object_id(record.response_body)
        record.save(update_fields=["response_body_encrypted", "object_id"])


def decrypt_bodies(apps: Any, schema_editor: Any) -> None:
    record_model = apps.get_model("common", "IdempotencyRecord")
    for record in record_model.objects.exclude(response_body_encrypted=None).iterator():
        record.response_body = record.response_body_encrypted
        record.save(update_fields=["response_body"])


class Migration(migrations.Migration):
    dependencies = [
        ("common", "0005_business_date"),
    ]

    operations = [
        migrations.AddField(
            model_name="idempotencyrecord",
            name="response_body_encrypted",
            field=common.fields.EncryptedJSONField(null=True),
        ),
        migrations.AddField(
            model_name="idempotencyrecord",
            name="object_id",
            field=models.CharField(
                blank=True, db_index=True, default="", help_text="The response's object id, if any.", max_length=64
            ),
        ),
        migrations.RunPython(encrypt_bodies, decrypt_bodies, elidable=False),
        migrations.RemoveField(
            model_name="idempotencyrecord",
            name="response_body",
        ),
        migrations.RenameField(
            model_name="idempotencyrecord",
            old_name="response_body_encrypted",
            new_name="response_body",
        ),
    ]
