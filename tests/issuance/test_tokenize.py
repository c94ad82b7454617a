"""Imported reference data (a real Treasury) taken up for issuance by its issuer."""

from __future__ import annotations

import pytest

from common.exceptions import ConflictError, PermissionDeniedError
from identity.roles import OrganisationKind, Role
from issuance import services
from issuance.models import Instrument, InstrumentStatus
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
