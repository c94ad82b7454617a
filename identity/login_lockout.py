"""Brute-force protection on logins (django-axes, docs/security.md).

Axes counts failed ``authenticate(request=...)`` calls per username and client IP and, at
``AXES_FAILURE_LIMIT``, refuses that pair until ``AXES_COOLOFF_TIME`` has passed since the last
recorded failure. This module says when a lockout ends and how a refused client is answered:
the API with a 429 in the platform's error shape (:class:`LoginLockedOut`), the login page with
a 429 page (:func:`lockout_response`, axes' ``AXES_LOCKOUT_CALLABLE``).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from common.exceptions import ApplicationError


class LoginLockedOut(ApplicationError):
    """Too many failed logins for this username from this address: retry later (429)."""

    status_code = 429
    code = "login_locked_out"

    def __init__(self, retry_at: datetime) -> None:
        self.retry_after_seconds = retry_after_seconds(retry_at)
        super().__init__(
            "Too many failed login attempts for this user from this address. "
            f"Try again after {retry_at:%Y-%m-%d %H:%M:%S} UTC.",
            details={
                "retry_at": retry_at.isoformat(),
                "retry_after_seconds": self.retry_after_seconds,
            },
        )


def is_locked_out(request: Any) -> bool:
    """Whether axes refused (or just locked out) the login attempted on ``request``."""
    return bool(getattr(request, "axes_locked_out", False))


def lockout_ends_at(request: Any, credentials: dict[str, Any] | None) -> datetime:
    """When the lockout of this request's username and IP ends: the last recorded failure of
    the pair plus the cool-off (now plus the cool-off if axes has no record of it)."""
    cool_off = get_cool_off(request)
    assert cool_off is not None, "AXES_COOLOFF_TIME is set in the base settings"
    username = get_client_username(request, credentials)
    last = AccessAttempt.objects.filter(
        username=username, ip_address=getattr(request, "axes_ip_address", None)
    ).aggregate(last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + cool_off


def retry_after_seconds(retry_at: datetime) -> int:
    return max(1, math.ceil((retry_at - timezone.now()).total_seconds()))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """Axes' answer to a refused login on a page (``/login/``, the admin): a 429 page that
    says when to retry, with a ``Retry-After`` header."""
    retry_at = lockout_ends_at(request, credentials)
    response = render(
        request,
        "registration/locked_out.html",
        {"retry_at": retry_at, "username": get_client_username(request, credentials) or ""},
        status=429,
    )
    response["Retry-After"] = str(retry_after_seconds(retry_at))
    return response
