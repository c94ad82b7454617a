"""Page-number pagination: ``?page=N&page_size=M`` (at most 500 a page)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def list_parameters(filterset: Any = None) -> list[OpenApiParameter]:
    """OpenAPI query parameters of a paginated list: its filters, ``page`` and ``page_size``."""
    parameters = [
        OpenApiParameter("page", int, description="Page number, from 1."),
        OpenApiParameter("page_size", int, description="Rows a page (default 50, at most 500)."),
    ]
    if filterset is not None:
        parameters += [OpenApiParameter(name, str) for name in filterset.base_filters]
    return parameters
