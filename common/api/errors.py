"""One JSON error shape for the whole API (DESIGN.md, Platform decisions).

``{"error": {"code": "<stable code>", "message": "<readable>", "details": {...}}}``
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response

from chain.node.client import RpcError
from common.exceptions import ApplicationError


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """The error document for ``code`` and ``message``."""
    return {"error": {"code": code, "message": message, "details": details or {}}}


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than the server accepts."
    default_code = "request_too_large"


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
