"""TokenHolding and ChainCursor now belong to ``ledger`` (``ledger 0001`` took them over with
their tables): state only, nothing in the database changes."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('settlement', '0006_tx_index'),
        ('ledger', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='ChainCursor'),
                migrations.DeleteModel(name='TokenHolding'),
            ],
        ),
    ]
