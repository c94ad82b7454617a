"""Page-number pagination: ``?page=N&page_size=M`` (at most 500 a page)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class StandardPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def paginated_response(request: Request, view: APIView, queryset: Any, serializer: type) -> Response:
    """One page of ``queryset`` rendered with ``serializer``, with the pagination links."""
    paginator = StandardPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


def list_parameters(filterset: Any = None) -> list[OpenApiParameter]:
    """OpenAPI query parameters of a paginated list: its filters, ``page`` and ``page_size``."""
    parameters = [
        OpenApiParameter("page", int, description="Page number, from 1."),
        OpenApiParameter("page_size", int, description="Rows a page (default 50, at most 500)."),
    ]
    if filterset is not None:
        parameters += [OpenApiParameter(name, str) for name in filterset.base_filters]
    return parameters
