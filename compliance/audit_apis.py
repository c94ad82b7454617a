"""REST endpoints of the audit trail: ``/api/v1/audit-entries/`` (search) and
``/api/v1/audit-entries/export/`` (CSV or JSON)."""

from __future__ import annotations

from typing import Any, cast

from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.pagination import list_parameters, paginated_response
from common.exceptions import InvalidInput
from common.filters import AuditEntryFilter
from common.models import AuditChainHead, AuditEntry
from common.selectors import audit_entries_export
from common.services import audit_entry_create
from compliance.selectors import audit_entry_list


class AuditEntryOutputSerializer(serializers.ModelSerializer[AuditEntry]):
    actor: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "sequence",
            "created_at",
            "actor",
            "actor_roles",
            "organisation",
            "request_id",
            "action",
            "object_type",
            "object_id",
            "instrument_id",
            "before",
            "changes",
            "previous_hash",
            "entry_hash",
        ]


def _filters(request: Request) -> dict[str, str]:
    return {k: str(v) for k, v in request.query_params.items() if k in AuditEntryFilter.base_filters}


class AuditEntryListApi(APIView):
    @extend_schema(
        responses=AuditEntryOutputSerializer(many=True),
        parameters=list_parameters(AuditEntryFilter),
        summary="Search the audit trail (compliance officer, regulator, operator)",
    )
    def get(self, request: Request) -> Response:
        queryset = audit_entry_list(user=cast(Any, request.user), filters=_filters(request))
        return paginated_response(request, self, queryset, AuditEntryOutputSerializer)


EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


class AuditEntryExportApi(APIView):
    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiTypes.STR,
            (200, "application/json"): {"type": "array", "items": {"type": "object"}},
        },
        parameters=[
            *list_parameters(AuditEntryFilter)[2:],
            OpenApiParameter(
                "export_format", str, enum=list(EXPORT_FORMATS), description="csv (default) or json"
            ),
        ],
        summary="Export the audit trail as CSV or JSON (at most 100,000 entries, oldest first)",
        description=(
            "The same filters as the search. The JSON export carries each entry's hashed document "
            "and its hashes (docs/architecture.md, Audit trail). The export is itself audited."
        ),
    )
    def get(self, request: Request) -> StreamingHttpResponse:
        export_format = request.query_params.get("export_format", "csv")
        if export_format not in EXPORT_FORMATS:
            raise InvalidInput("export_format must be csv or json.", code="invalid_export_format")
        user = cast(Any, request.user)
        filters = _filters(request)
        head = AuditChainHead.objects.filter(id=1).values_list("sequence", flat=True).first() or 0
        queryset = audit_entry_list(user=user, filters=filters).filter(sequence__lte=head)
        with transaction.atomic():  # the export's own entry comes after what it exports
            audit_entry_create(
                actor=user,
                action="audit.export",
                obj=user,
                organisation=user.organisation,
                changes={"format": export_format, "filters": filters},
            )
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response = StreamingHttpResponse(
            audit_entries_export(queryset, export_format=export_format),
            content_type=EXPORT_FORMATS[export_format],
        )
        response["Content-Disposition"] = f'attachment; filename="gloam-audit-{stamp}.{export_format}"'
        return response
