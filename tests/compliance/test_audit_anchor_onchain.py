"""The audit chain's head is anchored on a real devnet as an operator memo; the verification
command reads the memo back from a node, so even a rewrite of the entries, the head and the
anchor rows in the database is caught."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from common.audit_hashing import AUDIT_GENESIS_HASH, decode_anchor_memo
from common.models import AuditChainHead, AuditEntry
from common.services import audit_entry_create, compute_audit_hash
from compliance.audit import audit_anchor_enqueue, audit_trail_verify, get_anchor_memo_on_chain
from compliance.models import AuditAnchor
from compliance.tasks import audit_anchor


def _settle(chain_platform, anchor: AuditAnchor) -> AuditAnchor:
    chain_platform.settle([anchor.submission])
    anchor.refresh_from_db()
    return anchor


def test_the_head_is_anchored_on_chain_and_checked_there(chain_platform, operator_org, broker_a):
    chain_platform.attach(operator_org, role="operator")
    for n in range(3):
        audit_entry_create(
            actor=None, action="test.write", obj=broker_a, organisation=broker_a, changes={"n": n}
        )
    head = AuditChainHead.objects.get()
    anchor = _settle(chain_platform, audit_anchor_enqueue())
    assert (anchor.status, anchor.sequence, anchor.entry_hash) == ("anchored", head.sequence, head.entry_hash)
    assert anchor.block_height
    assert anchor.tx_id
    assert decode_anchor_memo(get_anchor_memo_on_chain(anchor.tx_id)) == (head.sequence, head.entry_hash)
    assert audit_anchor_enqueue() is None  # nothing new to anchor
    assert audit_anchor() is None  # the beat task agrees
    call_command("audit_verify", "--chain")

    # a later anchor covers the new entries
    audit_entry_create(actor=None, action="test.write", obj=broker_a, organisation=broker_a, changes={"n": 3})
    second = _settle(chain_platform, audit_anchor_enqueue())
    assert second.sequence == head.sequence + 1
    assert second.status == "anchored"
    report = audit_trail_verify(against_chain=True)
    assert report.ok
    assert report.anchors_checked == 2
    assert report.last_anchored_sequence == second.sequence

    # a rewrite of everything in the database: entries, head and the anchor rows
    AuditEntry.objects.filter(sequence=1).update(changes={"n": "forged"})
    previous = AUDIT_GENESIS_HASH
    for entry in AuditEntry.objects.order_by("sequence"):
        entry.previous_hash, entry.entry_hash = previous, compute_audit_hash(entry, previous)
        entry.save(update_fields=["previous_hash", "entry_hash"])
        AuditAnchor.objects.filter(sequence=entry.sequence).update(entry_hash=entry.entry_hash)
        previous = entry.entry_hash
    AuditChainHead.objects.filter(id=1).update(entry_hash=previous)
    assert audit_trail_verify().ok  # the database alone agrees with itself
    problems = audit_trail_verify(against_chain=True).anchor_problems
    assert {p.reason for p in problems} == {"the memo on chain differs from the anchor"}
    with pytest.raises(CommandError, match="memo on chain differs"):
        call_command("audit_verify", "--chain")


def test_without_an_operator_account_nothing_is_queued(db, broker_a):
    audit_entry_create(actor=None, action="test.write", obj=broker_a, organisation=broker_a)
    assert audit_anchor_enqueue() is None
    assert not AuditAnchor.objects.exists()
