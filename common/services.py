"""Shared write services: the audit trail, an append-only hash chain.

Every entry commits to its predecessor: ``entry_hash = SHA-256(previous_hash ‖ canonical
JSON of the entry)`` (:func:`compute_audit_hash`), the first entry's predecessor being 64
zeros. Writers take the single ``AuditChainHead`` row with ``select_for_update``, so the
chain has one order even under concurrent writes. Editing, inserting or deleting any row
later breaks the chain from there on, which :func:`audit_chain_verify` (``manage.py
audit_verify``) finds.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder

from common.models import AuditChainHead, AuditEntry

if TYPE_CHECKING:
    from identity.models import Organisation, User

GENESIS_HASH = "0" * 64


def compute_audit_hash(entry: AuditEntry, previous_hash: str) -> str:
    """SHA-256 (hex) of ``previous_hash`` and the entry's canonical JSON: sequence, time
    (ISO 8601, UTC), actor and organisation ids, action, object type and id, changes
    (sorted keys, no spaces, ``DjangoJSONEncoder``)."""
    document = {
        "sequence": entry.sequence,
        "created_at": entry.created_at.isoformat(),
        "actor": None if entry.actor_id is None else str(entry.actor_id),
        "organisation": None if entry.organisation_id is None else str(entry.organisation_id),
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "changes": entry.changes,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(previous_hash.encode("ascii") + canonical.encode("utf-8")).hexdigest()


def audit_entry_create(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    organisation: Organisation | None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one change as the next link of the hash chain. Call inside the transaction
    that makes the change (the chain head stays locked until it commits).

    ``action`` is ``<entity>.<verb>`` (``organisation.create``, ``role.grant``);
    ``changes`` maps field names to their new values (JSON-serialisable).
    """
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
    sequence = head.sequence + 1
    entry = AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=organisation,
        action=action,
        object_type=type(obj)._meta.label,
        object_id=str(obj.pk),
        changes=changes or {},
        sequence=sequence,
        previous_hash=head.entry_hash,
    )
    entry.refresh_from_db(fields=["changes", "created_at"])  # hash what the database holds
    entry.entry_hash = compute_audit_hash(entry, head.entry_hash)
    entry.save(update_fields=["entry_hash"])
    head.sequence, head.entry_hash = sequence, entry.entry_hash
    head.save()
    return entry


@dataclass(frozen=True)
class AuditChainReport:
    entries: int
    head_hash: str
    broken_at: int | None
    """The first sequence whose link does not verify (edited, inserted or after a gap)."""
    reason: str


def audit_chain_verify() -> AuditChainReport:
    """Recompute the chain from the first entry; the first mismatch, if any."""
    previous, expected = GENESIS_HASH, 1
    count = 0
    for entry in AuditEntry.objects.filter(sequence__isnull=False).order_by("sequence").iterator():
        count += 1
        if entry.sequence != expected:
            return AuditChainReport(count, previous, expected, f"entry {expected} is missing")
        if entry.previous_hash != previous:
            return AuditChainReport(count, previous, entry.sequence, "its previous hash does not match")
        if compute_audit_hash(entry, previous) != entry.entry_hash:
            return AuditChainReport(count, previous, entry.sequence, "its content does not match its hash")
        previous, expected = entry.entry_hash, expected + 1
    head = AuditChainHead.objects.filter(id=1).first()
    if head is not None and head.sequence != expected - 1:
        return AuditChainReport(
            count, previous, expected, "entries after it were deleted (the head is further)"
        )
    if head is not None and head.entry_hash != previous:
        return AuditChainReport(
            count, previous, head.sequence, "the chain was rewritten: the head's hash differs"
        )
    return AuditChainReport(count, previous, None, "")
