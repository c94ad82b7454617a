"""The project's OpenAPI generator (``DEFAULT_SCHEMA_CLASS``): the schema says what the API does.

drf-spectacular's ``AutoSchema`` documents the success response of each view. This subclass adds,
in one place for every endpoint, what the shared mechanisms of ``common.api`` really do:

- **Errors.** Every status the shared code can answer with is documented with the one ``Error``
  component (``{"error": {"code", "message", "details"}}``, ``common.api.errors``): 401 and 403
  everywhere, 404 on paths with an id and on paginated lists (a page past the last), 400 where
  there is a body or a query parameter, 409/411/413/415 on writes, 422 on idempotent writes,
  429 where a throttle applies. A view documents more (or different) errors with
  ``extend_schema(responses=...)``; what it states wins.
- **Idempotency.** A write decorated with ``common.api.idempotency.idempotent`` gets the
  ``Idempotency-Key`` header with the pattern and length the decorator enforces; a write that
  is not decorated does not document the header.
- **Pagination.** A GET documented with ``common.api.pagination.list_parameters`` (the
  ``page`` parameter) answers ``paginated_response``'s envelope
  ``{"count", "next", "previous", "results"}``, so its list response is documented as that.
- **Request strings.** A ``CharField`` refuses NUL characters and, unless ``allow_blank``, a
  value that is only whitespace; a ``DecimalField`` refuses the empty string: the request
  schemas say so with a ``pattern``.
- **Tags.** Each operation is tagged with the roles it is for (``common.api.audiences``).
"""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.drainage import warn
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from common.api.audiences import audience_tags
from common.api.idempotency import HEADER as IDEMPOTENCY_HEADER
from common.api.idempotency import IDEMPOTENCY_PARAMETER, is_idempotent
from common.api.pagination import StandardPagination, is_empty_allowed

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class ErrorBodySerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "ErrorBody"

    code = serializers.CharField(help_text="Stable, machine-readable: `validation_error`, `not_found`, ...")
    message = serializers.CharField(help_text="For people; may change.")
    details = serializers.DictField(
        help_text="Per field for a `validation_error` (field name → messages); otherwise as the code says."
    )


class ErrorSerializer(serializers.Serializer[Any]):
    """The one error shape of the API."""

    class Meta:
        ref_name = "Error"

    error = ErrorBodySerializer()


#: What each documented error status means here (docs/api.md, Errors).
ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Invalid input (`validation_error` with `details` per field, `malformed_request`, or a "
    "business rule's code); nothing was written.",
    401: "No or bad credentials (`not_authenticated`, `authentication_failed`).",
    403: "The role does not allow this (`permission_denied` and more specific codes).",
    404: "No such object, or one the caller may not see (`not_found`).",
    409: "Conflicts with the current state (`conflict`, `invalid_transition`, duplicates).",
    411: "A body without `Content-Length` (`length_required`).",
    413: "The body is larger than `GLOAM_MAX_REQUEST_BYTES` (`request_too_large`).",
    415: "A body in a media type this endpoint does not read (`unsupported_media_type`).",
    422: "The `Idempotency-Key` was already used for a different request (`idempotency_key_reused`), "
    "or the content is invalid as a whole.",
    429: "Too many requests (`throttled`); retry after the `Retry-After` seconds.",
    503: "The chain did not answer (`chain_unavailable`); nothing was written.",
}


class GloamAutoSchema(AutoSchema):
    # -- tags --------------------------------------------------------------------------------
    def get_tags(self) -> list[str]:
        tags = audience_tags(self.method, self.path)
        if tags is None:
            warn(f"{self.method} {self.path} has no audience: add it to common.api.audiences.AUDIENCES")
            return super().get_tags()
        return tags

    # -- parameters --------------------------------------------------------------------------
    def _handler(self) -> Any:
        return getattr(self.view, self.method.lower(), None)

    def _is_idempotent(self) -> bool:
        return self.method in WRITE_METHODS and is_idempotent(self._handler())

    def _process_override_parameters(self, direction: str = "request") -> dict[Any, Any]:
        result: dict[Any, Any] = super()._process_override_parameters(direction)
        key = (IDEMPOTENCY_HEADER, OpenApiParameter.HEADER)
        result.pop(key, None)
        if self._is_idempotent():
            result[key] = _build_parameter(IDEMPOTENCY_PARAMETER)
        for parameter in self.get_override_parameters():
            if isinstance(parameter, OpenApiParameter) and is_empty_allowed(parameter):
                built = result.get((parameter.name, parameter.location))
                if built is not None:
                    built["allowEmptyValue"] = True
        return result

    def _is_paginated(self) -> bool:
        return self.method == "GET" and any(
            isinstance(p, OpenApiParameter) and p.name == "page" and p.location == OpenApiParameter.QUERY
            for p in self.get_override_parameters()
        )

    def _get_paginator(self) -> Any:
        if self._is_paginated():
            return StandardPagination()
        return super()._get_paginator()

    # -- request fields ----------------------------------------------------------------------
    def _map_serializer_field(self, field: Any, direction: str, bypass_extensions: bool = False) -> Any:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if not isinstance(schema, dict):
            return schema
        if direction == "response" and _is_nullable_relation(field):
            schema["nullable"] = True
        if direction != "request" or field.read_only:
            return schema
        if isinstance(field, serializers.DecimalField) and schema.get("type") == "string":
            schema["pattern"] = decimal_pattern(field)
        elif (
            type(field) in (serializers.CharField, serializers.EmailField)
            and schema.get("type") == "string"
            and "pattern" not in schema
        ):
            schema["pattern"] = r"^[^\x00]*$" if field.allow_blank else r"^[^\x00]*[^\s\x00][^\x00]*$"
        return schema

    # -- responses ---------------------------------------------------------------------------
    def _error_statuses(self) -> list[int]:
        statuses = {401, 403}
        has_path_parameters = "{" in str(self.path)
        parameters = [
            p
            for p in self.get_override_parameters()
            if not isinstance(p, OpenApiParameter)
            or p.location in (OpenApiParameter.QUERY, OpenApiParameter.HEADER)
        ]
        writes = self.method in WRITE_METHODS
        if has_path_parameters or self._is_paginated() or writes:
            statuses.add(404)  # writes: an object the body names may not exist or be visible
        if writes or parameters:
            statuses.add(400)
        if writes:
            statuses.add(409)
            if self.method != "DELETE":
                statuses.update((411, 413, 415))
        if self._is_idempotent():
            statuses.add(422)
        if self.view is not None and self.view.get_throttles():
            statuses.add(429)
        return sorted(statuses)

    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction)
        for code, response in responses.items():
            if code >= "400" and "content" not in response:  # a view's own error, described only
                documented = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                response["content"] = documented["content"]
        for error_status in self._error_statuses():
            if str(error_status) not in responses:
                responses[str(error_status)] = self._get_response_for_code(
                    _error_response(error_status), str(error_status), direction=direction
                )
        return responses


def _is_nullable_relation(field: Any) -> bool:
    """A read-only related field (``SlugRelatedField(source="created_by")``...) over a nullable
    foreign key renders ``null``; DRF does not say so (``allow_null`` is for input)."""
    if not isinstance(field, serializers.RelatedField) or not field.read_only:
        return False
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    if model is None or not isinstance(field.source, str) or not field.source or "." in field.source:
        return False
    try:
        return bool(model._meta.get_field(field.source).null)
    except FieldDoesNotExist:  # a property, not a model field: leave it as documented
        return False


def _error_response(status: int) -> Any:
    from drf_spectacular.utils import OpenApiResponse

    return OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[status])


def _build_parameter(parameter: OpenApiParameter) -> dict[str, Any]:
    """The OpenAPI object of a parameter whose type is a JSON schema (a dict)."""
    from drf_spectacular.plumbing import build_parameter_type

    return build_parameter_type(
        name=parameter.name,
        schema=dict(cast(dict[str, Any], parameter.type)),
        location=parameter.location,
        required=parameter.required,
        description=parameter.description,
    )


def decimal_pattern(field: serializers.DecimalField) -> str:
    """The strings ``field`` accepts: at least one digit, within its whole and decimal places."""
    places = field.decimal_places or 0
    whole = field.max_whole_digits
    whole_digits = r"\d+" if whole is None else (r"0?" if whole == 0 else rf"\d{{1,{whole}}}")
    sign = "" if field.min_value is not None and field.min_value >= 0 else "-?"
    if places == 0:
        return rf"^{sign}{whole_digits}$"
    return rf"^{sign}(?:{whole_digits}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"
