"""The audit trail is an append-only hash chain: every audited service write extends it, and
editing, deleting or inserting a row in the database is found by the verification command."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from common.models import AuditChainHead, AuditEntry
from common.services import GENESIS_HASH, audit_chain_verify, compute_audit_hash
from identity.roles import Role


@pytest.fixture
def chain(api_client_for, operator, broker_a, make_user):
    """A few real audited actions through the API."""
    back_office = api_client_for(make_user(broker_a, Role.BROKER_BACK_OFFICE))
    for n in range(3):
        back_office.post(
            "/api/v1/client-accounts/",
            {"account_reference": f"AUD-{n}", "name": f"Client {n}", "holder_type": "natural_person"},
        )
    entries = list(AuditEntry.objects.order_by("sequence"))
    assert len(entries) >= 6  # each account and its chain address
    return entries


def test_every_write_extends_one_unbroken_chain(chain):
    assert [e.sequence for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].previous_hash == GENESIS_HASH
    for before, after in zip(chain, chain[1:], strict=False):
        assert after.previous_hash == before.entry_hash
        assert after.entry_hash == compute_audit_hash(after, before.entry_hash)
    assert AuditChainHead.objects.get().entry_hash == chain[-1].entry_hash
    report = audit_chain_verify()
    assert (report.broken_at, report.entries) == (None, len(chain))
    call_command("audit_verify")


def test_invalid_edit_of_one_row_is_detected(chain):
    victim = chain[2]
    AuditEntry.objects.filter(pk=victim.pk).update(changes={"name": "someone else"})
    assert audit_chain_verify().broken_at == victim.sequence
    with pytest.raises(CommandError, match=f"broken at entry {victim.sequence}"):
        call_command("audit_verify")


def test_invalid_deletion_in_the_middle_or_at_the_end_is_detected(chain):
    AuditEntry.objects.filter(pk=chain[-1].pk).delete()
    assert audit_chain_verify().reason.startswith("entries after it were deleted")
    AuditEntry.objects.filter(pk=chain[1].pk).delete()
    assert audit_chain_verify().broken_at == 2


def test_invalid_rewritten_chain_without_the_head_is_detected(chain):
    """Recomputing every hash after an edit still leaves the locked head (and its anchor)
    disagreeing unless the head row is rewritten too."""
    victim = chain[1]
    AuditEntry.objects.filter(pk=victim.pk).update(action="something.else")
    previous = chain[0].entry_hash
    for entry in AuditEntry.objects.filter(sequence__gte=victim.sequence).order_by("sequence"):
        entry.previous_hash = previous
        entry.entry_hash = compute_audit_hash(entry, previous)
        entry.save(update_fields=["previous_hash", "entry_hash"])
        previous = entry.entry_hash
    assert audit_chain_verify().reason.startswith("the chain was rewritten")
