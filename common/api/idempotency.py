"""``Idempotency-Key`` support for write endpoints.

Same key and same request: the first response is returned again (header
``Idempotent-Replayed: true``) and nothing is written twice. Same key and a different
request (method, path or body): 422 ``idempotency_key_reused``. Keys are scoped to the
authenticated user and remembered for ``GLOAM_IDEMPOTENCY_TTL_HOURS``.

The write and its idempotency record commit in one transaction: a crash between them
leaves neither, and a retry performs the write once. Only 2xx responses are remembered;
after a 4xx nothing is written and the client may retry with the same key.

The remembered body is encrypted at rest (``IdempotencyRecord.response_body``, Fernet with
``GLOAM_KYC_ENCRYPTION_KEYS``): it may hold KYC attributes or a webhook secret. The record
keeps the ``id`` of the object the body describes (``object_id``), so that erasing a KYC
credential deletes its replay bodies too (``identity.kyc_services.kyc_credential_erase``).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.exceptions import IdempotencyKeyReused
from common.models import IdempotencyRecord

HEADER = "Idempotency-Key"
_MAX_KEY_LENGTH = 255

V = TypeVar("V", bound=APIView)
Handler = Callable[..., Response]


def compute_request_fingerprint(request: Request) -> str:
    """SHA-256 (hex) over the method, the path and the canonical JSON of the body."""
    canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    material = f"{request.method}\n{request.path}\n{canonical}".encode()
    return hashlib.sha256(material).hexdigest()


def _object_id(data: Any) -> str:
    """The ``id`` of the object a response body describes, or ``""``."""
    if isinstance(data, dict) and data.get("id") is not None:
        return str(data["id"])[:64]
    return ""


def _validate_key(key: str) -> None:
    if not key or len(key) > _MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise exceptions.ValidationError(
            {HEADER: [f"Must be 1 to {_MAX_KEY_LENGTH} printable ASCII characters."]}
        )


def idempotent(handler: Handler) -> Handler:
    """Decorate an ``APIView`` write method (``post``, ``put``, ``patch``, ``delete``)."""

    @functools.wraps(handler)
    def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        _validate_key(key)
        fingerprint = compute_request_fingerprint(request)
        with transaction.atomic():
            record, created = IdempotencyRecord.objects.select_for_update().get_or_create(
                user=request.user,
                key=key,
                defaults={
                    "request_fingerprint": fingerprint,
                    "method": request.method or "",
                    "path": request.path,
                },
            )
            if not created:
                if record.request_fingerprint != fingerprint:
                    raise IdempotencyKeyReused(
                        "This Idempotency-Key was already used with a different request.",
                        details={"key": key, "first_used_for": f"{record.method} {record.path}"},
                    )
                replay = Response(record.response_body, status=record.response_status)
                replay["Idempotent-Replayed"] = "true"
                return replay
            response = handler(view, request, *args, **kwargs)
            if 200 <= response.status_code < 300:
                record.response_status = response.status_code
                record.response_body = response.data
                record.object_id = _object_id(response.data)
                record.save(update_fields=["response_status", "response_body", "object_id", "updated_at"])
            else:
                transaction.set_rollback(True)
            return response

    return wrapper
