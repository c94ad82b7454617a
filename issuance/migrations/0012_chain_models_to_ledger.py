"""Foreign keys to the chain models now name ``ledger`` (they moved from ``identity``, tables
and rows kept): state only, the database constraints already reference those tables."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('issuance', '0011_tx_index'),
        ('ledger', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='ballotvote',
                    name='submission',
                    field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.chainsubmission'),
                ),
                migrations.AlterField(
                    model_name='ballotvote',
                    name='voter',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.chainaccount'),
                ),
                migrations.AlterField(
                    model_name='marketclaim',
                    name='submission',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.chainsubmission'),
                ),
            ],
        ),
    ]
