"""The chain boundary's models move here from ``identity`` (ChainAccount, ChainSubmission) and
``settlement`` (TokenHolding, ChainCursor), keeping their tables and rows.

State only: the models are created in ``ledger``'s state over the tables they already have
(``db_table`` the old names, the submissions' index its old name), so state and database
agree at every step. ``identity 0010`` and ``settlement 0007`` then drop the old models from
their state, the other apps' foreign keys are pointed at ``ledger`` in state (the database
constraints already reference these tables), and ``ledger 0002`` renames the tables to
``ledger_*``.
"""

import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('identity', '0009_tx_index'),
        ('settlement', '0006_tx_index'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ChainCursor',
                    fields=[
                        ('name', models.CharField(max_length=50, primary_key=True, serialize=False)),
                        ('sequence', models.PositiveBigIntegerField(default=0)),
                        ('height', models.PositiveBigIntegerField(default=0)),
                        ('final_height', models.PositiveBigIntegerField(default=0, help_text="The chain's Final height last seen.")),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        'db_table': 'settlement_chaincursor',
                    },
                ),
                migrations.CreateModel(
                    name='TokenHolding',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('contract', models.CharField(db_index=True, max_length=66)),
                        ('holder', models.CharField(max_length=98)),
                        ('balance', models.DecimalField(decimal_places=0, max_digits=30)),
                        ('last_height', models.PositiveBigIntegerField()),
                        ('last_tx_id', models.CharField(max_length=66)),
                        ('last_changed_at', models.DateTimeField()),
                    ],
                    options={
                        'db_table': 'settlement_tokenholding',
                        'ordering': ['contract', '-balance', 'holder'],
                        'constraints': [models.UniqueConstraint(fields=('contract', 'holder'), name='token_holding_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='ChainAccount',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('public_key', models.CharField(help_text='48-byte compressed BLS12-381 G1 key, 0x-prefixed hex.', max_length=98, unique=True)),
                        ('encrypted_secret_key', models.BinaryField()),
                        ('client_account', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='chain_account', to='identity.clientaccount')),
                        ('organisation', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='chain_account', to='identity.organisation')),
                    ],
                    options={
                        'db_table': 'identity_chainaccount',
                        'constraints': [models.CheckConstraint(condition=models.Q(models.Q(('client_account__isnull', True), ('organisation__isnull', False)), models.Q(('client_account__isnull', False), ('organisation__isnull', True)), _connector='OR'), name='chain_account_one_owner')],
                    },
                ),
                migrations.CreateModel(
                    name='ChainSubmission',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('kind', models.CharField(db_index=True, help_text='What it is for, e.g. instrument.deploy.', max_length=64)),
                        ('subject_type', models.CharField(blank=True, max_length=100)),
                        ('subject_id', models.CharField(blank=True, db_index=True, max_length=64)),
                        ('operation', models.CharField(choices=[('call', 'Contract call'), ('deploy', 'Contract deployment'), ('transfer', 'Transfer of the native token (gas), or a memo')], max_length=8)),
                        ('contract', models.CharField(blank=True, help_text='0x contract id, or genesis:<name> for a genesis contract (resolved when signed).', max_length=80)),
                        ('fn_name', models.CharField(blank=True, max_length=64)),
                        ('fn_args', models.BinaryField(blank=True, default=b'')),
                        ('code_name', models.CharField(blank=True, help_text='Genesis contract code to deploy.', max_length=64)),
                        ('deploy_nonce', models.PositiveBigIntegerField(blank=True, null=True)),
                        ('receiver', models.CharField(blank=True, help_text='Transfer: the receiving public key.', max_length=98)),
                        ('value', models.PositiveBigIntegerField(default=0, help_text='Transfer: Lux.')),
                        ('memo', models.BinaryField(blank=True, default=b'', help_text='Transfer: a memo (at most 512 bytes).')),
                        ('gas_limit', models.PositiveBigIntegerField()),
                        ('status', models.CharField(choices=[('queued', 'Queued'), ('signed', 'Signed'), ('submitted', 'Submitted'), ('included', 'Included'), ('final', 'Final'), ('rejected', 'Rejected')], db_index=True, default='queued', max_length=16)),
                        ('nonce', models.PositiveBigIntegerField(blank=True, null=True)),
                        ('tx_id', models.CharField(blank=True, db_index=True, max_length=66)),
                        ('raw', models.BinaryField(blank=True, null=True)),
                        ('contract_id', models.CharField(blank=True, help_text="The deployed contract's id.", max_length=66)),
                        ('block_height', models.PositiveBigIntegerField(blank=True, null=True)),
                        ('tx_index', models.PositiveIntegerField(blank=True, help_text='0-based position in its block: (block_height, tx_index) orders two transactions.', null=True)),
                        ('finality', models.CharField(blank=True, max_length=16)),
                        ('succeeded', models.BooleanField(blank=True, help_text="The receipt's outcome once included.", null=True)),
                        ('error', models.CharField(blank=True, help_text='Receipt error or node refusal reason.', max_length=200)),
                        ('events', models.JSONField(blank=True, default=list)),
                        ('attempts', models.PositiveIntegerField(default=0)),
                        ('handled', models.BooleanField(default=False, help_text="The kind's outcome handler has run.")),
                        ('after', models.ForeignKey(blank=True, help_text='Not signed before this submission is Final (e.g. the funding of a new account).', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='ledger.chainsubmission')),
                        ('chain_account', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='submissions', to='ledger.chainaccount')),
                    ],
                    options={
                        'db_table': 'identity_chainsubmission',
                        'ordering': ['created_at', 'id'],
                        'indexes': [models.Index(fields=['chain_account', 'status'], name='identity_ch_chain_a_bdfe82_idx')],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('nonce__isnull', False), models.Q(('status', 'rejected'), _negated=True)), fields=('chain_account', 'nonce'), name='chain_submission_nonce_unique')],
                    },
                ),
            ],
        ),
    ]
