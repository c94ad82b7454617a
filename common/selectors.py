"""The audit trail's export, CSV or JSON (``GET /api/v1/audit-entries/export/``). Which entries
a user reads is decided above common: ``identity.selectors.scope_audit_entries`` (the search,
``compliance.selectors.audit_entry_list``, narrows by it)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

from common.models import AuditEntry

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
