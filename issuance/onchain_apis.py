"""REST endpoints of issuance on chain: primary allocation, the register and its
checkpoints, and the retry of a failed deployment (``/api/v1/instruments/{id}/…``).

Thin views, one per operation: validate with the ``InputSerializer``, call one service
(``issuance.allocation``, ``issuance.register``, ``issuance.deployment``) or selector, render
with an output serializer. Who may do what is decided by those modules.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import renderers, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from common.api.pagination import QueryParameter, list_parameters, paginated_response
from common.exceptions import ApplicationError, InvalidInput
from identity.authentication import request_user
from issuance import allocation, deployment, register, selectors
from issuance.apis import InstrumentOutputSerializer
from issuance.models import Allocation, AllocationBatch, AllocationStatus, InstrumentCheckpoint
from ledger.models import ChainSubmission
from ledger.selectors import indexer_position


class InvalidAllocations(ApplicationError):
    """Some allocation rows are invalid (422); ``details.rows`` lists every error."""

    status_code = 422
    code = "invalid_allocations"


class AllocationOutputSerializer(serializers.ModelSerializer[Allocation]):
    investor_lei = serializers.CharField(source="investor.lei", read_only=True, allow_null=True, default=None)
    client_account = serializers.CharField(
        source="client_account.account_reference", read_only=True, allow_null=True, default=None
    )
    broker_lei = serializers.CharField(
        source="client_account.broker.lei", read_only=True, allow_null=True, default=None
    )
    investor_name = serializers.CharField(read_only=True)

    class Meta:
        model = Allocation
        fields = [
            "id",
            "batch",
            "investor_lei",
            "broker_lei",
            "client_account",
            "investor_name",
            "quantity",
            "price",
            "settlement_amount",
            "status",
            "dvp_instruction_id",
            "failure_reason",
            "settled_height",
            "created_at",
            "updated_at",
        ]


class AllocationBatchOutputSerializer(serializers.ModelSerializer[AllocationBatch]):
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    allocations = AllocationOutputSerializer(many=True, read_only=True)

    class Meta:
        model = AllocationBatch
        fields = ["id", "instrument", "source", "created_by", "created_at", "allocations"]


class AllocationRowInputSerializer(serializers.Serializer[Any]):
    """One row: ``investor_lei``, or ``broker_lei`` and ``client_account``; decimal strings."""

    class Meta:
        ref_name = "AllocationRow"

    investor_lei = serializers.CharField(required=False, allow_blank=True, default="")
    broker_lei = serializers.CharField(required=False, allow_blank=True, default="")
    client_account = serializers.CharField(required=False, allow_blank=True, default="")
    quantity = serializers.CharField(
        help_text="Nominal (a multiple of the minimum denomination) or units, as the issue size."
    )
    price = serializers.CharField(help_text="Percent of nominal, or per unit for a unit-sized issue.")


class AllocationListCreateApi(APIView):
    """An instrument's primary allocations: listed to the issuer, regulators and operators;
    created by an issuer admin of a live instrument."""

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "AllocationBatchCreate"

        rows = serializers.ListField(
            child=AllocationRowInputSerializer(), min_length=1, max_length=allocation.MAX_CSV_ROWS
        )

    @extend_schema(
        responses=AllocationOutputSerializer(many=True),
        parameters=[
            QueryParameter("status", str, enum=AllocationStatus.values, description="Only this status."),
            *list_parameters(),
        ],
        summary="List an instrument's allocations (issuer, regulator, operator)",
    )
    def get(self, request: Request, instrument_id: uuid.UUID) -> Response:
        queryset = selectors.allocation_list(
            user=request_user(request), instrument_id=instrument_id, status=request.query_params.get("status")
        )
        return paginated_response(request, self, queryset, AllocationOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: AllocationBatchOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Allocate a live instrument (issuer admin); every row valid or nothing is saved",
        description=(
            "Each row becomes one DvP instruction against the EUR cash token, queued on chain; "
            "follow the allocations' status. If any row is invalid the answer is 422 "
            "`invalid_allocations` with `details.rows`: `[{row, field, message}]`, `row` the "
            "1-based position in `rows` (0: the batch as a whole, e.g. more than is left of "
            "the issue); nothing is saved or sent."
        ),
    )
    @idempotent
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = [{k: str(v).strip() for k, v in row.items()} for row in data.validated_data["rows"]]
        try:
            batch = allocation.allocation_batch_create(
                actor=request_user(request), instrument_id=instrument_id, rows=rows, source="api"
            )
        except InvalidInput as exc:
            if exc.code != "invalid_allocations":
                raise
            # The service numbers rows as CSV lines (the header is line 1): renumber by position.
            errors = [{**e, "row": max(int(e["row"]) - 1, 0)} for e in exc.details.get("rows", [])]
            raise InvalidAllocations(exc.message, details={"rows": errors}) from exc
        return Response(AllocationBatchOutputSerializer(batch).data, status=status.HTTP_201_CREATED)


class RegisterHolderOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "RegisterHolder"

    address = serializers.CharField(help_text="The holder's 49-byte chain Address, 0x hex.")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["issuer", "investor", "client account", "unknown"])
    quantity = serializers.DecimalField(
        max_digits=30, decimal_places=6, help_text="In the issue-size unit (nominal or units)."
    )
    units = serializers.IntegerField(help_text="Token units.")
    percent = serializers.DecimalField(max_digits=9, decimal_places=4, help_text="Percent of the issue size.")
    last_change_height = serializers.IntegerField(
        allow_null=True, help_text="Null at a checkpoint (the token's snapshot does not say)."
    )


class IndexerOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "IndexerPosition"

    height = serializers.IntegerField(help_text="Height of the last event applied.")
    final_height = serializers.IntegerField(help_text="The chain's Final height the indexer last saw.")
    updated_at = serializers.DateTimeField()


class RegisterOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "Register"

    instrument = serializers.UUIDField()
    isin = serializers.CharField()
    at = serializers.CharField(help_text="`final` or `checkpoint N`.")
    checkpoint = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(help_text="The Final height the holdings are at.")
    issue_size = serializers.DecimalField(max_digits=30, decimal_places=6)
    issued = serializers.DecimalField(max_digits=30, decimal_places=6)
    outstanding = serializers.DecimalField(
        max_digits=30, decimal_places=6, help_text="Issued minus what the issuer itself holds."
    )
    indexer = IndexerOutputSerializer(allow_null=True)
    holders = RegisterHolderOutputSerializer(many=True)


CHECKPOINT_PARAMETER = OpenApiParameter(
    "checkpoint", int, description="A recorded checkpoint's number; the latest Final block without it."
)


def _register(request: Request, instrument_id: uuid.UUID) -> tuple[register.Register, int | None]:
    raw = request.query_params.get("checkpoint")
    if not raw:
        return register.instrument_register(user=request_user(request), instrument_id=instrument_id), None
    try:
        number = int(raw)
    except ValueError as exc:
        raise InvalidInput(
            "checkpoint must be a number.",
            code="validation_error",
            details={"checkpoint": ["A whole number."]},
        ) from exc
    return (
        register.instrument_register_at_checkpoint(
            user=request_user(request), instrument_id=instrument_id, number=number
        ),
        number,
    )


class RegisterApi(APIView):
    @extend_schema(
        responses=RegisterOutputSerializer,
        parameters=[CHECKPOINT_PARAMETER],
        summary="The holder register from Final chain state (issuer, regulator, operator)",
    )
    def get(self, request: Request, instrument_id: uuid.UUID) -> Response:
        holders, number = _register(request, instrument_id)
        body = {
            "instrument": holders.instrument.pk,
            "isin": holders.instrument.isin,
            "at": holders.at,
            "checkpoint": number,
            "height": holders.height,
            "issue_size": holders.issue_size,
            "issued": holders.issued,
            "outstanding": holders.outstanding,
            "indexer": indexer_position(),
            "holders": [
                {
                    "address": "0x" + row.holder,
                    "name": row.name,
                    "kind": row.kind,
                    "quantity": row.quantity,
                    "units": row.units,
                    "percent": row.percent,
                    "last_change_height": row.last_height,
                }
                for row in holders.rows
            ],
        }
        return Response(RegisterOutputSerializer(body).data)


class CsvRenderer(renderers.BaseRenderer):
    """``text/csv``; an error document (a dict) is written as JSON."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return (data if isinstance(data, str) else json.dumps(data)).encode("utf-8")


class RegisterCsvApi(APIView):
    renderer_classes = [renderers.JSONRenderer, CsvRenderer]

    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR},
        parameters=[CHECKPOINT_PARAMETER],
        summary="The register as CSV (issuer, regulator, operator)",
        description=(
            "Columns: isin, at, height, holder_address, holder, kind, quantity, units, "
            "percent_of_issue, last_change_height."
        ),
    )
    def get(self, request: Request, instrument_id: uuid.UUID) -> HttpResponse:
        holders, number = _register(request, instrument_id)
        at = "final" if number is None else f"checkpoint-{number}"
        response = HttpResponse(register.register_csv(holders), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{holders.instrument.isin}-register-{at}.csv"'
        )
        return response


class CheckpointOutputSerializer(serializers.ModelSerializer[InstrumentCheckpoint]):
    class Meta:
        model = InstrumentCheckpoint
        fields = ["number", "height", "total_supply", "holder_count", "created_at"]


class ChainSubmissionOutputSerializer(serializers.ModelSerializer[ChainSubmission]):
    class Meta:
        model = ChainSubmission
        fields = [
            "id",
            "kind",
            "status",
            "tx_id",
            "block_height",
            "finality",
            "succeeded",
            "error",
            "created_at",
        ]


class CheckpointListCreateApi(APIView):
    @extend_schema(
        responses=CheckpointOutputSerializer(many=True),
        summary="An instrument's recorded (Final) checkpoints, newest first",
    )
    def get(self, request: Request, instrument_id: uuid.UUID) -> Response:
        checkpoints = selectors.instrument_checkpoint_list(
            user=request_user(request), instrument_id=instrument_id
        )
        return Response(CheckpointOutputSerializer(checkpoints, many=True).data)

    @extend_schema(
        request=None,
        responses={202: ChainSubmissionOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Ask the token for a checkpoint (issuer admin, live instrument)",
        description="Queued on chain; it is listed once its block is Final.",
    )
    @idempotent
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        submission = register.instrument_checkpoint_create(
            actor=request_user(request), instrument_id=instrument_id
        )
        return Response(ChainSubmissionOutputSerializer(submission).data, status=status.HTTP_202_ACCEPTED)


class DeploymentRetryApi(APIView):
    @extend_schema(
        request=None,
        responses=InstrumentOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Queue a failed deployment again (issuer admin)",
    )
    @idempotent
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        instrument = deployment.instrument_deploy_retry(
            actor=request_user(request), instrument_id=instrument_id
        )
        return Response(InstrumentOutputSerializer(instrument).data)
