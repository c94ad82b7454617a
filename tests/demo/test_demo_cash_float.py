"""The embedded demo's cash float: one mint per broker and custodian, queued once."""

from __future__ import annotations

from demo.services import DEMO_CASH_KIND, demo_cash_float_enqueue
from identity.roles import OrganisationKind
from identity.services import chain_account_create
from ledger.models import ChainSubmission
from tests.factories import OrganisationFactory


def test_the_demo_cash_float_is_queued_once_per_broker_and_custodian(db):
    bank = OrganisationFactory.create(kind=OrganisationKind.CASH_ISSUER)
    brokers = [OrganisationFactory.create(kind=OrganisationKind.BROKER) for _ in range(2)]
    custodian = OrganisationFactory.create(kind=OrganisationKind.CUSTODIAN)
    issuer = OrganisationFactory.create(kind=OrganisationKind.ISSUER)
    for organisation in (bank, *brokers, custodian, issuer):
        chain_account_create(organisation=organisation)
    assert demo_cash_float_enqueue(euros=1_000) == 3
    assert demo_cash_float_enqueue(euros=1_000) == 0
    mints = ChainSubmission.objects.filter(kind=DEMO_CASH_KIND)
    assert {m.subject_id for m in mints} == {str(o.pk) for o in (*brokers, custodian)}
    assert {bytes(m.fn_args)[49:] for m in mints} == {(100_000).to_bytes(8, "little")}
    assert {m.chain_account.organisation_id for m in mints} == {bank.pk}
