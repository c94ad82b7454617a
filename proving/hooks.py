"""What proving asks of the apps above it (the hooks pattern of ``identity.hooks``).

``proving`` sits below ``identity`` (DESIGN.md, App layers) and cannot read roles. Identity
registers from its ``AppConfig.ready()`` who sees every proof job
(:func:`register_sees_all_jobs`: regulators, operators, superusers). Until something is
registered only superusers see all; everyone else sees the jobs they requested. Apps above
register what happens when a job finishes (:func:`register_job_finished`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_sees_all_jobs: list[Callable[[Any], bool]] = []
_job_finished: list[Callable[[Any], None]] = []


def register_sees_all_jobs(predicate: Callable[[Any], bool]) -> None:
    """Install ``predicate(user) -> bool``: whether ``user`` reads every proof job (a second
    registration replaces the first)."""
    _sees_all_jobs[:] = [predicate]


def sees_all_jobs(user: Any) -> bool:
    """Whether ``user`` reads every proof job: a superuser, or the registered predicate says so."""
    if getattr(user, "is_superuser", False):
        return True
    return bool(_sees_all_jobs and _sees_all_jobs[0](user))


def register_job_finished(handler: Callable[[Any], None]) -> None:
    """Install ``handler(job)``, run once when a proof job becomes ``done`` or ``failed``, inside
    the transaction that records it (its writes commit with the outcome or not at all).
    Settlement registers its shielded transfers' handler (``settlement.shielded``): the app
    that asked for a proof consumes it there, e.g. by queueing the proven call in the outbox.
    Registering the same handler twice keeps one."""
    if handler not in _job_finished:
        _job_finished.append(handler)


def job_finished(job: Any) -> None:
    """Run the registered handlers for ``job`` (``proving.services``, on ``done`` or ``failed``)."""
    for handler in list(_job_finished):
        handler(job)
