"""``manage.py settlement_integrity``: passes on a clean book, and names what was left open
or recorded twice after a crash."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ledger.models import ChainAccount, ChainSubmission
from settlement.models import InstructionEvent, InstructionStatus, NettingCycle, SettlementInstruction
from tests.settlement.conftest import URL, side


def _run() -> str:
    out = StringIO()
    call_command("settlement_integrity", "--wait", "0.3", stdout=out)
    return out.getvalue()


def test_a_clean_book_passes(bond, parties):
    parties["a"].post(URL, side(parties, "a"), format="json")
    assert "integrity: ok" in _run()


def test_invalid_open_submission_is_named_after_the_wait(operator_org):
    account = ChainAccount.objects.create(
        organisation=operator_org, public_key="0x" + "11" * 48, encrypted_secret_key=b"x"
    )
    ChainSubmission.objects.create(
        chain_account=account, kind="demo.cash_float", operation="transfer", gas_limit=1, status="submitted"
    )
    with pytest.raises(CommandError, match="submissions left open: 1 submitted"):
        _run()


def test_invalid_instruction_settled_twice_and_cycle_left_settling(bond, parties):
    created = parties["a"].post(URL, side(parties, "a"), format="json").json()
    instruction = SettlementInstruction.objects.get(pk=created["id"])
    instruction.status, instruction.settled_height = InstructionStatus.SETTLED, 7
    instruction.save()
    for _ in range(2):
        InstructionEvent.objects.create(
            instruction=instruction, broker=instruction.broker, status=InstructionStatus.SETTLED
        )
    NettingCycle.objects.create(cycle_date="2026-09-16", status="settling")
    with pytest.raises(CommandError) as failed:
        _run()
    assert f"instructions recorded settled twice: {instruction.pk}" in str(failed.value)
    assert "1 netting cycles not finished" in str(failed.value)
