"""What proving asks of the apps above it (the hooks pattern of ``identity.hooks``).

``proving`` sits below ``identity`` (DESIGN.md, App layers) and cannot read roles. Identity
registers from its ``AppConfig.ready()`` who sees every proof job
(:func:`register_sees_all_jobs`: regulators, operators, superusers). Until something is
registered only superusers see all; everyone else sees the jobs they requested.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_sees_all_jobs: list[Callable[[Any], bool]] = []


def register_sees_all_jobs(predicate: Callable[[Any], bool]) -> None:
    """Install ``predicate(user) -> bool``: whether ``user`` reads every proof job (a second
    registration replaces the first)."""
    _sees_all_jobs[:] = [predicate]


def sees_all_jobs(user: Any) -> bool:
    """Whether ``user`` reads every proof job: a superuser, or the registered predicate says so."""
    if getattr(user, "is_superuser", False):
        return True
    return bool(_sees_all_jobs and _sees_all_jobs[0](user))
