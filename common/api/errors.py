"""One JSON error shape for the whole API (DESIGN.md, Platform decisions).

``{"error": {"code": "<stable code>", "message": "<readable>", "details": {...}}}``
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from chain.node.client import RpcError
from common.exceptions import ApplicationError

logger = logging.getLogger(__name__)


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error document for ``code`` and ``message``."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than the server accepts."
    default_code = "request_too_large"


#: PostgreSQL's SQLSTATEs for a transaction that lost a race and was rolled back: serialization
#: failure, deadlock detected, lock not available (PostgreSQL 15 manual, Appendix A). Class 08 is
#: a lost connection.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
#: SQLite's primary result codes for a database held by another writer (SQLITE_BUSY, SQLITE_LOCKED).
TRANSIENT_SQLITE_CODES = frozenset({5, 6})
#: Seconds a client waits before sending the request again (the ``Retry-After`` header).
RETRY_AFTER_SECONDS = 1


def is_transient_database_error(exc: BaseException) -> bool:
    """Whether ``exc`` is the database refusing this attempt rather than the request: a deadlock,
    a serialization failure or a lock it would not wait for (PostgreSQL SQLSTATE 40001, 40P01,
    55P03), a lost connection (class 08, or a driver error with no SQLSTATE), or SQLite busy.
    The transaction was rolled back, so the same request may simply be sent again."""
    if isinstance(exc, InterfaceError):
        return True
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    sqlite_code = getattr(cause, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return (sqlite_code & 0xFF) in TRANSIENT_SQLITE_CODES
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is None:
        return type(cause).__module__.startswith("psycopg")  # the driver lost the server
    return sqlstate in TRANSIENT_SQLSTATES or sqlstate.startswith("08")


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler returning the single error shape; ``None`` lets a 500 through."""
    # Imported here: rest_framework.views loads DEFAULT_PARSER_CLASSES, whose parser imports this
    # module, so a top-level import breaks whoever imports this module first (the middleware).
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.details), status=exc.status_code)
    if isinstance(exc, RpcError):  # the nodes did not answer, or refused: nothing was written
        return Response(
            error_body("chain_unavailable", f"The chain could not answer: {exc}", {"reason": exc.reason}),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    if is_transient_database_error(exc):
        # deadlock, serialization failure, busy or lost database: rolled back, nothing written
        logger.warning("database busy, answered 503: %s", exc, exc_info=exc)
        busy = Response(
            error_body(
                "database_busy",
                "The database could not complete the request this time; nothing was written. "
                "Send it again (with the same Idempotency-Key).",
                {"retry_after_seconds": RETRY_AFTER_SECONDS},
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
        busy["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return busy
    if isinstance(exc, DjangoValidationError):
        details = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return Response(
            error_body("validation_error", "The request is invalid.", details),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body("validation_error", "The request is invalid.", dict(detail))
    elif isinstance(exc, exceptions.ParseError):
        response.data = error_body("malformed_request", str(exc.detail))
    else:
        code = exc.detail.code if isinstance(exc.detail, exceptions.ErrorDetail) else None
        response.data = error_body(str(code or exc.default_code), str(exc.detail))
    return response
