"""Imported reference data (a real Treasury) taken up for issuance by its issuer."""

from __future__ import annotations

import pytest

from common.exceptions import ConflictError, PermissionDeniedError
from identity.roles import OrganisationKind, Role
from issuance import services
from issuance.importers import ImportOutcome
from issuance.management.commands.import_treasury_auctions import DEFAULT_TREASURY_LEI
from issuance.models import Instrument, InstrumentStatus
from issuance.reference_data import SAMPLE_TREASURIES, reference_data_load
from tests.factories import OrganisationFactory
from tests.issuance.conftest import make_bond_terms


def test_the_issuer_tokenizes_its_reference_security_once(issuer, maker, make_user, api_client_for):
    note = Instrument.objects.create(
        **make_bond_terms(), issuer=issuer, is_reference_data=True, source="test"
    )
    other = make_user(OrganisationFactory.create(kind=OrganisationKind.ISSUER), Role.ISSUER_ADMIN)
    with pytest.raises(PermissionDeniedError):
        services.instrument_tokenize(actor=other, instrument_id=note.pk)
    response = api_client_for(maker).post(f"/api/v1/instruments/{note.pk}/tokenize/")
    assert response.status_code == 200
    note.refresh_from_db()
    assert (note.is_reference_data, note.status, note.created_by) == (False, InstrumentStatus.DRAFT, maker)
    with pytest.raises(ConflictError) as again:
        services.instrument_tokenize(actor=maker, instrument_id=note.pk)
    assert again.value.code == "not_reference_data"
    services.instrument_submit(actor=maker, instrument_id=note.pk)  # then the usual workflow
    note.refresh_from_db()
    assert note.status == InstrumentStatus.SUBMITTED


def test_seeding_the_reference_data_again_keeps_a_tokenized_sample(db, make_user):
    """The user's second day: ``make run`` seeds the sample Treasuries again after one of them
    was tokenized (as run_scenario does); the seed keeps the platform's instrument as it is and
    does not stop ``make run``."""
    outcomes = reference_data_load(treasury_lei=DEFAULT_TREASURY_LEI)
    assert ImportOutcome.REJECTED not in outcomes
    note = Instrument.objects.get(cusip=SAMPLE_TREASURIES[1][0])
    maker = make_user(note.issuer, Role.ISSUER_ADMIN)
    services.instrument_tokenize(actor=maker, instrument_id=note.pk)
    services.instrument_submit(actor=maker, instrument_id=note.pk)
    again = reference_data_load(treasury_lei=DEFAULT_TREASURY_LEI)
    assert again.count(ImportOutcome.REJECTED) == 1
    assert again.count(ImportOutcome.UNCHANGED) == len(again) - 1
    note.refresh_from_db()
    assert (note.is_reference_data, note.status) == (False, InstrumentStatus.SUBMITTED)
