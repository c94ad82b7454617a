"""Reads of shared records: the audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from common.exceptions import PermissionDeniedError
from common.models import AuditEntry

if TYPE_CHECKING:
    from identity.models import User


def audit_entry_list(
    *, user: User, action: str | None = None, object_id: str | None = None
) -> QuerySet[AuditEntry]:
    """The audit trail the user may read: its organisation's, or all for regulators/operators.

    Raises ``PermissionDeniedError`` for roles that may not read the audit trail.
    """
    from identity.roles import ROLES_READING_AUDIT_TRAIL
    from identity.selectors import scope_to_organisation

    if not (user.is_superuser or user.has_role(*ROLES_READING_AUDIT_TRAIL)):
        raise PermissionDeniedError(
            "Only compliance officers, regulators and operators read the audit trail."
        )
    queryset = scope_to_organisation(
        AuditEntry.objects.select_related("actor", "organisation"), user=user, field="organisation"
    )
    if action:
        queryset = queryset.filter(action=action)
    if object_id:
        queryset = queryset.filter(object_id=object_id)
    return queryset
