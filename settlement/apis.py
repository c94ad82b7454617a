"""REST endpoints of settlement (``/api/v1/settlement-instructions/``, ``/api/v1/settlement-events/``).

Brokers submit their side of each trade, follow its ISO 20022 status and cancel it before
it matches. Views are thin: one service or selector each; scoping and roles are decided by
``settlement.selectors`` and ``settlement.services``.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.idempotency import idempotent
from common.api.pagination import StandardPagination, list_parameters
from identity.apis import IDEMPOTENCY_PARAMETER
from identity.models import User
from settlement import selectors, services
from settlement.filters import InstructionFilter
from settlement.models import InstructionEvent, SettlementInstruction, Side


def _actor(request: Request) -> User:
    return cast(User, request.user)


class InstructionOutputSerializer(serializers.ModelSerializer[SettlementInstruction]):
    isin = serializers.CharField(source="instrument.isin", read_only=True)
    broker_lei = serializers.CharField(source="broker.lei", read_only=True)
    counterparty_lei = serializers.CharField(source="counterparty.lei", read_only=True)
    client_account = serializers.CharField(source="client_account.account_reference", read_only=True)
    matched_with = serializers.SerializerMethodField()

    class Meta:
        model = SettlementInstruction
        fields = [
            "id",
            "reference",
            "broker_lei",
            "client_account",
            "isin",
            "side",
            "quantity",
            "price",
            "trade_date",
            "intended_settlement_date",
            "counterparty_lei",
            "currency",
            "accrued_interest",
            "settlement_amount",
            "status",
            "status_reason",
            "pending_reason",
            "matched_with",
            "match_report",
            "created_at",
            "updated_at",
        ]

    def get_matched_with(self, instruction: SettlementInstruction) -> str | None:
        """The counterparty's reference once matched (its id is not the caller's to see)."""
        matched = instruction.matched_with
        return None if matched is None else matched.reference


class InstructionInputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "SettlementInstructionInput"

    reference = serializers.CharField(max_length=35, help_text="Your own reference (unique per broker).")
    isin = serializers.CharField(max_length=12)
    side = serializers.ChoiceField(choices=Side.choices)
    quantity = serializers.DecimalField(
        max_digits=24, decimal_places=6, help_text="Nominal (bonds) or units (shares, fund units)."
    )
    price = serializers.DecimalField(
        max_digits=20,
        decimal_places=6,
        help_text="Clean price: percent of par for bonds, per unit otherwise.",
    )
    trade_date = serializers.DateField()
    intended_settlement_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Default: T+1 on the instrument's calendar."
    )
    counterparty_lei = serializers.CharField(max_length=20)
    client_account = serializers.CharField(max_length=35, help_text="Your client account's reference.")


class InstructionListCreateApi(APIView):
    """The caller's settlement instructions; a broker submits its side of a trade."""

    @extend_schema(
        responses=InstructionOutputSerializer(many=True),
        summary="List settlement instructions",
        parameters=list_parameters(InstructionFilter),
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.instruction_list(user=_actor(request), filters=request.query_params)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(InstructionOutputSerializer(page, many=True).data)

    @extend_schema(
        request=InstructionInputSerializer,
        responses={201: InstructionOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Submit one side of a trade (broker trader or back office)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = InstructionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        instruction = services.instruction_create(actor=_actor(request), data=data.validated_data)
        return Response(InstructionOutputSerializer(instruction).data, status=status.HTTP_201_CREATED)


class InstructionDetailApi(APIView):
    @extend_schema(responses=InstructionOutputSerializer, summary="One settlement instruction")
    def get(self, request: Request, instruction_id: uuid.UUID) -> Response:
        instruction = selectors.instruction_get(user=_actor(request), instruction_id=instruction_id)
        return Response(InstructionOutputSerializer(instruction).data)


class InstructionCancelApi(APIView):
    @extend_schema(
        request=None,
        responses=InstructionOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Cancel an instruction before it matches",
    )
    @idempotent
    def post(self, request: Request, instruction_id: uuid.UUID) -> Response:
        instruction = services.instruction_cancel(actor=_actor(request), instruction_id=instruction_id)
        return Response(InstructionOutputSerializer(instruction).data)


class InstructionEventOutputSerializer(serializers.ModelSerializer[InstructionEvent]):
    instruction = serializers.UUIDField(source="instruction_id", read_only=True)
    reference = serializers.CharField(source="instruction.reference", read_only=True)

    class Meta:
        model = InstructionEvent
        fields = ["id", "instruction", "reference", "status", "reason", "created_at"]


class InstructionEventListApi(APIView):
    @extend_schema(
        responses=InstructionEventOutputSerializer(many=True),
        summary="Status changes of your instructions after an event id (poll with the last id seen)",
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, description="Last event id seen (default 0)."),
            OpenApiParameter("page", OpenApiTypes.INT),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
    )
    def get(self, request: Request) -> Response:
        try:
            after = max(0, int(request.query_params.get("after", "0")))
        except ValueError as exc:
            raise serializers.ValidationError({"after": ["must be an integer"]}) from exc
        queryset = selectors.instruction_event_list(user=_actor(request), after=after)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(InstructionEventOutputSerializer(page, many=True).data)
