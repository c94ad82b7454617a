"""Shared write services: the audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from common.models import AuditEntry

if TYPE_CHECKING:
    from identity.models import Organisation, User


def audit_entry_create(
    *,
    actor: User | None,
    action: str,
    obj: Any,
    organisation: Organisation | None,
    changes: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one change. Call inside the transaction that makes the change.

    ``action`` is ``<entity>.<verb>`` (``organisation.create``, ``role.grant``);
    ``changes`` maps field names to their new values (JSON-serialisable).
    """
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        organisation=organisation,
        action=action,
        object_type=type(obj)._meta.label,
        object_id=str(obj.pk),
        changes=changes or {},
    )
