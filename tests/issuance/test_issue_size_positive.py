"""An instrument issued on the platform has an issue size greater than zero, whatever the entry
point: the API (tests/issuance/test_api_input_ranges.py), the UI's form, the services (so the
importers and the admin too, through ``full_clean``) and the database's constraint
``instrument_issue_size_positive``. Imported reference data may hold 0 when its source gives no
size (TreasuryDirect's auction files have no offering amount); such a security cannot be
tokenized until it has one."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from common.exceptions import InvalidInput
from issuance import services
from issuance.models import Instrument, InstrumentStatus
from tests.issuance.conftest import api_terms

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("size", ["0", "-1"])
def test_the_form_refuses_it(client, maker, bond_terms, size):
    client.force_login(maker)
    response = client.post("/instruments/new/", api_terms(bond_terms) | {"issue_size": size})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The issue size must be greater than zero." in html
    assert not Instrument.objects.exists()


def test_the_service_refuses_it_on_create_and_on_edit(maker, bond_terms):
    with pytest.raises(ValidationError) as raised:
        services.instrument_create(actor=maker, terms=bond_terms | {"issue_size": Decimal(0)})
    assert raised.value.message_dict["issue_size"] == ["The issue size must be greater than zero."]
    assert not Instrument.objects.exists()

    instrument = services.instrument_create(actor=maker, terms=bond_terms)
    with pytest.raises(ValidationError):
        services.instrument_update(actor=maker, instrument_id=instrument.pk, changes={"issue_size": "0"})
    instrument.refresh_from_db()
    assert instrument.issue_size == bond_terms["issue_size"]


def test_the_database_refuses_it(issuer, bond_terms):
    with pytest.raises(IntegrityError), transaction.atomic():
        Instrument.objects.create(**(bond_terms | {"issue_size": Decimal(0)}), issuer=issuer)
    assert not Instrument.objects.exists()


def test_reference_data_without_a_size_is_kept_but_cannot_be_tokenized(issuer, maker, bond_terms):
    imported = Instrument.objects.create(
        **(bond_terms | {"issue_size": Decimal(0)}),
        issuer=issuer,
        status=InstrumentStatus.DRAFT,
        is_reference_data=True,
    )
    with pytest.raises(InvalidInput) as raised:
        services.instrument_tokenize(actor=maker, instrument_id=imported.pk)
    assert raised.value.code == "issue_size_required"
    imported.refresh_from_db()
    assert imported.is_reference_data
    # and the database would not let it become the issuer's own instrument with size 0
    with pytest.raises(IntegrityError), transaction.atomic():
        Instrument.objects.filter(pk=imported.pk).update(is_reference_data=False)
