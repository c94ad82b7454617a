"""REST endpoints of proof jobs (``/api/v1/proof-jobs/``, docs/api.md, docs/zk.md).

``POST`` takes the circuit, the witness and the client's ``idempotency_key`` (in the body: one
job per requester and key, so a retried request returns the same job, 200 instead of 201).
It is not ``@idempotent``: that mechanism keeps a digest of the request body, which here is
the witness. Reads show status, stage, progress, error, timings and the result, never the
witness.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.idempotency import KEY_PATTERN, MAX_KEY_LENGTH
from common.api.pagination import StandardPagination, list_parameters
from proving import selectors, services
from proving.filters import ProofJobFilter
from proving.models import ProofJob

if TYPE_CHECKING:
    from django.contrib.auth.models import _User as User


def _user(request: Request) -> User:
    """The authenticated caller (the views' ``IsAuthenticated`` has run)."""
    return cast("User", request.user)


class ProofResultSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "ProofResult"

    proof = serializers.CharField(help_text="192 bytes, hex: A ‖ B ‖ C (ZCash-compressed BLS12-381 points).")
    public_inputs = serializers.CharField(help_text="32 bytes a public signal, little-endian, hex.")
    public_signals = serializers.ListField(
        child=serializers.CharField(),
        help_text="The public signals as decimal strings (outputs, then inputs).",
    )


class ProofJobOutputSerializer(serializers.ModelSerializer[ProofJob]):
    requested_by = serializers.UUIDField(source="requested_by_id")
    result = serializers.SerializerMethodField(
        help_text="The verified proof once the job is done; else null."
    )

    class Meta:
        model = ProofJob
        fields = [
            "id",
            "circuit",
            "status",
            "stage",
            "progress",
            "attempts",
            "error_code",
            "error_message",
            "requested_by",
            "idempotency_key",
            "created_at",
            "started_at",
            "finished_at",
            "witness_seconds",
            "prove_seconds",
            "verify_seconds",
            "result",
        ]

    @extend_schema_field(ProofResultSerializer(allow_null=True))
    def get_result(self, job: ProofJob) -> dict[str, Any] | None:
        if job.status != ProofJob.Status.DONE or job.proof is None or job.public_inputs is None:
            return None
        return {
            "proof": bytes(job.proof).hex(),
            "public_inputs": bytes(job.public_inputs).hex(),
            "public_signals": list(job.public_signals),
        }


class ProofJobListCreateApi(APIView):
    """Proof jobs: request one, list those the caller may see."""

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "ProofJobRequest"

        circuit = serializers.RegexField(
            r"^[a-z0-9_]{1,64}$", max_length=64, help_text="A circuit with a setup, e.g. `range_product`."
        )
        witness = serializers.DictField(
            child=serializers.JSONField(),
            help_text="The circuit's input signals: name → integer in [0, r) as a decimal string (or int), "
            "lists for array signals. Encrypted at rest and wiped once the job finishes; never returned.",
        )
        idempotency_key = serializers.RegexField(
            KEY_PATTERN,
            max_length=MAX_KEY_LENGTH,
            help_text="The client's key: the same key and request return the same job.",
        )

    @extend_schema(
        responses=ProofJobOutputSerializer(many=True),
        summary="List proof jobs (the caller's; all for regulators and operators)",
        parameters=list_parameters(ProofJobFilter),
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.proof_job_list(user=_user(request), filters=request.query_params)
        paginator = StandardPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(ProofJobOutputSerializer(page, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: ProofJobOutputSerializer, 200: ProofJobOutputSerializer},
        summary="Request a proof (queued for a proving worker; 200 with the same job on a retry)",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        job, created = services.proof_job_request(actor=_user(request), **data.validated_data)
        return Response(
            ProofJobOutputSerializer(job).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ProofJobDetailApi(APIView):
    @extend_schema(responses=ProofJobOutputSerializer, summary="One proof job: status, progress, result")
    def get(self, request: Request, job_id: uuid.UUID) -> Response:
        job = selectors.proof_job_get(user=_user(request), job_id=job_id)
        return Response(ProofJobOutputSerializer(job).data)
