"""REST endpoint for the audit trail (``/api/v1/audit-entries/``)."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.pagination import list_parameters, paginated_response
from common.models import AuditEntry
from common.selectors import audit_entry_list


class AuditEntryOutputSerializer(serializers.ModelSerializer[AuditEntry]):
    actor: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor",
            "organisation",
            "action",
            "object_type",
            "object_id",
            "changes",
        ]


class AuditEntryListApi(APIView):
    @extend_schema(
        responses=AuditEntryOutputSerializer(many=True),
        parameters=[*list_parameters(), OpenApiParameter("action", str), OpenApiParameter("object_id", str)],
        summary="Audit trail (compliance officer, regulator, operator)",
    )
    def get(self, request: Request) -> Response:
        queryset = audit_entry_list(
            user=cast(Any, request.user),
            action=request.query_params.get("action"),
            object_id=request.query_params.get("object_id"),
        )
        return paginated_response(request, self, queryset, AuditEntryOutputSerializer)
