"""API tokens hashed at rest: DRF's plaintext tokens become django-rest-knox digests.

``rest_framework.authtoken`` kept every token in clear (``authtoken_token.key``). Knox keeps
only the SHA-512 digest of a token and its first 15 characters (the lookup key): exactly what
it stores for a token it issues itself. So each existing token is carried over as a knox
token (the client keeps working, until the token expires ``GLOAM_API_TOKEN_TTL_HOURS`` after
this migration), and then the plaintext table is dropped, together with authtoken's
migration records, content type and permissions.

A database created after ``rest_framework.authtoken`` left ``INSTALLED_APPS`` has no such
table: nothing to do. Migrating back restores nothing (a digest does not give the token
back): clients exchange their password for a new token.
"""

from typing import Any

from django.db import migrations
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings

TABLE = "authtoken_token"


def tokens_to_digests(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if TABLE not in connection.introspection.table_names():
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote('key')}, {quote('user_id')} FROM {quote(TABLE)}")  # noqa: S608
        rows = cursor.fetchall()
    token_model = apps.get_model("knox", "AuthToken")
    expiry = timezone.now() + knox_settings.TOKEN_TTL
    token_model.objects.bulk_create(
        token_model(
            digest=hash_token(str(key)),
            token_key=str(key)[: CONSTANTS.TOKEN_KEY_LENGTH],
            user_id=user_id,
            expiry=expiry,
        )
        for key, user_id in rows
    )
    schema_editor.execute(f"DROP TABLE {quote(TABLE)}")
    MigrationRecorder(connection).migration_qs.filter(app="authtoken").delete()
    apps.get_model("contenttypes", "ContentType").objects.filter(app_label="authtoken").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0007_kyc_credentials"),
        ("knox", "0009_extend_authtoken_field"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [
        migrations.RunPython(tokens_to_digests, migrations.RunPython.noop, elidable=False),
    ]
