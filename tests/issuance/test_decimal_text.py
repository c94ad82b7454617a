"""Quantities in messages and in the register CSV are written as plain decimals: ``1000``,
never ``1E+3`` (``Decimal.normalize`` alone turns round numbers into exponent notation)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from common.exceptions import InvalidInput
from issuance import allocation, register, services
from issuance.models import Instrument, InstrumentStatus
from tests.issuance.conftest import make_bond_terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def bond(maker) -> Instrument:
    instrument = services.instrument_create(actor=maker, terms=make_bond_terms())
    Instrument.objects.filter(pk=instrument.pk).update(
        status=InstrumentStatus.LIVE, contract_id="0x" + "ab" * 32
    )
    instrument.refresh_from_db()
    return instrument


def test_invalid_quantity_messages_write_plain_numbers(maker, bond):
    with pytest.raises(InvalidInput) as refused:
        allocation.compute_units(bond, Decimal("1500"))
    assert str(refused.value) == "The quantity must be a multiple of 1000."
    _, errors = allocation.validate_allocation_rows(
        actor=maker,
        instrument=bond,
        rows=[{"investor_lei": bond.issuer.lei, "quantity": "1000", "price": "1"}],
    )
    assert "E+" not in errors[0].message


def test_invalid_total_message_writes_plain_numbers(maker, bond):
    from identity.services import chain_account_create

    chain_account_create(organisation=bond.issuer)
    rows = [{"investor_lei": bond.issuer.lei, "quantity": "600000000", "price": "100"}]
    _, errors = allocation.validate_allocation_rows(actor=maker, instrument=bond, rows=rows)
    assert [e.message for e in errors] == ["The allocations total 600000000 but only 500000000 is left."]


def test_register_csv_writes_plain_quantities(bond):
    row = register.RegisterRow(
        "00" + "11" * 48, "Fund", "investor", 1000, Decimal("1000000"), Decimal("0.2000"), 7
    )
    holders = register.Register(bond, [row], "final", 9, Decimal("1000000"), Decimal("1000000"))
    lines = register.register_csv(holders).splitlines()
    assert lines[1].split(",")[6:9] == ["1000000", "1000", "0.2"]
