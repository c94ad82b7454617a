"""REST endpoints of Citadel licence providers, licences and sessions (``/api/v1/citadel/``),
docs/api.md "Citadel". Thin views over ``identity.citadel_services`` and
``identity.citadel_selectors``; a licence never shows an attribute (none is kept in clear)."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from common.api.pagination import StandardPagination, list_parameters
from common.text import validate_multiline_text
from identity import citadel_selectors, citadel_services
from identity.authentication import request_user
from identity.models import CitadelLicence, CitadelProvider, CitadelSession


class CitadelProviderOutputSerializer(serializers.ModelSerializer[CitadelProvider]):
    organisation_name = serializers.CharField(source="organisation.legal_name")

    class Meta:
        model = CitadelProvider
        fields = ["id", "organisation", "organisation_name", "public_key", "status", "error", "created_at"]


class CitadelLicenceOutputSerializer(serializers.ModelSerializer[CitadelLicence]):
    provider_name = serializers.CharField(source="provider.organisation.legal_name")
    client_account = serializers.UUIDField(source="wallet.client_account_id")
    wallet_public_key = serializers.CharField(source="wallet.public_key")

    class Meta:
        model = CitadelLicence
        fields = [
            "id",
            "provider",
            "provider_name",
            "client_account",
            "wallet_public_key",
            "leaf",
            "position",
            "issued_on",
            "expires_on",
            "status",
            "error",
            "revoked_at",
            "created_at",
        ]


class CitadelSessionOutputSerializer(serializers.ModelSerializer[CitadelSession]):
    client_account = serializers.UUIDField(source="licence.wallet.client_account_id")
    proof_progress = serializers.SerializerMethodField(help_text="The proof job's percent, 0-100.")
    proof_stage = serializers.SerializerMethodField()

    class Meta:
        model = CitadelSession
        fields = [
            "id",
            "licence",
            "client_account",
            "holder",
            "service",
            "reference",
            "allowed_jurisdictions",
            "require_accredited",
            "day",
            "session_id",
            "proof_job",
            "proof_progress",
            "proof_stage",
            "status",
            "error",
            "tx_id",
            "created_at",
        ]

    def get_proof_progress(self, obj: CitadelSession) -> int | None:
        return None if obj.proof_job is None else int(obj.proof_job.progress)

    def get_proof_stage(self, obj: CitadelSession) -> str | None:
        return None if obj.proof_job is None else str(obj.proof_job.stage)


def _page(
    request: Request, view: APIView, queryset: Any, serializer: type[serializers.Serializer[Any]]
) -> Response:
    paginator = StandardPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer(page, many=True).data)


class CitadelProviderListCreateApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "CitadelProviderRegister"

        organisation_id = serializers.UUIDField(help_text="A KYC provider organisation with a chain account.")

    @extend_schema(
        responses=CitadelProviderOutputSerializer(many=True), summary="List Citadel licence providers",
        parameters=list_parameters(),
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        queryset = citadel_selectors.citadel_provider_list(user=request_user(request))
        return _page(request, self, queryset, CitadelProviderOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: CitadelProviderOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Register a KYC provider as a Citadel licence provider (operator; add_provider)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        provider = citadel_services.citadel_provider_register(
            actor=request_user(request), **data.validated_data
        )
        return Response(CitadelProviderOutputSerializer(provider).data, status=status.HTTP_201_CREATED)


class CitadelLicenceListCreateApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "CitadelLicenceIssue"

        client_account_id = serializers.UUIDField(help_text="The investor (a broker's client account).")
        jurisdiction = serializers.CharField(max_length=2, help_text="ISO 3166-1 alpha-2.")
        accredited = serializers.BooleanField()
        birth_date = serializers.DateField()
        expires_on = serializers.DateField(help_text="The licence's expiry (at most five years ahead).")

    @extend_schema(
        responses=CitadelLicenceOutputSerializer(many=True), summary="List Citadel licences",
        parameters=list_parameters(),
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        queryset = citadel_selectors.citadel_licence_list(user=request_user(request))
        return _page(request, self, queryset, CitadelLicenceOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: CitadelLicenceOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Issue a Citadel licence to an investor's wallet (KYC provider's compliance officer)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        licence = citadel_services.citadel_licence_issue(actor=request_user(request), **data.validated_data)
        return Response(CitadelLicenceOutputSerializer(licence).data, status=status.HTTP_201_CREATED)


class CitadelLicenceDetailApi(APIView):
    @extend_schema(responses=CitadelLicenceOutputSerializer, summary="One Citadel licence")
    def get(self, request: Request, licence_id: uuid.UUID) -> Response:
        licence = citadel_selectors.citadel_licence_get(user=request_user(request), licence_id=licence_id)
        return Response(CitadelLicenceOutputSerializer(licence).data)


class CitadelLicenceRevokeApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "CitadelLicenceRevoke"

        reason = serializers.CharField(
            max_length=500, validators=[validate_multiline_text], help_text="Why (audited; no personal data)."
        )

    @extend_schema(
        request=InputSerializer,
        responses=CitadelLicenceOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Revoke a Citadel licence (its provider); new sessions fail, existing ones stand",
    )
    @idempotent
    def post(self, request: Request, licence_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        licence = citadel_services.citadel_licence_revoke(
            actor=request_user(request), licence_id=licence_id, **data.validated_data
        )
        return Response(CitadelLicenceOutputSerializer(licence).data)


class CitadelSessionListApi(APIView):
    @extend_schema(
        responses=CitadelSessionOutputSerializer(many=True), summary="List Citadel sessions",
        parameters=list_parameters(),
    )  # fmt: skip
    def get(self, request: Request) -> Response:
        queryset = citadel_selectors.citadel_session_list(user=request_user(request))
        return _page(request, self, queryset, CitadelSessionOutputSerializer)


class CitadelSessionDetailApi(APIView):
    @extend_schema(
        responses=CitadelSessionOutputSerializer,
        summary="One Citadel session with its proof progress (reading it moves a finished proof on)",
    )
    def get(self, request: Request, session_id: uuid.UUID) -> Response:
        user = request_user(request)
        session = citadel_selectors.citadel_session_get(user=user, session_id=session_id)
        citadel_services.citadel_session_advance(session_id=session.pk)
        session = citadel_selectors.citadel_session_get(user=user, session_id=session_id)
        return Response(CitadelSessionOutputSerializer(session).data)
