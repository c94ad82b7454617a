"""REST endpoint of the business date: ``/api/v1/business-date/`` (read it; the operator rolls
it forward under the manual clock). ``common.business_date`` has the date and
``identity.business_date_services`` the roll."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from common.business_date import business_date_get
from identity.business_date_services import business_date_roll


class BusinessDateOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "BusinessDate"

    business_date = serializers.DateField(help_text="Today for the platform's business rules.")
    clock = serializers.ChoiceField(
        choices=["system", "manual"],
        help_text="GLOAM_BUSINESS_CLOCK: the system date, or one the operator rolls.",
    )
    system_date = serializers.DateField(help_text="The server's local date.")
    rolled_at = serializers.DateTimeField(allow_null=True, help_text="The last roll (manual clock).")
    rolled_by = serializers.CharField(allow_null=True, help_text="Who made the last roll.")


class BusinessDateRollInputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "BusinessDateRollInput"

    business_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text="The new business date (after the current one); default the next weekday.",
    )


class BusinessDateApi(APIView):
    @extend_schema(responses=BusinessDateOutputSerializer, summary="The platform's business date")
    def get(self, request: Request) -> Response:
        return Response(BusinessDateOutputSerializer(business_date_get()).data)

    @extend_schema(
        request=BusinessDateRollInputSerializer,
        responses={200: BusinessDateOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Roll the business date forward (operator, manual clock); 409 if not forward",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = BusinessDateRollInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        state = business_date_roll(actor=cast(Any, request.user), **data.validated_data)
        return Response(BusinessDateOutputSerializer(state).data)
