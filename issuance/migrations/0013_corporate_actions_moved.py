# Corporate actions, market claims and voting moved to the ``corporate_actions`` app (issue 21).
#
# State only: the models leave issuance's migration state here and enter the state of
# ``corporate_actions`` in corporate_actions/0001_initial.py, which depends on this migration.
# The database is not touched: the tables keep their names (``issuance_corporateaction``, ...,
# ``Meta.db_table`` of the new models), so every row, foreign key and index stays as it is.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('issuance', '0012_chain_models_to_ledger'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='MarketClaim'),
                migrations.DeleteModel(name='Entitlement'),
                migrations.DeleteModel(name='CorporateAction'),
                migrations.DeleteModel(name='BallotVote'),
                migrations.DeleteModel(name='Ballot'),
            ],
            database_operations=[],
        ),
    ]
