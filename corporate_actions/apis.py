"""REST endpoints of corporate actions (``/api/v1/corporate-actions/…``, ``/api/v1/entitlements/``).

Thin views, one per operation: validate with the ``InputSerializer``, call one service
(``corporate_actions.services``) or selector (``corporate_actions.selectors``),
render with an output serializer. Who may do what is decided by those modules.
"""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from common.api.pagination import list_parameters, paginated_response
from corporate_actions import selectors, services
from corporate_actions.beat import corporate_actions_tick_request
from corporate_actions.models import CorporateAction, CorporateActionKind, Entitlement, MarketClaim
from identity.authentication import request_user


class CorporateActionOutputSerializer(serializers.ModelSerializer[CorporateAction]):
    isin = serializers.CharField(source="instrument.isin", read_only=True)
    currency = serializers.CharField(source="instrument.currency", read_only=True)
    proposed_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    approved_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = CorporateAction
        fields = [
            "id",
            "instrument",
            "isin",
            "currency",
            "kind",
            "status",
            "source",
            "record_date",
            "ex_date",
            "payment_date",
            "accrual_start",
            "accrual_end",
            "amount_per_unit",
            "principal_per_unit",
            "call_fraction",
            "split_numerator",
            "split_denominator",
            "declared_total",
            "paid_total",
            "withheld_total",
            "remainder",
            "checkpoint_number",
            "checkpoint_height",
            "checkpoint_tx_index",
            "paid_height",
            "failure_reason",
            "proposed_by",
            "approved_by",
            "created_at",
            "updated_at",
        ]


class EntitlementOutputSerializer(serializers.ModelSerializer[Entitlement]):
    isin = serializers.CharField(source="action.instrument.isin", read_only=True)
    currency = serializers.CharField(source="action.instrument.currency", read_only=True)
    kind = serializers.CharField(source="action.kind", read_only=True)
    event_status = serializers.CharField(source="action.status", read_only=True)
    record_date = serializers.DateField(source="action.record_date", read_only=True)
    payment_date = serializers.DateField(source="action.payment_date", read_only=True)
    client_account = serializers.CharField(
        source="client_account.account_reference", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Entitlement
        fields = [
            "id",
            "action",
            "isin",
            "currency",
            "kind",
            "event_status",
            "record_date",
            "payment_date",
            "holder",
            "holder_name",
            "holder_kind",
            "client_account",
            "units",
            "position",
            "gross",
            "withholding_country",
            "withholding_rate",
            "withheld",
            "net",
            "instruction_id",
            "redeem_units",
            "units_after",
        ]


class MarketClaimOutputSerializer(serializers.ModelSerializer[MarketClaim]):
    isin = serializers.CharField(source="action.instrument.isin", read_only=True)
    currency = serializers.CharField(source="action.instrument.currency", read_only=True)
    kind = serializers.CharField(source="action.kind", read_only=True)
    record_date = serializers.DateField(source="action.record_date", read_only=True)
    ex_date = serializers.DateField(source="action.ex_date", read_only=True)
    trade_reference = serializers.CharField(source="buy_instruction.reference", read_only=True)
    trade_date = serializers.DateField(source="buy_instruction.trade_date", read_only=True)
    settled_height = serializers.IntegerField(source="buy_instruction.settled_height", read_only=True)
    buyer_account = serializers.CharField(
        source="buyer_account_ref",
        read_only=True,
        allow_null=True,
        help_text="The buyer's client account: null to the seller's broker.",
    )
    seller_account = serializers.CharField(
        source="seller_account_ref",
        read_only=True,
        allow_null=True,
        help_text="The seller's client account: null to the buyer's broker.",
    )

    class Meta:
        model = MarketClaim
        fields = [
            "id",
            "action",
            "isin",
            "currency",
            "kind",
            "record_date",
            "ex_date",
            "trade_reference",
            "trade_date",
            "settled_height",
            "buyer",
            "buyer_account",
            "seller",
            "seller_account",
            "units",
            "amount",
            "status",
            "failure_reason",
            "paid_height",
            "created_at",
        ]


class CorporateActionListCreateApi(APIView):
    """Corporate actions the user may see; an issuer admin proposes one (``draft``)."""

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "CorporateActionCreate"

        instrument = serializers.UUIDField()
        kind = serializers.ChoiceField(choices=CorporateActionKind.choices)
        payment_date = serializers.DateField(
            help_text="Business-day adjusted; a coupon's must be in the schedule."
        )
        record_date = serializers.DateField(
            required=False, help_text="Default: payment date − 1 business day."
        )
        ex_date = serializers.DateField(required=False, help_text="Default: the record date (T+1).")
        amount_per_unit = serializers.DecimalField(
            max_digits=30,
            decimal_places=12,
            required=False,
            help_text="Dividend per share or unit; for a split, the price per new unit for fractions.",
        )
        redemption_price = serializers.DecimalField(
            max_digits=12, decimal_places=6, required=False, help_text="Percent of face (default 100)."
        )
        call_fraction = serializers.DecimalField(
            max_digits=11,
            decimal_places=10,
            required=False,
            help_text="Partial redemption: the fraction of each holding called (0 < f < 1).",
        )
        split_numerator = serializers.IntegerField(
            required=False,
            min_value=1,
            max_value=services.MAX_SPLIT_TERM,
            help_text="Split or reverse split: new units for every `split_denominator` old units.",
        )
        split_denominator = serializers.IntegerField(
            required=False, min_value=1, max_value=services.MAX_SPLIT_TERM, help_text="Split: the old units."
        )

    @extend_schema(
        responses=CorporateActionOutputSerializer(many=True),
        parameters=list_parameters(selectors.CorporateActionFilter),
        summary="List corporate actions",
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.corporate_action_list(user=request_user(request), filters=request.query_params)
        return paginated_response(request, self, queryset, CorporateActionOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: CorporateActionOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Propose a coupon, dividend, redemption or split (issuer admin)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        numerator, denominator = values.pop("split_numerator", None), values.pop("split_denominator", None)
        if numerator is not None and denominator is not None:
            values["split_ratio"] = (numerator, denominator)
        action = services.corporate_action_create(
            actor=request_user(request),
            instrument_id=values.pop("instrument"),
            **values,
        )
        return Response(CorporateActionOutputSerializer(action).data, status=status.HTTP_201_CREATED)


class RunBeatOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "CorporateActionRunBeat"

    task_id = serializers.CharField(help_text="The Celery task that runs the beat.")
    business_date = serializers.DateField(help_text="The business date the request was made on.")


class CorporateActionRunBeatApi(APIView):
    @extend_schema(
        request=None,
        responses={202: RunBeatOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Run the corporate actions beat now on a worker (operator): propose, record, entitle, pay",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        queued = corporate_actions_tick_request(actor=request_user(request))
        return Response(RunBeatOutputSerializer(queued).data, status=status.HTTP_202_ACCEPTED)


class CorporateActionDetailApi(APIView):
    @extend_schema(responses=CorporateActionOutputSerializer, summary="One corporate action")
    def get(self, request: Request, action_id: uuid.UUID) -> Response:
        action = selectors.corporate_action_get(user=request_user(request), action_id=action_id)
        return Response(CorporateActionOutputSerializer(action).data)


class CorporateActionSubmitApi(APIView):
    @extend_schema(
        request=None,
        responses=CorporateActionOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Submit a draft for approval (issuer admin)",
    )
    @idempotent
    def post(self, request: Request, action_id: uuid.UUID) -> Response:
        action = services.corporate_action_submit(actor=request_user(request), action_id=action_id)
        return Response(CorporateActionOutputSerializer(action).data)


class CorporateActionApproveApi(APIView):
    @extend_schema(
        request=None,
        responses=CorporateActionOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Approve (issuer approver other than the proposer)",
    )
    @idempotent
    def post(self, request: Request, action_id: uuid.UUID) -> Response:
        action = services.corporate_action_approve(actor=request_user(request), action_id=action_id)
        return Response(CorporateActionOutputSerializer(action).data)


class CorporateActionCancelApi(APIView):
    @extend_schema(
        request=None,
        responses=CorporateActionOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Cancel before the record checkpoint (issuer admin)",
    )
    @idempotent
    def post(self, request: Request, action_id: uuid.UUID) -> Response:
        action = services.corporate_action_cancel(actor=request_user(request), action_id=action_id)
        return Response(CorporateActionOutputSerializer(action).data)


class PreviewRowSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "EntitlementPreviewRow"

    holder = serializers.CharField()
    units = serializers.IntegerField()
    position = serializers.DecimalField(max_digits=30, decimal_places=6)
    gross = serializers.DecimalField(max_digits=30, decimal_places=2)
    country = serializers.CharField()
    withholding_rate = serializers.DecimalField(max_digits=7, decimal_places=4)
    withheld = serializers.DecimalField(max_digits=30, decimal_places=2)
    net = serializers.DecimalField(max_digits=30, decimal_places=2)


class PreviewSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "EntitlementPreview"

    basis = serializers.CharField(help_text="`latest Final holdings` or `record checkpoint N`.")
    declared_total = serializers.DecimalField(max_digits=40, decimal_places=12)
    paid_total = serializers.DecimalField(max_digits=30, decimal_places=2)
    withheld_total = serializers.DecimalField(max_digits=30, decimal_places=2)
    net_total = serializers.DecimalField(max_digits=30, decimal_places=2)
    remainder = serializers.DecimalField(max_digits=40, decimal_places=12)
    rows = PreviewRowSerializer(many=True)


class CorporateActionPreviewApi(APIView):
    @extend_schema(
        responses=PreviewSerializer,
        summary="Entitlements of an event (issuer): projected, or from the record checkpoint",
    )
    def get(self, request: Request, action_id: uuid.UUID) -> Response:
        _, sheet, basis = selectors.corporate_action_preview(user=request_user(request), action_id=action_id)
        return Response(
            PreviewSerializer(
                {
                    "basis": basis,
                    "declared_total": sheet.declared_total,
                    "paid_total": sheet.paid_total,
                    "withheld_total": sheet.withheld_total,
                    "net_total": sheet.net_total,
                    "remainder": sheet.remainder,
                    "rows": sheet.rows,
                }
            ).data
        )


class EntitlementListApi(APIView):
    @extend_schema(
        responses=EntitlementOutputSerializer(many=True),
        parameters=list_parameters(selectors.EntitlementFilter),
        summary="Entitlements: a broker's own and its client accounts', an issuer's holders'",
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.entitlement_list(user=request_user(request), filters=request.query_params)
        return paginated_response(request, self, queryset, EntitlementOutputSerializer)


class MarketClaimListApi(APIView):
    @extend_schema(
        responses=MarketClaimOutputSerializer(many=True),
        parameters=list_parameters(selectors.MarketClaimFilter),
        summary="Market claims: trades struck before the ex-date, settled after the record date",
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.market_claim_list(user=request_user(request), filters=request.query_params)
        return paginated_response(request, self, queryset, MarketClaimOutputSerializer)
