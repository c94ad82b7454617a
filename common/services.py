"""Shared write services: the audit trail, an append-only hash chain.

Every entry is a JSON document (:func:`audit_entry_document`: who, which organisation, in
which roles, the request id, what, the values before and after, when) whose content digest
is chained to its predecessor's hash (``common.audit_hashing``: ``entry_hash =
SHA-256(previous_hash ‖ SHA-256(canonical JSON))``, the first predecessor being 32 zero
bytes). Writers take the single ``AuditChainHead`` row with ``select_for_update``, so the
chain has one order even under concurrent writes. Editing, inserting or deleting any row
later breaks the chain from there on, which :func:`audit_chain_verify` (``manage.py
audit_verify``) finds; the compliance app anchors the head on chain so that a rewrite of the
whole chain is found too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django_guid import get_guid

from common.audit_hashing import AUDIT_GENESIS_HASH, compute_audit_content_digest, compute_audit_entry_hash
from common.models import AuditChainHead, AuditEntry

if TYPE_CHECKING:
    # django-stubs reads ``_User`` as settings.AUTH_USER_MODEL (identity's User): common names
    # the user model the way its foreign keys do, without importing the app above it
    from django.contrib.auth.models import _User as User
    from django.db.models import Model

GENESIS_HASH = AUDIT_GENESIS_HASH


def audit_entry_document(entry: AuditEntry) -> dict[str, Any]:
    """The hashed content of ``entry``, in JSON types: sequence, time (ISO 8601, UTC), actor,
    actor roles, organisation, request id, action, object type and id, instrument, and the
    values before and after the change (as the database holds them)."""
    return {
        "sequence": entry.sequence,
        "created_at": entry.created_at.isoformat(),
        "actor": None if entry.actor_id is None else str(entry.actor_id),
        "actor_roles": entry.actor_roles,
        "organisation": None if entry.organisation_id is None else str(entry.organisation_id),
        "request_id": entry.request_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "instrument": entry.instrument_id,
        "before": entry.before,
        "changes": entry.changes,
    }


def compute_audit_hash(entry: AuditEntry, previous_hash: str) -> str:
    """The entry's link in the chain: SHA-256 of ``previous_hash`` and its content digest."""
    return compute_audit_entry_hash(previous_hash, compute_audit_content_digest(audit_entry_document(entry)))


def _instrument_of(obj: Any) -> str:
    if type(obj)._meta.label == "issuance.Instrument":
        return str(obj.pk)
    instrument_id = getattr(obj, "instrument_id", None)
    return "" if instrument_id is None else str(instrument_id)


def audit_entry_create(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    organisation: Model | None,
    changes: dict[str, Any] | None = None,
    before: dict[str, Any] | None = None,
    instrument_id: str | None = None,
) -> AuditEntry:
    """Record one change as the next link of the hash chain. Call inside the transaction
    that makes the change (the chain head stays locked until it commits).

    ``action`` is ``<entity>.<verb>`` (``organisation.create``, ``role.grant``);
    ``changes`` maps field names to their new values and ``before`` to their old ones
    (JSON-serialisable). The request id (``X-Request-ID``, django-guid) and the actor's roles
    are recorded; the instrument is ``instrument_id`` or, if not given, the object's own
    (an instrument, or anything with an ``instrument_id``). ``organisation`` is an
    ``identity.Organisation`` (Django refuses any other model: ``ValueError``).
    """
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
    sequence = head.sequence + 1
    actor = actor if actor is not None and actor.is_authenticated else None
    roles = sorted(actor.role_assignments.values_list("role", flat=True)) if actor is not None else []
    entry = AuditEntry.objects.create(
        actor=actor,
        actor_roles=",".join(roles),
        organisation=organisation,  # type: ignore[misc]  # an identity.Organisation, checked by Django
        request_id=get_guid() or "",
        instrument_id=instrument_id if instrument_id is not None else _instrument_of(obj),
        before=before or {},
        action=action,
        object_type=type(obj)._meta.label,
        object_id=str(obj.pk),
        changes=changes or {},
        sequence=sequence,
        previous_hash=head.entry_hash,
    )
    entry.refresh_from_db(fields=["changes", "before", "created_at"])  # hash what the database holds
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
