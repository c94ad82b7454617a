"""REST endpoints of KYC credentials and trusted KYC issuers (``/api/v1/kyc/``), docs/api.md.

Views are thin: validate with the nested ``InputSerializer``, call one service or selector,
render with the output serializer. The attributes appear only for users allowed to read
them (``identity.kyc_selectors.kyc_attributes_visible``); others get ``attributes: null``.
"""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from common.api.pagination import StandardPagination, list_parameters
from common.text import validate_multiline_text, validate_name, validate_reference
from identity import kyc_selectors, kyc_services
from identity.authentication import request_user
from identity.filters import KycCredentialFilter
from identity.models import KycCredential, TrustedKycIssuer


class KycAttributesSerializer(serializers.Serializer[Any]):
    legal_name = serializers.CharField()
    date_of_birth_or_incorporation = serializers.CharField(help_text="ISO 8601 date.")
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2.")
    investor_category = serializers.CharField(
        help_text="MiFID II: retail, professional, eligible_counterparty."
    )
    category_evidence = serializers.CharField()
    accredited = serializers.BooleanField()


class KycCredentialOutputSerializer(serializers.ModelSerializer[KycCredential]):
    provider_name = serializers.CharField(source="provider.legal_name")
    subject_public_key = serializers.CharField(source="subject.public_key")
    subject_name = serializers.SerializerMethodField()
    topics = serializers.ListField(child=serializers.IntegerField(), source="claim_topics")
    attributes = serializers.SerializerMethodField(
        help_text="The personal attributes; null for users who may not read them and after an erasure."
    )

    class Meta:
        model = KycCredential
        fields = [
            "id",
            "provider",
            "provider_name",
            "subject_public_key",
            "subject_name",
            "holder_type",
            "status",
            "topics",
            "evidence_hash",
            "expires_at",
            "pending_expires_at",
            "error",
            "created_at",
            "revoked_at",
            "erased_at",
            "attributes",
        ]

    def get_subject_name(self, credential: KycCredential) -> str:
        return kyc_selectors.chain_account_label(credential.subject)

    @extend_schema_field(KycAttributesSerializer(allow_null=True))
    def get_attributes(self, credential: KycCredential) -> dict[str, Any] | None:
        user = self.context.get("user")
        if user is None or credential.status == KycCredential.Status.ERASED:
            return None
        if not kyc_selectors.kyc_attributes_visible(user=user, credential=credential):
            return None
        return {
            "legal_name": credential.legal_name,
            "date_of_birth_or_incorporation": credential.date_of_birth_or_incorporation,
            "country": credential.country,
            "investor_category": credential.investor_category,
            "category_evidence": credential.category_evidence,
            "accredited": credential.accredited == "true",
        }


def _credential_page(request: Request, view: APIView, queryset: Any) -> Response:
    paginator = StandardPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = KycCredentialOutputSerializer(page, many=True, context={"user": request_user(request)}).data
    return paginator.get_paginated_response(data)


def _credential(request: Request, credential: KycCredential, code: int = status.HTTP_200_OK) -> Response:
    return Response(
        KycCredentialOutputSerializer(credential, context={"user": request_user(request)}).data, status=code
    )


class KycCredentialListCreateApi(APIView):
    """Credentials the caller may see; a KYC provider's compliance officers onboard."""

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "KycCredentialIssue"

        subject_public_key = serializers.CharField(
            max_length=98,
            help_text="The chain account's BLS public key (0x hex): an organisation's or a client account's.",
        )
        holder_type = serializers.ChoiceField(choices=KycCredential.HolderType.choices)
        legal_name = serializers.CharField(max_length=200, validators=[validate_name])
        date_of_birth_or_incorporation = serializers.DateField()
        country = serializers.CharField(max_length=2, help_text="Nationality or country, ISO 3166-1 alpha-2.")
        investor_category = serializers.ChoiceField(choices=KycCredential.InvestorCategory.choices)
        category_evidence = serializers.CharField(
            max_length=kyc_services.MAX_EVIDENCE_CHARS,
            validators=[validate_multiline_text],
            help_text="The evidence of the MiFID II assessment (text).",
        )
        accredited = serializers.BooleanField()
        expires_at = serializers.DateTimeField(help_text="ISO 8601 with a time zone; whole seconds are kept.")

    @extend_schema(
        responses=KycCredentialOutputSerializer(many=True),
        summary="List KYC credentials",
        parameters=list_parameters(KycCredentialFilter),
    )
    def get(self, request: Request) -> Response:
        queryset = kyc_selectors.kyc_credential_list(user=request_user(request), filters=request.query_params)
        return _credential_page(request, self, queryset)

    @extend_schema(
        request=InputSerializer,
        responses={201: KycCredentialOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Onboard an investor: issue a KYC credential and its claims (KYC provider)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credential = kyc_services.kyc_credential_issue(actor=request_user(request), **data.validated_data)
        return _credential(request, credential, status.HTTP_201_CREATED)


class KycCredentialDetailApi(APIView):
    @extend_schema(responses=KycCredentialOutputSerializer, summary="One KYC credential")
    def get(self, request: Request, credential_id: uuid.UUID) -> Response:
        return _credential(
            request, kyc_selectors.kyc_credential_get(user=request_user(request), credential_id=credential_id)
        )


class KycCredentialRenewApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "KycCredentialRenew"

        expires_at = serializers.DateTimeField()

    @extend_schema(
        request=InputSerializer,
        responses=KycCredentialOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Renew a credential with a new expiry (KYC provider)",
    )
    @idempotent
    def post(self, request: Request, credential_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credential = kyc_services.kyc_credential_renew(
            actor=request_user(request), credential_id=credential_id, **data.validated_data
        )
        return _credential(request, credential)


class KycCredentialRevokeApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "KycCredentialRevoke"

        reason = serializers.CharField(
            max_length=500, validators=[validate_multiline_text], help_text="Why (audited; no personal data)."
        )

    @extend_schema(
        request=InputSerializer,
        responses=KycCredentialOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Revoke a credential's claims (KYC provider)",
    )
    @idempotent
    def post(self, request: Request, credential_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credential = kyc_services.kyc_credential_revoke(
            actor=request_user(request), credential_id=credential_id, **data.validated_data
        )
        return _credential(request, credential)


class KycCredentialEraseApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "KycCredentialErase"

        request_reference = serializers.CharField(
            max_length=100, validators=[validate_reference], help_text="The erasure request's id."
        )

    @extend_schema(
        request=InputSerializer,
        responses=KycCredentialOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Erase the personal data (GDPR art. 17) and revoke the claims (KYC provider)",
    )
    @idempotent
    def post(self, request: Request, credential_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        credential = kyc_services.kyc_credential_erase(
            actor=request_user(request), credential_id=credential_id, **data.validated_data
        )
        return _credential(request, credential)


class AffectedHoldingSerializer(serializers.Serializer[Any]):
    instrument_id = serializers.UUIDField()
    isin = serializers.CharField()
    name = serializers.CharField()
    units = serializers.IntegerField(help_text="Token base units.")
    quantity = serializers.DecimalField(max_digits=30, decimal_places=6, help_text="Units × the token unit.")
    last_height = serializers.IntegerField()


class KycCredentialHoldingsApi(APIView):
    @extend_schema(
        responses=AffectedHoldingSerializer(many=True),
        summary="The subject's holdings affected if the credential's claims lapse",
    )
    def get(self, request: Request, credential_id: uuid.UUID) -> Response:
        rows = kyc_selectors.kyc_credential_holdings(user=request_user(request), credential_id=credential_id)
        return Response(AffectedHoldingSerializer(rows, many=True).data)


class ClaimOnChainSerializer(serializers.Serializer[Any]):
    topic = serializers.IntegerField()
    topic_name = serializers.CharField()
    issuer_public_key = serializers.CharField()
    issuer_name = serializers.CharField()
    value = serializers.IntegerField()
    value_label = serializers.CharField()
    expiry = serializers.IntegerField(help_text="Unix seconds; valid while the block timestamp is below it.")


class KycCredentialClaimsApi(APIView):
    @extend_schema(
        responses=ClaimOnChainSerializer(many=True),
        summary="The subject's valid claims on chain now (identity registry claims_of; 503 without a node)",
    )
    def get(self, request: Request, credential_id: uuid.UUID) -> Response:
        rows = kyc_selectors.kyc_credential_claims_on_chain(
            user=request_user(request), credential_id=credential_id
        )
        return Response(ClaimOnChainSerializer(rows, many=True).data)


class TrustedKycIssuerOutputSerializer(serializers.ModelSerializer[TrustedKycIssuer]):
    organisation_name = serializers.CharField(source="organisation.legal_name")
    topics = serializers.SerializerMethodField()

    class Meta:
        model = TrustedKycIssuer
        fields = ["id", "organisation", "organisation_name", "topics", "status", "error", "created_at"]

    def get_topics(self, trusted: TrustedKycIssuer) -> list[int]:
        return [t for t in range(1, 32) if trusted.topics & (1 << t)]


class TrustedKycIssuerListCreateApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "TrustedKycIssuerRegister"

        organisation_id = serializers.UUIDField()
        topics = serializers.ListField(
            child=serializers.IntegerField(),
            required=False,
            allow_null=True,
            default=None,
            help_text="Claim topics (1 kyc_verified, 2 jurisdiction, 3 investor_category, 4 accredited); "
            "all if omitted.",
        )

    @extend_schema(
        responses=TrustedKycIssuerOutputSerializer(many=True),
        summary="List trusted KYC issuers",
        parameters=list_parameters(),
    )
    def get(self, request: Request) -> Response:
        paginator = StandardPagination()
        page = paginator.paginate_queryset(
            kyc_selectors.trusted_kyc_issuer_list(user=request_user(request)), request, view=self
        )
        return paginator.get_paginated_response(TrustedKycIssuerOutputSerializer(page, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: TrustedKycIssuerOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Trust a KYC provider as a claim issuer of the identity registry (operator)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        trusted = kyc_services.trusted_kyc_issuer_register(actor=request_user(request), **data.validated_data)
        return Response(TrustedKycIssuerOutputSerializer(trusted).data, status=status.HTTP_201_CREATED)


class TrustedKycIssuerRemoveApi(APIView):
    @extend_schema(
        request=None,
        responses=TrustedKycIssuerOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Stop trusting a KYC provider (operator); its claims stop counting",
    )
    @idempotent
    def post(self, request: Request, trusted_issuer_id: uuid.UUID) -> Response:
        trusted = kyc_services.trusted_kyc_issuer_remove(
            actor=request_user(request), trusted_issuer_id=trusted_issuer_id
        )
        return Response(TrustedKycIssuerOutputSerializer(trusted).data)
