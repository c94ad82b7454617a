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
import re
from collections.abc import Callable
from typing import Any, TypeVar

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.exceptions import IdempotencyKeyReused
from common.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
#: 1 to 255 printable ASCII characters (space included), neither first nor last a space: HTTP
#: strips a header value's surrounding whitespace, so a key cannot begin or end with it. The
#: decorator enforces exactly this and the OpenAPI schema documents exactly this.
KEY_PATTERN = rf"^[!-~](?:[ -~]{{0,{MAX_KEY_LENGTH - 2}}}[!-~])?$"
_KEY_RE = re.compile(KEY_PATTERN)

#: The header as the OpenAPI schema documents it (``common.api.schema`` adds it to every
#: operation whose handler is ``@idempotent``).
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH, "pattern": KEY_PATTERN},
    OpenApiParameter.HEADER,
    required=False,
    description=(
        f"1 to {MAX_KEY_LENGTH} printable ASCII characters, not beginning or ending with a space. "
        "The same key and the same request return the first (2xx) response again, with "
        "`Idempotent-Replayed: true`; the same key with a different request is 422 "
        "`idempotency_key_reused`. Keys are the caller's own, kept `GLOAM_IDEMPOTENCY_TTL_HOURS`."
    ),
)

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
    if not _KEY_RE.fullmatch(key):
        raise exceptions.ValidationError(
            {
                HEADER: [
                    f"Must be 1 to {MAX_KEY_LENGTH} printable ASCII characters, "
                    "not beginning or ending with a space."
                ]
            }
        )


def is_idempotent(handler: object) -> bool:
    """Whether a view method is decorated with :func:`idempotent` (it honours the header)."""
    return bool(getattr(handler, "honours_idempotency_key", False))


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

    wrapper.honours_idempotency_key = True  # type: ignore[attr-defined]
    return wrapper
