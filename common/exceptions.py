"""Domain errors. Every error the API returns has one JSON shape (DESIGN.md):

``{"error": {"code": "...", "message": "...", "details": {...}}}``

Services raise subclasses of :class:`ApplicationError`; ``common.api.errors`` maps them.
"""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A domain error with a stable machine-readable ``code`` and an HTTP status."""

    status_code = 400
    code = "application_error"

    def __init__(
        self, message: str, *, code: str | None = None, details: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details or {}


class InvalidInput(ApplicationError):
    """The request is well-formed but its content breaks a business rule (400)."""

    status_code = 400
    code = "invalid_input"


class PermissionDeniedError(ApplicationError):
    """The caller knows the object exists but its role does not allow the action (403)."""

    status_code = 403
    code = "permission_denied"


class NotFoundError(ApplicationError):
    """The object does not exist, or the caller may not know that it exists (404)."""

    status_code = 404
    code = "not_found"


class ConflictError(ApplicationError):
    """The request conflicts with the current state, e.g. a duplicate (409)."""

    status_code = 409
    code = "conflict"


class IdempotencyKeyReused(ApplicationError):
    """The Idempotency-Key was already used with a different request (422)."""

    status_code = 422
    code = "idempotency_key_reused"


class ChainUnavailable(ApplicationError):
    """No chain node answered a read the request needs; nothing was written (503)."""

    status_code = 503
    code = "chain_unavailable"
