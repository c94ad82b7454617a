"""Webhook secrets encrypted at rest (Fernet, ``GLOAM_KYC_ENCRYPTION_KEYS``).

A secret is needed in clear to sign each delivery, so it cannot be hashed. Existing secrets
are encrypted in place (brokers' receivers keep verifying with the secret they were given);
migrating back decrypts them. Needs ``GLOAM_KYC_ENCRYPTION_KEYS`` only if there are rows.
"""

from typing import Any

from django.db import migrations

import common.encryption


def encrypt_secrets(apps: Any, schema_editor: Any) -> None:
    endpoint_model = apps.get_model("settlement", "WebhookEndpoint")
    for endpoint in endpoint_model.objects.iterator():
        endpoint.secret_encrypted = endpoint.secret
        endpoint.save(update_fields=["secret_encrypted"])


def decrypt_secrets(apps: Any, schema_editor: Any) -> None:
    endpoint_model = apps.get_model("settlement", "WebhookEndpoint")
    for endpoint in endpoint_model.objects.iterator():
        endpoint.secret = endpoint.secret_encrypted
        endpoint.save(update_fields=["secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("settlement", "0004_fails_and_webhooks"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="secret_encrypted",
            field=common.encryption.EncryptedTextField(default="", editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(encrypt_secrets, decrypt_secrets, elidable=False),
        migrations.RemoveField(
            model_name="webhookendpoint",
            name="secret",
        ),
        migrations.RenameField(
            model_name="webhookendpoint",
            old_name="secret_encrypted",
            new_name="secret",
        ),
    ]
