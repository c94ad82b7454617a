"""Maker-checker: who changed a draft, from the audit trail, and the one check that refuses
the approval (or rejection) of a draft by any of them.

Every user who created, edited (any field), attached a document to or submitted a draft is
a *maker* of it and may not decide on it; a checker is someone who never changed it. The
audit trail (``common.models.AuditEntry``, written in the same transaction as each change)
is the single record of who changed what: :func:`maker_changes` reads the entries whose
action is one of the given *maker actions*. Instruments (``issuance.services``) and
transfer rule sets (``compliance.rulesets``) both use it.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from common.exceptions import PermissionDeniedError
from common.models import AuditEntry
from identity.models import User

_EMPTY: tuple[Any, ...] = (None, "", [], {})


@dataclass(frozen=True)
class MakerChange:
    """One change of a draft: who, what (the audit action and the fields it set), when."""

    user_id: uuid.UUID
    username: str
    action: str
    fields: list[str]
    at: datetime.datetime


def _changed_fields(entry: AuditEntry, ignore: Collection[str]) -> list[str]:
    changes, before = entry.changes or {}, entry.before or {}
    if before:  # a snapshot before and after: the fields whose value differs
        names = [k for k in changes if k in before and before[k] != changes[k]]
    else:  # per-field old → new, or the values set at creation: the non-empty ones
        names = [k for k, v in changes.items() if v not in _EMPTY]
    return sorted(name for name in names if name not in ignore)


def maker_changes(obj: Model, *, actions: Collection[str], ignore: Collection[str] = ()) -> list[MakerChange]:
    """Every change a user made to ``obj`` through one of ``actions``, oldest first."""
    entries = (
        AuditEntry.objects.filter(
            object_type=type(obj)._meta.label,
            object_id=str(obj.pk),
            action__in=list(actions),
            actor__isnull=False,
        )
        .select_related("actor")
        .order_by("created_at", "sequence")
    )
    return [
        MakerChange(
            user_id=entry.actor_id,
            username=entry.actor.username,
            action=entry.action,
            fields=_changed_fields(entry, ignore),
            at=entry.created_at,
        )
        for entry in entries
        if entry.actor is not None and entry.actor_id is not None
    ]


def check_not_maker(
    *,
    actor: User,
    obj: Model,
    actions: Collection[str],
    also: Iterable[uuid.UUID | None] = (),
    message: str,
) -> None:
    """Refuse (403 ``maker_cannot_approve``) if ``actor`` changed ``obj`` (an audited
    ``actions`` entry) or is one of ``also`` (the recorded creator and submitter, for rows
    written before their audit entries or outside the services)."""
    changes = [change for change in maker_changes(obj, actions=actions) if change.user_id == actor.pk]
    if not changes and actor.pk not in set(also):
        return
    fields = sorted({field for change in changes for field in change.fields})
    raise PermissionDeniedError(
        message,
        code="maker_cannot_approve",
        details={
            "maker": actor.username,
            "actions": sorted({change.action for change in changes}),
            "fields": fields,
        },
    )
