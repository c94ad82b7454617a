"""Reads of shared records: the audit trail, its search and its export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

from common.exceptions import PermissionDeniedError
from common.filters import AuditEntryFilter
from common.models import AuditEntry

if TYPE_CHECKING:
    from identity.models import User

#: Most rows one export returns (narrow the filters for more).
EXPORT_LIMIT = 100_000

EXPORT_COLUMNS = (
    "sequence",
    "created_at",
    "actor",
    "actor_username",
    "actor_roles",
    "organisation",
    "organisation_name",
    "request_id",
    "action",
    "object_type",
    "object_id",
    "instrument",
    "before",
    "changes",
    "previous_hash",
    "entry_hash",
)


def audit_entry_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[AuditEntry]:
    """The audit trail the user may read (``scope_audit_entries``), newest first, narrowed
    by ``filters`` (``common.filters.AuditEntryFilter``: instrument, organisation, actor,
    action prefix, request_id, object_id, since, until).

    Raises ``PermissionDeniedError`` for roles that may not read the audit trail and
    ``ValidationError`` for a malformed filter value.
    """
    from identity.roles import ROLES_READING_AUDIT_TRAIL
    from identity.selectors import apply_filters

    if not (user.is_superuser or user.has_role(*ROLES_READING_AUDIT_TRAIL)):
        raise PermissionDeniedError(
            "Only compliance officers, regulators and operators read the audit trail."
        )
    queryset = scope_audit_entries(AuditEntry.objects.select_related("actor", "organisation"), user=user)
    return apply_filters(AuditEntryFilter, queryset, filters)


def scope_audit_entries(queryset: QuerySet[AuditEntry], *, user: User) -> QuerySet[AuditEntry]:
    """The entries of ``queryset`` that ``user`` may read: the one place the audit trail's
    read scope is decided (the search, its export, an instrument's history).

    Its own organisation's entries (``identity.selectors.scope_to_organisation``), or every
    organisation's for regulators and operators, except that a regulator does not read what
    concerns another regulator: that regulator organisation's own entries (its users, its
    keys, its listings and downloads of disclosures) and the entries about disclosures sealed
    to it (``disclosure.create``/``seal``/``record``/``failed``, written under the issuer).
    Platform superusers and operators read everything: the operator keeps the chain of
    entries and anchors it."""
    from compliance.models import Disclosure
    from identity.models import Organisation
    from identity.roles import OrganisationKind, Role
    from identity.selectors import scope_to_organisation

    queryset = scope_to_organisation(queryset, user=user, field="organisation")
    if user.is_superuser or user.has_role(Role.OPERATOR) or not user.has_role(Role.REGULATOR):
        return queryset
    own = user.organisation_id
    other_regulators = Organisation.objects.filter(kind=OrganisationKind.REGULATOR).exclude(
        id__in=[own] if own is not None else []
    )
    others_disclosures = [
        str(pk) for pk in Disclosure.objects.exclude(regulator_id=own).values_list("pk", flat=True)
    ]
    return queryset.exclude(organisation__in=other_regulators).exclude(
        object_type=Disclosure._meta.label, object_id__in=others_disclosures
    )


def _export_record(entry: AuditEntry) -> dict[str, Any]:
    from common.services import audit_entry_document

    return {
        "document": audit_entry_document(entry),
        "actor_username": entry.actor.username if entry.actor is not None else None,
        "organisation_name": entry.organisation.legal_name if entry.organisation is not None else None,
        "previous_hash": entry.previous_hash,
        "entry_hash": entry.entry_hash,
    }


def audit_entries_export(queryset: QuerySet[AuditEntry], *, export_format: str) -> Iterator[str]:
    """The entries (oldest first, at most ``EXPORT_LIMIT``) in chunks for streaming.

    ``json``: an array of ``{"document", "actor_username", "organisation_name",
    "previous_hash", "entry_hash"}``, where ``document`` is exactly the hashed content
    (``common.services.audit_entry_document``), so each link can be recomputed with
    ``common.audit_hashing``. ``csv``: one row per entry, columns ``EXPORT_COLUMNS``
    (``before`` and ``changes`` as JSON text)."""
    rows = queryset.order_by("sequence")[:EXPORT_LIMIT].iterator(chunk_size=2000)
    if export_format == "json":
        yield "["
        for index, entry in enumerate(rows):
            yield ("," if index else "") + json.dumps(_export_record(entry), cls=DjangoJSONEncoder)
        yield "]\n"
        return
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for entry in rows:
        record = _export_record(entry)
        flat = {**record["document"], **record}
        writer.writerow(
            [
                json.dumps(flat[c], sort_keys=True, cls=DjangoJSONEncoder)
                if c in ("before", "changes")
                else flat[c]
                for c in EXPORT_COLUMNS
            ]
        )
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()
