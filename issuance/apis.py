"""REST endpoints for instruments (``/api/v1/instruments/``).

Views are thin: validate with the nested ``InputSerializer``, call one service or
selector, render with the ``OutputSerializer``. Visibility and roles are decided by
``issuance.selectors`` and ``issuance.services``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from common.api.pagination import list_parameters, paginated_response
from common.text import validate_multiline_text, validate_name
from identity.authentication import request_user
from issuance import selectors, services
from issuance.conventions import (
    BusinessDayConvention,
    Calendar,
    CouponFrequency,
    DayCount,
    validate_calendar_date,
)
from issuance.filters import InstrumentFilter
from issuance.maker_checker import maker_changes
from issuance.models import (
    DocumentKind,
    Instrument,
    InstrumentDocument,
    InstrumentKind,
    IssuerSector,
    IssueSizeUnit,
    KycMode,
)


class InstrumentDocumentOutputSerializer(serializers.ModelSerializer[InstrumentDocument]):
    uploaded_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = InstrumentDocument
        fields = ["id", "kind", "filename", "size", "sha256", "uploaded_by", "created_at"]


class InstrumentOutputSerializer(serializers.ModelSerializer[Instrument]):
    issuer_name = serializers.CharField(source="issuer.legal_name", read_only=True)
    issuer_lei = serializers.CharField(source="issuer.lei", read_only=True)
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    submitted_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    approved_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = Instrument
        fields = [
            "id",
            "isin",
            "cusip",
            "cfi_code",
            "name",
            "issuer",
            "issuer_name",
            "issuer_lei",
            "kind",
            "currency",
            "face_value",
            "minimum_denomination",
            "issue_size",
            "issue_size_unit",
            "issue_date",
            "dated_date",
            "maturity_date",
            "coupon_rate",
            "coupon_frequency",
            "day_count",
            "business_day_convention",
            "calendar",
            "end_of_month",
            "floating_index",
            "floating_spread",
            "inflation_linked",
            "issuer_sector",
            "liquid_market",
            "sme_growth_market",
            "status",
            "is_reference_data",
            "source",
            "created_by",
            "submitted_by",
            "submitted_at",
            "approved_by",
            "approved_at",
            "rejection_comment",
            "kyc_mode",
            "contract_id",
            "terms_hash",
            "deployed_height",
            "deployment_error",
            "created_at",
            "updated_at",
        ]


def validate_positive(value: Decimal) -> None:
    """A field validator: more than zero (a face value of 0 divides by zero downstream)."""
    if value <= 0:
        raise serializers.ValidationError("Must be greater than zero.", code="not_positive")


class InstrumentTermsSerializer(serializers.Serializer[Any]):
    """The terms of ``issuance.services.TERM_FIELDS``; conventions must be supported codes."""

    class Meta:
        ref_name = "InstrumentTerms"

    isin = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    cusip = serializers.CharField(max_length=9, required=False, allow_blank=True, default="")
    cfi_code = serializers.CharField(max_length=6, required=False, allow_blank=True, default="")
    name = serializers.CharField(max_length=200, validators=[validate_name])
    kind = serializers.ChoiceField(choices=InstrumentKind.choices)
    currency = serializers.CharField(max_length=3, min_length=3)
    face_value = serializers.DecimalField(max_digits=20, decimal_places=6, validators=[validate_positive])
    minimum_denomination = serializers.DecimalField(
        max_digits=20, decimal_places=6, validators=[validate_positive]
    )
    issue_size = serializers.DecimalField(max_digits=24, decimal_places=6, validators=[validate_positive])
    issue_size_unit = serializers.ChoiceField(choices=IssueSizeUnit.choices)
    issue_date = serializers.DateField(validators=[validate_calendar_date])
    dated_date = serializers.DateField(
        required=False, allow_null=True, default=None, validators=[validate_calendar_date]
    )
    maturity_date = serializers.DateField(
        required=False, allow_null=True, default=None, validators=[validate_calendar_date]
    )
    coupon_rate = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        required=False,
        allow_null=True,
        default=None,
        help_text="Percent a year.",
    )
    coupon_frequency = serializers.ChoiceField(
        choices=CouponFrequency.choices, required=False, allow_blank=True, default=""
    )
    day_count = serializers.ChoiceField(
        choices=DayCount.choices, required=False, allow_blank=True, default=""
    )
    business_day_convention = serializers.ChoiceField(
        choices=BusinessDayConvention.choices, required=False, allow_blank=True, default=""
    )
    calendar = serializers.ChoiceField(choices=Calendar.choices, required=False, allow_blank=True, default="")
    end_of_month = serializers.BooleanField(required=False, default=False)
    floating_index = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    floating_spread = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True, default=None
    )
    inflation_linked = serializers.BooleanField(required=False, default=False)
    issuer_sector = serializers.ChoiceField(
        choices=IssuerSector.choices, required=False, default=IssuerSector.OTHER
    )
    liquid_market = serializers.BooleanField(required=False, default=False)
    sme_growth_market = serializers.BooleanField(required=False, default=False)


class InstrumentListCreateApi(APIView):
    """Instruments the caller may see; issuer admins create drafts for their issuer."""

    @extend_schema(
        responses=InstrumentOutputSerializer(many=True),
        summary="List instruments",
        parameters=list_parameters(InstrumentFilter),
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.instrument_list(user=request_user(request), filters=request.query_params)
        return paginated_response(request, self, queryset, InstrumentOutputSerializer)

    @extend_schema(
        request=InstrumentTermsSerializer,
        responses={201: InstrumentOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Create a draft instrument (issuer admin)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = InstrumentTermsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        instrument = services.instrument_create(actor=request_user(request), terms=data.validated_data)
        return Response(InstrumentOutputSerializer(instrument).data, status=status.HTTP_201_CREATED)


class MakerChangeSerializer(serializers.Serializer[Any]):
    """One change of a draft by a maker (from the audit trail): a maker may not approve it."""

    user = serializers.CharField(source="username", help_text="The username of the maker.")
    action = serializers.CharField(help_text="The audited action, e.g. instrument.update.")
    # DRF's metaclass moves declared fields out of the class body: this one does not replace
    # ``Serializer.fields``; the key in the output is "fields".
    fields = serializers.ListField(  # type: ignore[assignment]
        child=serializers.CharField(), help_text="The fields it set or changed."
    )
    at = serializers.DateTimeField()


class InstrumentDetailOutputSerializer(InstrumentOutputSerializer):
    makers = serializers.SerializerMethodField(
        help_text="Who changed the instrument (created, edited, attached a document, submitted), "
        "which fields, when; none of them may approve it."
    )

    class Meta(InstrumentOutputSerializer.Meta):
        fields = [*InstrumentOutputSerializer.Meta.fields, "makers"]

    @extend_schema_field(MakerChangeSerializer(many=True))
    def get_makers(self, instrument: Instrument) -> list[dict[str, Any]]:
        changes = maker_changes(instrument, actions=services.MAKER_ACTIONS)
        return list(MakerChangeSerializer(changes, many=True).data)


class InstrumentDetailApi(APIView):
    @extend_schema(responses=InstrumentDetailOutputSerializer, summary="One instrument")
    def get(self, request: Request, instrument_id: uuid.UUID) -> Response:
        instrument = selectors.instrument_get(user=request_user(request), instrument_id=instrument_id)
        return Response(InstrumentDetailOutputSerializer(instrument).data)

    @extend_schema(
        request=InstrumentTermsSerializer(partial=True),
        responses=InstrumentDetailOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Edit a draft's terms (issuer admin)",
    )
    @idempotent
    def patch(self, request: Request, instrument_id: uuid.UUID) -> Response:
        data = InstrumentTermsSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = {name: value for name, value in data.validated_data.items() if name in request.data}
        instrument = services.instrument_update(
            actor=request_user(request), instrument_id=instrument_id, changes=changes
        )
        return Response(InstrumentDetailOutputSerializer(instrument).data)


class InstrumentSubmitApi(APIView):
    @extend_schema(
        request=None,
        responses=InstrumentOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Submit a draft for approval (issuer admin, the maker)",
    )
    @idempotent
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        instrument = services.instrument_submit(actor=request_user(request), instrument_id=instrument_id)
        return Response(InstrumentOutputSerializer(instrument).data)


class InstrumentKycModeApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "InstrumentKycMode"

        kyc_mode = serializers.ChoiceField(
            choices=KycMode.choices,
            help_text="claims (registry claims), citadel (a Citadel session for this instrument) or both.",
        )

    @extend_schema(
        request=InputSerializer,
        responses=InstrumentOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Choose how the transfer rules accept KYC (issuer admin); applied with the next rule set",
    )
    @idempotent
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        instrument = services.instrument_kyc_mode_set(
            actor=request_user(request), instrument_id=instrument_id, **data.validated_data
        )
        return Response(InstrumentOutputSerializer(instrument).data)


class InstrumentTokenizeApi(APIView):
    @extend_schema(
        request=None,
        responses=InstrumentOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Take up an imported reference-data security for issuance (its issuer's admin)",
    )
    @idempotent
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        instrument = services.instrument_tokenize(actor=request_user(request), instrument_id=instrument_id)
        return Response(InstrumentOutputSerializer(instrument).data)


class InstrumentApproveApi(APIView):
    @extend_schema(
        request=None,
        responses=InstrumentOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Approve a submitted instrument (issuer approver, not the maker)",
    )
    @idempotent
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        instrument = services.instrument_approve(actor=request_user(request), instrument_id=instrument_id)
        return Response(InstrumentOutputSerializer(instrument).data)


class InstrumentRejectApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "InstrumentReject"

        comment = serializers.CharField(max_length=2000, validators=[validate_multiline_text])

    @extend_schema(
        request=InputSerializer,
        responses=InstrumentOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Reject a submitted instrument back to draft with a comment (issuer approver)",
    )
    @idempotent
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        instrument = services.instrument_reject(
            actor=request_user(request), instrument_id=instrument_id, comment=data.validated_data["comment"]
        )
        return Response(InstrumentOutputSerializer(instrument).data)


class CouponPeriodOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "CouponPeriod"

    accrual_start = serializers.DateField()
    accrual_end = serializers.DateField()
    payment_date = serializers.DateField()
    year_fraction = serializers.DecimalField(max_digits=20, decimal_places=12)
    amount = serializers.DecimalField(
        max_digits=20,
        decimal_places=12,
        allow_null=True,
        help_text="Coupon per 1 of face value; null for a floating-rate period.",
    )
    amount_per_unit = serializers.DecimalField(
        max_digits=30,
        decimal_places=12,
        allow_null=True,
        help_text="Coupon per unit (amount × face value), in the instrument's currency.",
    )


class InstrumentScheduleOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "InstrumentSchedule"

    instrument = serializers.UUIDField()
    isin = serializers.CharField()
    currency = serializers.CharField()
    face_value = serializers.DecimalField(max_digits=20, decimal_places=6)
    day_count = serializers.CharField()
    coupons = CouponPeriodOutputSerializer(many=True)


class InstrumentScheduleApi(APIView):
    @extend_schema(
        responses=InstrumentScheduleOutputSerializer,
        summary="Coupon schedule computed by QuantLib (empty for zero-coupon bonds and bills)",
    )
    def get(self, request: Request, instrument_id: uuid.UUID) -> Response:
        instrument, periods = selectors.instrument_coupon_schedule(
            user=request_user(request), instrument_id=instrument_id
        )
        coupons = [
            {
                "accrual_start": p.accrual_start,
                "accrual_end": p.accrual_end,
                "payment_date": p.payment_date,
                "year_fraction": p.year_fraction,
                "amount": p.amount,
                "amount_per_unit": None if p.amount is None else p.amount * instrument.face_value,
            }
            for p in periods
        ]
        body = {
            "instrument": instrument.pk,
            "isin": instrument.isin,
            "currency": instrument.currency,
            "face_value": instrument.face_value,
            "day_count": instrument.day_count,
            "coupons": coupons,
        }
        return Response(InstrumentScheduleOutputSerializer(body).data)


class InstrumentDocumentListCreateApi(APIView):
    parser_classes = [MultiPartParser]

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "InstrumentDocumentUpload"

        kind = serializers.ChoiceField(choices=DocumentKind.choices)
        file = serializers.FileField()

    @extend_schema(
        responses=InstrumentDocumentOutputSerializer(many=True), summary="An instrument's documents"
    )
    def get(self, request: Request, instrument_id: uuid.UUID) -> Response:
        actor = request_user(request)
        instrument = selectors.instrument_get(user=actor, instrument_id=instrument_id)
        documents = selectors.instrument_document_list(user=actor, instrument=instrument)
        return Response(InstrumentDocumentOutputSerializer(documents, many=True).data)

    @extend_schema(
        request={"multipart/form-data": InputSerializer},
        responses={201: InstrumentDocumentOutputSerializer},
        summary="Upload a prospectus or final terms (PDF; issuer admin, draft only)",
    )
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.instrument_document_upload(
            actor=request_user(request),
            instrument_id=instrument_id,
            kind=data.validated_data["kind"],
            uploaded_file=data.validated_data["file"],
        )
        return Response(InstrumentDocumentOutputSerializer(document).data, status=status.HTTP_201_CREATED)
