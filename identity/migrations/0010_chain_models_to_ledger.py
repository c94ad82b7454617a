"""ChainAccount and ChainSubmission now belong to ``ledger`` (``ledger 0001`` took them over
with their tables): state only, nothing in the database changes. KYC credentials' subject
points at ``ledger.ChainAccount``; the other apps' foreign keys are moved first (the
dependencies), so nothing refers to the old models when they leave the state."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('identity', '0009_tx_index'),
        ('ledger', '0001_initial'),
        ('issuance', '0012_chain_models_to_ledger'),
        ('compliance', '0004_chain_models_to_ledger'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='kyccredential',
                    name='subject',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='kyc_credentials', to='ledger.chainaccount'),
                ),
                migrations.DeleteModel(name='ChainSubmission'),
                migrations.DeleteModel(name='ChainAccount'),
            ],
        ),
    ]
