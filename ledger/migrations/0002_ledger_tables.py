"""The moved models' tables take ``ledger``'s names (``ledger_chainaccount``,
``ledger_chainsubmission``, ``ledger_tokenholding``, ``ledger_chaincursor``), rows kept.

``ALTER TABLE … RENAME``: PostgreSQL keeps the foreign keys that point at a renamed table
(constraints refer to it by oid) and its indexes; SQLite (3.26 and later) rewrites the other
tables' references to it. The keys are UUIDs and the cursor's a name, so there is no sequence
to carry over. The submissions' named index takes the name Django gives it under the new
table. The content types (and with them permissions and admin log entries) follow the models
to ``ledger``; where ``ledger``'s already exist they are left as they are.
"""

from django.db import migrations

MOVED = {'chainaccount': 'identity', 'chainsubmission': 'identity', 'tokenholding': 'settlement', 'chaincursor': 'settlement'}


def move_content_types(apps, schema_editor, *, forwards=True):
    content_type = apps.get_model('contenttypes', 'ContentType')
    for model, old_app in MOVED.items():
        source, target = (old_app, 'ledger') if forwards else ('ledger', old_app)
        if not content_type.objects.filter(app_label=target, model=model).exists():
            content_type.objects.filter(app_label=source, model=model).update(app_label=target)


def content_types_forwards(apps, schema_editor):
    move_content_types(apps, schema_editor, forwards=True)


def content_types_backwards(apps, schema_editor):
    move_content_types(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('ledger', '0001_initial'),
        ('identity', '0010_chain_models_to_ledger'),
        ('settlement', '0007_read_models_to_ledger'),
    ]

    operations = [
        migrations.RenameIndex(
            model_name='chainsubmission',
            new_name='ledger_chai_chain_a_53e43b_idx',
            old_name='identity_ch_chain_a_bdfe82_idx',
        ),
        migrations.AlterModelTable(name='chainaccount', table=None),
        migrations.AlterModelTable(name='chainsubmission', table=None),
        migrations.AlterModelTable(name='tokenholding', table=None),
        migrations.AlterModelTable(name='chaincursor', table=None),
        migrations.RunPython(content_types_forwards, content_types_backwards),
    ]
