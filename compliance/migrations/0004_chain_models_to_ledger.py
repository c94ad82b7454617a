"""Foreign keys to the chain submissions now name ``ledger`` (they moved from ``identity``,
table and rows kept): state only, the database constraints already reference that table."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('compliance', '0003_disclosure'),
        ('ledger', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='auditanchor',
                    name='submission',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='audit_anchor', to='ledger.chainsubmission'),
                ),
                migrations.AlterField(
                    model_name='complianceaction',
                    name='submission',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.chainsubmission'),
                ),
                migrations.AlterField(
                    model_name='disclosure',
                    name='checkpoint_submission',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.chainsubmission'),
                ),
                migrations.AlterField(
                    model_name='disclosure',
                    name='submission',
                    field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='disclosure', to='ledger.chainsubmission'),
                ),
                migrations.AlterField(
                    model_name='ruleset',
                    name='conditions_submission',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.chainsubmission'),
                ),
                migrations.AlterField(
                    model_name='ruleset',
                    name='limits_submission',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.chainsubmission'),
                ),
            ],
        ),
    ]
