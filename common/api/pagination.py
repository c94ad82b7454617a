"""Page-number pagination: ``?page=N&page_size=M`` (at most 500 a page), and the query
parameters of the hand-written list views as the OpenAPI schema documents them.

``page`` and ``page_size`` are positive whole numbers or empty (the first page, 50 rows): any
other value is a 400 ``validation_error``; a ``page_size`` above 500 is served as 500; a page
after the last is a 404. ``common.api.schema`` documents every list that uses
:func:`list_parameters` as the paginated envelope ``{"count", "next", "previous", "results"}``.
"""

from __future__ import annotations

from typing import Any, cast

import django_filters
from django import forms
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

MAX_PAGE_SIZE = 500


def _positive_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise exceptions.ValidationError({name: ["Must be a positive whole number."]})
    return int(raw)


class StandardPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def paginate_queryset(self, queryset: Any, request: Request, view: APIView | None = None) -> Any:
        _positive_int(request, self.page_query_param)  # DRF would answer 404 for page=x
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request: Request) -> int:
        size = _positive_int(request, self.page_size_query_param)  # DRF would ignore page_size=x
        if size is None:
            return int(self.page_size or 50)
        return min(size, MAX_PAGE_SIZE)

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        envelope = super().get_paginated_response_schema(schema)
        envelope["required"] = ["count", "next", "previous", "results"]
        return envelope


def paginated_response(request: Request, view: APIView, queryset: Any, serializer: type) -> Response:
    """One page of ``queryset`` rendered with ``serializer``, with the pagination links."""
    paginator = StandardPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


class QueryParameter(OpenApiParameter):
    """A query parameter that may be sent empty, meaning "not given" (``allowEmptyValue``)."""

    allow_empty = True


def is_empty_allowed(parameter: OpenApiParameter) -> bool:
    return bool(getattr(parameter, "allow_empty", False))


_POSITIVE = {"type": "integer", "minimum": 1}
_NO_NUL = {"type": "string", "pattern": r"^[^\x00]*$"}


def filter_schema(filter_field: django_filters.Filter) -> dict[str, Any]:
    """The JSON schema of the values a django-filter ``Filter`` accepts (without the empty value)."""
    field = filter_field.field
    if isinstance(field, forms.ChoiceField):
        choices = cast(list[tuple[Any, Any]], list(field.choices))  # type: ignore[arg-type]
        return {"type": "string", "enum": [str(value) for value, _ in choices if value != ""]}
    if isinstance(field, forms.UUIDField):
        return {"type": "string", "format": "uuid"}
    if isinstance(field, forms.DateTimeField):
        return {"type": "string", "format": "date-time"}
    if isinstance(field, forms.DateField):
        return {"type": "string", "format": "date"}
    if isinstance(field, forms.IntegerField) and not isinstance(field, forms.DecimalField):
        return {"type": "integer"}
    if isinstance(field, forms.DecimalField):
        return {"type": "number"}
    return dict(_NO_NUL)


def list_parameters(filterset: Any = None) -> list[OpenApiParameter]:
    """OpenAPI query parameters of a paginated list: its filters, ``page`` and ``page_size``.

    A filter is documented with the type its form field checks (a choice, UUID, date, number
    or text without NUL); an empty value means no filter, as django-filter treats it.
    """
    parameters: list[OpenApiParameter] = [
        QueryParameter("page", dict(_POSITIVE), description="Page number, from 1 (empty: 1)."),
        QueryParameter(
            "page_size",
            dict(_POSITIVE),
            description=f"Rows a page (empty: 50; more than {MAX_PAGE_SIZE} gives {MAX_PAGE_SIZE}).",
        ),
    ]
    if filterset is not None:
        for name, filter_field in filterset.base_filters.items():
            label = filter_field.extra.get("help_text") or filter_field.label
            parameters.append(QueryParameter(name, filter_schema(filter_field), description=str(label or "")))
    return parameters
