"""Proof jobs' reads: a requester sees the jobs they requested; those for whom
``proving.hooks.sees_all_jobs`` holds (superusers; regulators and operators, registered by
identity) see all. A job the caller may not see is "not found", never "forbidden"."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from common.exceptions import NotFoundError
from proving.filters import ProofJobFilter
from proving.hooks import sees_all_jobs
from proving.models import ProofJob

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as User


def proof_job_list(*, user: User, filters: Any = None) -> QuerySet[ProofJob]:
    """The jobs ``user`` may see, newest first; ``filters`` as :class:`ProofJobFilter`
    (invalid values raise ``ValidationError``: the API answers 400)."""
    queryset = ProofJob.objects.select_related("requested_by")
    if not sees_all_jobs(user):
        queryset = queryset.filter(requested_by=user)
    if filters:
        filterset = ProofJobFilter(filters, queryset)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        queryset = filterset.qs
    return queryset.order_by("-created_at")


def proof_job_get(*, user: User, job_id: uuid.UUID) -> ProofJob:
    """One job ``user`` may see; :class:`NotFoundError` otherwise."""
    job = proof_job_list(user=user).filter(id=job_id).first()
    if job is None:
        raise NotFoundError("no such proof job")
    return job
