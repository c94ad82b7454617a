"""REST endpoints of selective disclosure (``/api/v1/regulator-keys/``, ``/api/v1/disclosures/``)
and of the instrument reports (``/api/v1/instruments/<id>/report/``); docs/disclosure.md.

Thin views over ``compliance.disclosure`` and ``compliance.reports``: who may do what is
decided there. Listing and downloading disclosures are themselves audited.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from common.api.pagination import QueryParameter, list_parameters, paginated_response
from compliance import disclosure, reports
from compliance.models import Disclosure, RegulatorKey
from identity.authentication import request_user


class RegulatorKeyOutputSerializer(serializers.ModelSerializer[RegulatorKey]):
    registered_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = RegulatorKey
        fields = [
            "id",
            "organisation",
            "public_key",
            "fingerprint",
            "active",
            "registered_by",
            "created_at",
            "retired_at",
        ]


class RegulatorKeyListCreateApi(APIView):
    """The regulator organisation's X25519 keys (its own users only); register a new active one."""

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "RegulatorKeyRegister"

        public_key = serializers.CharField(
            max_length=100, help_text="The X25519 public key: 32 bytes as base64 or hex (64 characters)."
        )

    @extend_schema(
        responses=RegulatorKeyOutputSerializer(many=True),
        summary="List my regulator keys",
        parameters=list_parameters(),
    )
    def get(self, request: Request) -> Response:
        queryset = disclosure.regulator_key_list(user=request_user(request))
        return paginated_response(request, self, queryset, RegulatorKeyOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: RegulatorKeyOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Register the organisation's disclosure key (regulator); retires the previous one",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key = disclosure.regulator_key_register(
            actor=request_user(request), public_key=data.validated_data["public_key"]
        )
        return Response(RegulatorKeyOutputSerializer(key).data, status=status.HTTP_201_CREATED)


class DisclosureOutputSerializer(serializers.ModelSerializer[Disclosure]):
    """A disclosure's record, never its content."""

    isin = serializers.CharField(source="instrument.isin", read_only=True)
    discloser_name = serializers.CharField(source="discloser.legal_name", read_only=True)
    regulator_name = serializers.CharField(source="regulator.legal_name", read_only=True)
    regulator_key_fingerprint = serializers.CharField(source="regulator_key.fingerprint", read_only=True)
    checkpoint_number = serializers.IntegerField(source="checkpoint.number", read_only=True, allow_null=True)

    class Meta:
        model = Disclosure
        fields = [
            "id",
            "instrument",
            "isin",
            "discloser",
            "discloser_name",
            "regulator",
            "regulator_name",
            "regulator_key_fingerprint",
            "window_start",
            "window_end",
            "checkpoint_number",
            "status",
            "summary",
            "package_sha256",
            "package_size",
            "tx_id",
            "block_height",
            "error",
            "created_at",
        ]


class DisclosureListCreateApi(APIView):
    """Regulators: the packages disclosed to their organisation; issuers: those they made."""

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "DisclosureCreate"

        instrument = serializers.UUIDField()
        regulator = serializers.UUIDField(help_text="A regulator organisation with an active key.")
        window_start = serializers.DateTimeField()
        window_end = serializers.DateTimeField(help_text="Exclusive; a time in the future is cut to now.")
        checkpoint = serializers.IntegerField(
            min_value=1,
            required=False,
            allow_null=True,
            default=None,
            help_text="A recorded (Final) checkpoint number; omitted: one is taken for the disclosure.",
        )

    @extend_schema(
        responses=DisclosureOutputSerializer(many=True),
        summary="List disclosures (regulator: received; issuer: made); audited",
        parameters=[*list_parameters(), QueryParameter("instrument", OpenApiTypes.UUID)],
    )
    def get(self, request: Request) -> Response:
        instrument = serializers.UUIDField(required=False, allow_null=True).run_validation(
            request.query_params.get("instrument") or None
        )
        actor = request_user(request)
        disclosure.disclosure_access_record(
            actor=actor, action="list", filters={"instrument": str(instrument) if instrument else None}
        )
        queryset = disclosure.disclosure_list(user=actor, instrument_id=instrument)
        return paginated_response(request, self, queryset, DisclosureOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: DisclosureOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Disclose an instrument to a regulator (issuer admin or compliance officer of the issuer)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        made = disclosure.disclosure_create(
            actor=request_user(request),
            instrument_id=data.validated_data["instrument"],
            regulator_id=data.validated_data["regulator"],
            window_start=data.validated_data["window_start"],
            window_end=data.validated_data["window_end"],
            checkpoint_number=data.validated_data["checkpoint"],
        )
        return Response(DisclosureOutputSerializer(made).data, status=status.HTTP_201_CREATED)


class DisclosureDetailApi(APIView):
    @extend_schema(responses=DisclosureOutputSerializer, summary="One disclosure's record (no content)")
    def get(self, request: Request, disclosure_id: uuid.UUID) -> Response:
        found = disclosure.disclosure_get(user=request_user(request), disclosure_id=disclosure_id)
        return Response(DisclosureOutputSerializer(found).data)


class DisclosureEnvelopeApi(APIView):
    @extend_schema(
        responses={(200, "application/json"): OpenApiTypes.OBJECT},
        summary="Download the envelope of a recorded package (its regulator only); audited",
    )
    def get(self, request: Request, disclosure_id: uuid.UUID) -> HttpResponse:
        envelope = disclosure.disclosure_envelope(actor=request_user(request), disclosure_id=disclosure_id)
        response = HttpResponse(json.dumps(envelope, indent=2), content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="disclosure-{disclosure_id}.json"'
        return response


class InstrumentReportApi(APIView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT},
        summary="An instrument's holder report: jurisdictions, categories, concentration, DLT Pilot",
    )
    def get(self, request: Request, instrument_id: uuid.UUID) -> Response:
        report = reports.instrument_report(user=request_user(request), instrument_id=instrument_id)
        return Response(reports.report_json(report))
