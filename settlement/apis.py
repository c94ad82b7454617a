"""REST endpoints of settlement (``/api/v1/settlement-instructions/``, ``/api/v1/settlement-events/``).

Brokers submit their side of each trade, follow its ISO 20022 status and cancel it before
it matches. Views are thin: one service or selector each; scoping and roles are decided by
``settlement.selectors`` and ``settlement.services``.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from common.api.pagination import QueryParameter, list_parameters, paginated_response
from common.business_date import get_business_date
from common.text import validate_reference
from identity.authentication import request_user
from issuance.conventions import LAST_CALENDAR_DATE, validate_calendar_date
from ledger.models import ChainSubmission, ShieldedNote
from settlement import netting_services, selectors, services, shielded
from settlement.cash import MINOR_UNITS, cash_balance_list, cash_issue
from settlement.fails import fails_report
from settlement.filters import InstructionFilter, ShieldedNoteFilter, ShieldedTransferFilter
from settlement.models import (
    CashLeg,
    InstructionEvent,
    NettingCycle,
    SettlementInstruction,
    ShieldedTransfer,
    Side,
    WebhookEndpoint,
)
from settlement.webhooks import webhook_endpoint_create, webhook_endpoint_delete, webhook_endpoint_update


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
            "cash_leg",
            "accrued_interest",
            "settlement_amount",
            "status",
            "status_reason",
            "pending_reason",
            "matched_with",
            "match_report",
            "settled_height",
            "settled_tx_index",
            "settled_at",
            "failed_on",
            "created_at",
            "updated_at",
        ]

    def get_matched_with(self, instruction: SettlementInstruction) -> str | None:
        """The counterparty's reference once matched (its id is not the caller's to see)."""
        matched = instruction.matched_with
        return None if matched is None else matched.reference


#: The last trade date: T+1 (a few days over a year end's holidays) stays within QuantLib's calendar.
LAST_TRADE_DATE = LAST_CALENDAR_DATE - datetime.timedelta(days=14)


def validate_trade_date(value: datetime.date) -> None:
    """A field validator: within QuantLib's calendar, with room for the settlement date."""
    validate_calendar_date(value)
    if value > LAST_TRADE_DATE:
        raise serializers.ValidationError(
            f"Must be on or before {LAST_TRADE_DATE.isoformat()}.", code="date_out_of_range"
        )


class InstructionInputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "SettlementInstructionInput"

    reference = serializers.CharField(
        max_length=35, validators=[validate_reference], help_text="Your own reference (unique per broker)."
    )
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
    trade_date = serializers.DateField(validators=[validate_trade_date])
    intended_settlement_date = serializers.DateField(
        required=False,
        allow_null=True,
        default=None,
        validators=[validate_calendar_date],
        help_text="Default: T+1 on the instrument's calendar.",
    )
    counterparty_lei = serializers.CharField(max_length=20)
    client_account = serializers.CharField(
        max_length=35, validators=[validate_reference], help_text="Your client account's reference."
    )
    cash_leg = serializers.ChoiceField(
        choices=CashLeg.choices,
        default=CashLeg.PUBLIC,
        help_text="public: the cash token, netted; shielded: a Phoenix payment of your (the "
        "buyer's broker's) shielded cash, settled gross, atomically with the securities. Both sides "
        "must agree (a matching field).",
    )


class InstructionListCreateApi(APIView):
    """The caller's settlement instructions; a broker submits its side of a trade."""

    @extend_schema(
        responses=InstructionOutputSerializer(many=True),
        summary="List settlement instructions",
        parameters=list_parameters(InstructionFilter),
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.instruction_list(user=request_user(request), filters=request.query_params)
        return paginated_response(request, self, queryset, InstructionOutputSerializer)

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
        instruction = services.instruction_create(actor=request_user(request), data=data.validated_data)
        return Response(InstructionOutputSerializer(instruction).data, status=status.HTTP_201_CREATED)


class InstructionDetailApi(APIView):
    @extend_schema(responses=InstructionOutputSerializer, summary="One settlement instruction")
    def get(self, request: Request, instruction_id: uuid.UUID) -> Response:
        instruction = selectors.instruction_get(user=request_user(request), instruction_id=instruction_id)
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
        instruction = services.instruction_cancel(actor=request_user(request), instruction_id=instruction_id)
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
            *list_parameters(),
        ],
    )
    def get(self, request: Request) -> Response:
        try:
            after = max(0, int(request.query_params.get("after", "0")))
        except ValueError as exc:
            raise serializers.ValidationError({"after": ["must be an integer"]}) from exc
        queryset = selectors.instruction_event_list(user=request_user(request), after=after)
        return paginated_response(request, self, queryset, InstructionEventOutputSerializer)


# -- netting cycles (operator) ---------------------------------------------------------------
class NettingCycleOutputSerializer(serializers.ModelSerializer[NettingCycle]):
    instructions = serializers.IntegerField(source="instructions.count", read_only=True)

    class Meta:
        model = NettingCycle
        fields = [
            "id",
            "cycle_date",
            "cash_leg",
            "status",
            "attempt",
            "report",
            "excluded",
            "instructions",
            "settled_height",
            "settled_at",
            "created_at",
        ]


class NettingCycleListCreateApi(APIView):
    @extend_schema(
        responses=NettingCycleOutputSerializer(many=True),
        parameters=list_parameters(),
        summary="Netting cycles (operator, regulator)",
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.netting_cycle_list(user=request_user(request))
        return paginated_response(request, self, queryset, NettingCycleOutputSerializer)

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "NettingCycleInput"

        cycle_date = serializers.DateField(required=False, allow_null=True, default=None)

    @extend_schema(
        request=InputSerializer,
        responses={201: NettingCycleOutputSerializer, 204: None},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Run a netting cycle now over what is due by cycle_date (operator); 204 if nothing is",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cycle = netting_services.netting_cycle_start(
            actor=request_user(request), cycle_date=data.validated_data["cycle_date"]
        )
        if cycle is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(NettingCycleOutputSerializer(cycle).data, status=status.HTTP_201_CREATED)


class NettingCycleDetailApi(APIView):
    @extend_schema(responses=NettingCycleOutputSerializer, summary="One netting cycle with its report")
    def get(self, request: Request, cycle_id: uuid.UUID) -> Response:
        return Response(
            NettingCycleOutputSerializer(
                selectors.netting_cycle_get(user=request_user(request), cycle_id=cycle_id)
            ).data
        )


# -- fails -----------------------------------------------------------------------------------
class FailOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "SettlementFail"

    reference = serializers.CharField()
    isin = serializers.CharField()
    side = serializers.CharField()
    intended_settlement_date = serializers.DateField()
    days_outstanding = serializers.IntegerField()
    penalty_class = serializers.CharField(
        help_text="The CSDR asset class of the Annex of (EU) 2017/389 (e.g. sovereign_debt), or lack_of_cash."
    )
    reason = serializers.CharField()
    failing_party = serializers.BooleanField()
    rate_bps_per_day = serializers.DecimalField(max_digits=10, decimal_places=4)
    penalty = serializers.DecimalField(max_digits=24, decimal_places=2)
    currency = serializers.CharField()


class ParticipantFailsOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "ParticipantFails"

    broker = serializers.CharField()
    lei = serializers.CharField()
    penalties = serializers.DictField(
        child=serializers.DecimalField(max_digits=24, decimal_places=2),
        help_text="Penalty accrued per currency (ISO 4217 code → amount); currencies are never added.",
    )
    instructions = FailOutputSerializer(many=True)


class FailsReportApi(APIView):
    @extend_schema(
        responses=ParticipantFailsOutputSerializer(many=True),
        summary="Fails per participant with days outstanding and the penalty accrued (date: default today)",
        parameters=[QueryParameter("date", OpenApiTypes.DATE, description="Empty: the business date.")],
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("date")
        try:
            today = datetime.date.fromisoformat(raw) if raw else get_business_date()
        except ValueError as exc:
            raise serializers.ValidationError({"date": ["must be YYYY-MM-DD"]}) from exc
        report = fails_report(user=request_user(request), today=today)
        return Response(ParticipantFailsOutputSerializer(report, many=True).data)


# -- webhooks --------------------------------------------------------------------------------
class WebhookEndpointOutputSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "active", "created_at"]


class WebhookEndpointCreatedSerializer(serializers.ModelSerializer[WebhookEndpoint]):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "active", "secret", "created_at"]


class WebhookEndpointListCreateApi(APIView):
    @extend_schema(
        responses=WebhookEndpointOutputSerializer(many=True),
        parameters=list_parameters(),
        summary="Your webhook endpoints",
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.webhook_endpoint_list(user=request_user(request))
        return paginated_response(request, self, queryset, WebhookEndpointOutputSerializer)

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "WebhookEndpointInput"

        url = serializers.URLField(max_length=500)

    @extend_schema(
        request=InputSerializer,
        responses={201: WebhookEndpointCreatedSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Register a webhook endpoint (broker back office); the HMAC secret is shown once",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_create(actor=request_user(request), url=data.validated_data["url"])
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "WebhookEndpointUpdateInput"

        url = serializers.URLField(max_length=500, required=False)
        active = serializers.BooleanField(required=False)

    @extend_schema(
        request=InputSerializer,
        responses={200: WebhookEndpointOutputSerializer},
        summary="Change or deactivate (active=false) one of your webhook endpoints (broker back office)",
    )
    def patch(self, request: Request, endpoint_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint = webhook_endpoint_update(
            actor=request_user(request),
            endpoint_id=endpoint_id,
            url=data.validated_data.get("url"),
            active=data.validated_data.get("active"),
        )
        return Response(WebhookEndpointOutputSerializer(endpoint).data)

    @extend_schema(
        request=None,
        responses={204: None},
        summary="Delete one of your webhook endpoints and its deliveries (broker back office)",
    )
    def delete(self, request: Request, endpoint_id: uuid.UUID) -> Response:
        webhook_endpoint_delete(actor=request_user(request), endpoint_id=endpoint_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- cash ------------------------------------------------------------------------------------
#: The largest amount the cash token's ``mint`` takes: its u64 in minor units (cents).
MAX_CASH_AMOUNT = Decimal(2**64 - 1) / MINOR_UNITS


class CashIssueInputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "CashIssueInput"

    lei = serializers.CharField(max_length=20)
    currency = serializers.CharField(max_length=3, min_length=3)
    amount = serializers.DecimalField(
        max_digits=24,
        decimal_places=2,
        max_value=MAX_CASH_AMOUNT,
        help_text="In the currency; at most what the chain's u64 holds in minor units.",
    )


class CashIssueOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "CashIssueOutput"

    submission = serializers.UUIDField(source="pk")
    status = serializers.CharField()


class CashBalanceOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "CashBalance"

    lei = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField()
    amount = serializers.DecimalField(max_digits=24, decimal_places=2)
    height = serializers.IntegerField(help_text="Block of the last change (Final).")


class CashIssueApi(APIView):
    @extend_schema(
        request=CashIssueInputSerializer,
        responses={202: CashIssueOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Have the cash issuer mint e-money to a participant (operator); settles through the outbox",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = CashIssueInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        submission = cash_issue(actor=request_user(request), **data.validated_data)
        return Response(CashIssueOutputSerializer(submission).data, status=status.HTTP_202_ACCEPTED)


class CashBalanceListApi(APIView):
    @extend_schema(
        responses=CashBalanceOutputSerializer(many=True), summary="Cash balances (Final), yours or all"
    )
    def get(self, request: Request) -> Response:
        return Response(
            CashBalanceOutputSerializer(cash_balance_list(user=request_user(request)), many=True).data
        )


# -- shielded cash (Phoenix notes) -----------------------------------------------------------
class ShieldedBalanceOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "ShieldedBalance"

    lei = serializers.CharField()
    name = serializers.CharField()
    currency = serializers.CharField()
    unspent = serializers.DecimalField(max_digits=24, decimal_places=2, help_text="Unspent notes (Final).")
    pending = serializers.DecimalField(
        max_digits=24, decimal_places=2, help_text="Notes being spent by a transfer not Final yet."
    )
    notes = serializers.IntegerField(help_text="Notes not spent.")
    height = serializers.IntegerField(help_text="The Final height the note scanner has read to.")


class NoteAmountField(serializers.DecimalField):
    """A note's value (integer cents) in units of the shielded currency."""

    def get_attribute(self, instance: ShieldedNote) -> Decimal:
        return Decimal(instance.value) / MINOR_UNITS


class ShieldedNoteOutputSerializer(serializers.ModelSerializer[ShieldedNote]):
    lei = serializers.CharField(source="key.organisation.lei", read_only=True)
    amount = NoteAmountField(
        max_digits=24,
        decimal_places=2,
        read_only=True,
        help_text="In the shielded currency (shielded-balances' currency).",
    )
    chain_status = serializers.SerializerMethodField()

    class Meta:
        model = ShieldedNote
        fields = [
            "position",
            "lei",
            "amount",
            "status",
            "height",
            "tx_id",
            "chain_status",
            "spent_height",
            "spent_tx_id",
            "nullifier",
        ]

    def get_chain_status(self, note: ShieldedNote) -> str:
        """Notes are read from Final blocks only."""
        return "Final"


class ProofJobProgressSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "ShieldedTransferProofJob"

    id = serializers.UUIDField()
    status = serializers.CharField()
    stage = serializers.CharField()
    progress = serializers.IntegerField(help_text="Percent.")
    error_code = serializers.CharField()


class ShieldedTransferOutputSerializer(serializers.ModelSerializer[ShieldedTransfer]):
    lei = serializers.CharField(source="organisation.lei", read_only=True)
    receiver_lei = serializers.CharField(source="receiver.lei", read_only=True, allow_null=True, default=None)
    proof_job = ProofJobProgressSerializer(read_only=True, allow_null=True)
    chain_status = serializers.SerializerMethodField()
    tx_id = serializers.CharField(source="submission.tx_id", read_only=True, allow_null=True, default=None)
    block_height = serializers.IntegerField(
        source="submission.block_height", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = ShieldedTransfer
        fields = [
            "id",
            "kind",
            "lei",
            "receiver_lei",
            "cycle",
            "amount",
            "currency",
            "status",
            "error_code",
            "proof_job",
            "chain_status",
            "tx_id",
            "block_height",
            "created_at",
            "updated_at",
        ]

    def get_chain_status(self, transfer: ShieldedTransfer) -> str | None:
        """The chain transaction's label: Queued, Signed, Submitted, then the block's
        (Accepted … Final), or Rejected; null before the proof is done."""
        submission = transfer.submission
        if submission is None:
            return None
        if submission.finality:
            return submission.finality
        return str(ChainSubmission.Status(submission.status).label)


class ShieldedAmountInputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "ShieldedAmountInput"

    amount = serializers.DecimalField(
        max_digits=24,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_CASH_AMOUNT,
        help_text="In the shielded currency (EUR on the default devnet), whole cents; at most what a "
        "note's u64 holds in cents.",
    )


class ShieldedSendInputSerializer(ShieldedAmountInputSerializer):
    class Meta:
        ref_name = "ShieldedSendInput"

    receiver_lei = serializers.CharField(
        max_length=20, min_length=20, help_text="The receiving broker's LEI."
    )


class ShieldedBalanceListApi(APIView):
    @extend_schema(
        responses=ShieldedBalanceOutputSerializer(many=True),
        summary="Shielded cash per broker (Final notes): yours, or all (regulator, operator)",
    )
    def get(self, request: Request) -> Response:
        balances = shielded.shielded_balance_list(user=request_user(request))
        return Response(ShieldedBalanceOutputSerializer(balances, many=True).data)


class ShieldedNoteListApi(APIView):
    @extend_schema(
        responses=ShieldedNoteOutputSerializer(many=True),
        parameters=list_parameters(ShieldedNoteFilter),
        summary="Shielded notes found in Final blocks (yours, or all for regulator and operator)",
    )
    def get(self, request: Request) -> Response:
        queryset = shielded.shielded_note_list(user=request_user(request), filters=request.query_params)
        return paginated_response(request, self, queryset, ShieldedNoteOutputSerializer)


class ShieldedTransferListApi(APIView):
    @extend_schema(
        responses=ShieldedTransferOutputSerializer(many=True),
        parameters=list_parameters(ShieldedTransferFilter),
        summary="Shielded transfers made by or paid to you (all for regulator and operator)",
    )
    def get(self, request: Request) -> Response:
        queryset = shielded.shielded_transfer_list(user=request_user(request), filters=request.query_params)
        return paginated_response(request, self, queryset, ShieldedTransferOutputSerializer)


class ShieldedTransferDetailApi(APIView):
    @extend_schema(
        responses=ShieldedTransferOutputSerializer,
        summary="One shielded transfer with its proof job's progress and chain status",
    )
    def get(self, request: Request, transfer_id: uuid.UUID) -> Response:
        transfer = shielded.shielded_transfer_get(user=request_user(request), transfer_id=transfer_id)
        return Response(ShieldedTransferOutputSerializer(transfer).data)


class ShieldApi(APIView):
    @extend_schema(
        request=ShieldedAmountInputSerializer,
        responses={202: ShieldedTransferOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Shield public cash into a note of your own (broker back office), through the outbox",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = ShieldedAmountInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        transfer = shielded.shielded_cash_shield(actor=request_user(request), **data.validated_data)
        return Response(ShieldedTransferOutputSerializer(transfer).data, status=status.HTTP_202_ACCEPTED)


class ShieldedSendApi(APIView):
    @extend_schema(
        request=ShieldedSendInputSerializer,
        responses={202: ShieldedTransferOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Pay shielded cash to another broker by LEI (broker back office); proved by a worker",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = ShieldedSendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        transfer = shielded.shielded_cash_send(actor=request_user(request), **data.validated_data)
        return Response(ShieldedTransferOutputSerializer(transfer).data, status=status.HTTP_202_ACCEPTED)


class UnshieldApi(APIView):
    @extend_schema(
        request=ShieldedAmountInputSerializer,
        responses={202: ShieldedTransferOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Unshield cash to your own chain account (broker back office); proved by a worker",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = ShieldedAmountInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        transfer = shielded.shielded_cash_unshield(actor=request_user(request), **data.validated_data)
        return Response(ShieldedTransferOutputSerializer(transfer).data, status=status.HTTP_202_ACCEPTED)
