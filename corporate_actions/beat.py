"""The operator runs the corporate actions beat now (``POST /api/v1/corporate-actions/run-beat/``)
rather than waiting up to ``GLOAM_CORPORATE_ACTION_SECONDS`` for it: after rolling the business
date, for example (``run_scenario --days``). The same Celery task as the beat's, on a worker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction

from common.business_date import get_business_date
from common.exceptions import PermissionDeniedError
from common.services import audit_entry_create
from identity.models import User
from identity.roles import Role


@dataclass(frozen=True)
class BeatRequest:
    task_id: str
    business_date: str


@transaction.atomic
def corporate_actions_tick_request(*, actor: User) -> BeatRequest:
    """Queue ``corporate_actions.tasks.corporate_actions_tick`` (propose, record, entitle, pay as of the
    business date) when this transaction commits. Operator only (``PermissionDeniedError``);
    audited as ``corporate_action.run_beat``. Returns the Celery task id."""
    from corporate_actions.tasks import corporate_actions_tick

    if not actor.has_role(Role.OPERATOR):
        raise PermissionDeniedError("Only the operator runs the corporate actions beat.")
    task_id, today = str(uuid.uuid4()), get_business_date()
    audit_entry_create(
        actor=actor,
        action="corporate_action.run_beat",
        obj=actor,
        organisation=actor.organisation,
        changes={"task_id": task_id, "business_date": str(today)},
    )
    transaction.on_commit(lambda: corporate_actions_tick.apply_async(task_id=task_id))
    return BeatRequest(task_id=task_id, business_date=str(today))
