"""REST endpoints of transfer rules, pre-trade checks, breaches and compliance actions.

Thin views: validate the shape with an input serializer, call one service or selector of
``compliance.rulesets``, ``compliance.breaches``, ``compliance.enforcement`` or
``compliance.selectors``, render with an output serializer."""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from common.api.pagination import list_parameters, paginated_response
from common.text import validate_multiline_text
from compliance import breaches, enforcement, rulesets, selectors
from compliance.citadel import instrument_citadel_session_open
from compliance.filters import BreachFilter
from compliance.models import Breach, ComplianceAction, ForcedTransferReason, RuleSet
from identity.authentication import request_user
from identity.citadel_apis import CitadelSessionOutputSerializer
from issuance.apis import MakerChangeSerializer
from issuance.maker_checker import maker_changes


# -- rule sets ----------------------------------------------------------------------------------
class ConditionSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "RuleCondition"

    topic = serializers.ChoiceField(
        choices=["kyc_verified", "jurisdiction", "investor_category", "accredited"]
    )
    kind = serializers.ChoiceField(choices=["has_claim", "value_in", "value_not_in"])
    values = serializers.ListField(
        child=serializers.JSONField(),
        required=False,
        default=list,
        help_text="ISO 3166-1 alpha-2 codes (jurisdiction), MiFID II categories (investor_category).",
    )
    issuer = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="A trusted issuer's 48-byte key in hex; empty: any.",
    )


class RuleSetInputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "RuleSetInput"

    sender = serializers.ListField(
        child=ConditionSerializer(many=True), required=False, help_text="OR of ANDs."
    )
    receiver = serializers.ListField(
        child=ConditionSerializer(many=True), required=False, help_text="OR of ANDs."
    )
    kyc_required = serializers.BooleanField(required=False)
    accreditation_required = serializers.BooleanField(required=False)
    allowed_jurisdictions = serializers.ListField(child=serializers.CharField(max_length=2), required=False)
    denied_jurisdictions = serializers.ListField(child=serializers.CharField(max_length=2), required=False)
    allowed_categories = serializers.ListField(
        child=serializers.ChoiceField(choices=["retail", "professional", "eligible_counterparty"]),
        required=False,
    )
    max_holders = serializers.IntegerField(min_value=0, required=False)
    max_ownership_bps = serializers.IntegerField(min_value=0, required=False)
    lockup_until = serializers.DateField(required=False, allow_null=True)
    min_holding_quantity = serializers.DecimalField(
        max_digits=24,
        decimal_places=6,
        required=False,
        allow_null=True,
        help_text="In the instrument's quantity (nominal or units); stored in token units.",
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, validators=[validate_multiline_text]
    )


class RuleSetOutputSerializer(serializers.ModelSerializer[RuleSet]):
    isin = serializers.CharField(source="instrument.isin", read_only=True)
    created_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    submitted_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    decided_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    makers = serializers.SerializerMethodField(
        help_text="Who changed the rule set (created, edited, submitted), which fields, when "
        "(from the audit trail); none of them may approve it."
    )

    class Meta:
        model = RuleSet
        fields = [
            "id",
            "instrument",
            "isin",
            "version",
            "status",
            "sender",
            "receiver",
            "kyc_required",
            "accreditation_required",
            "allowed_jurisdictions",
            "denied_jurisdictions",
            "allowed_categories",
            "max_holders",
            "max_ownership_bps",
            "lockup_until",
            "min_holding",
            "comment",
            "created_by",
            "submitted_by",
            "submitted_at",
            "decided_by",
            "decided_at",
            "rejection_comment",
            "applied_height",
            "error",
            "makers",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(MakerChangeSerializer(many=True))
    def get_makers(self, rule_set: RuleSet) -> list[dict[str, Any]]:
        changes = maker_changes(rule_set, actions=rulesets.RULE_SET_MAKER_ACTIONS, ignore=("version",))
        return list(MakerChangeSerializer(changes, many=True).data)


def _values(data: RuleSetInputSerializer, request: Request) -> dict[str, Any]:
    return {name: value for name, value in data.validated_data.items() if name in request.data}


class RuleSetListCreateApi(APIView):
    @extend_schema(
        responses=RuleSetOutputSerializer(many=True),
        summary="An instrument's rule set versions (issuer's compliance officers, regulators)",
        parameters=list_parameters(),
    )
    def get(self, request: Request, instrument_id: uuid.UUID) -> Response:
        queryset = selectors.rule_set_list(user=request_user(request), instrument_id=instrument_id)
        return paginated_response(request, self, queryset, RuleSetOutputSerializer)

    @extend_schema(
        request=RuleSetInputSerializer,
        responses={201: RuleSetOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Write a draft rule set (the next version, from the applied one; compliance officer)",
    )
    @idempotent
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        data = RuleSetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule_set = rulesets.rule_set_draft_save(
            actor=request_user(request), instrument_id=instrument_id, values=_values(data, request)
        )
        return Response(RuleSetOutputSerializer(rule_set).data, status=status.HTTP_201_CREATED)


class RuleSetDetailApi(APIView):
    @extend_schema(responses=RuleSetOutputSerializer, summary="One rule set")
    def get(self, request: Request, rule_set_id: uuid.UUID) -> Response:
        return Response(
            RuleSetOutputSerializer(
                selectors.rule_set_get(user=request_user(request), rule_set_id=rule_set_id)
            ).data
        )

    @extend_schema(
        request=RuleSetInputSerializer,
        responses=RuleSetOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Edit a draft rule set (compliance officer)",
    )
    @idempotent
    def patch(self, request: Request, rule_set_id: uuid.UUID) -> Response:
        rule_set = selectors.rule_set_get(user=request_user(request), rule_set_id=rule_set_id)
        data = RuleSetInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        rule_set = rulesets.rule_set_draft_save(
            actor=request_user(request),
            instrument_id=rule_set.instrument_id,
            values=_values(data, request),
            rule_set_id=rule_set_id,
        )
        return Response(RuleSetOutputSerializer(rule_set).data)


class FoundBreachSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "PreviewBreach"

    holder = serializers.CharField(help_text="Address hex; empty for the instrument as a whole.")
    name = serializers.CharField()
    code = serializers.CharField(source="code_name")
    number = serializers.IntegerField(source="code")
    explanation = serializers.CharField()
    instruction = serializers.UUIDField(source="instruction.pk", allow_null=True, default=None)


class ProblemSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "RuleSetProblem"

    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class PreviewOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "RuleSetPreview"

    problems = ProblemSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField())
    holders = FoundBreachSerializer(many=True)
    instructions = FoundBreachSerializer(many=True)


class RuleSetPreviewApi(APIView):
    @extend_schema(
        responses=PreviewOutputSerializer,
        summary="Holders and open settlement instructions that would breach this rule set (reads the chain)",
    )
    def get(self, request: Request, rule_set_id: uuid.UUID) -> Response:
        rule_set = selectors.rule_set_get(user=request_user(request), rule_set_id=rule_set_id)
        preview = rulesets.rule_set_preview(user=request_user(request), rule_set=rule_set)
        return Response(PreviewOutputSerializer(preview).data)


class _RuleSetStep(APIView):
    step = ""

    def post(self, request: Request, rule_set_id: uuid.UUID) -> Response:
        service = {"submit": rulesets.rule_set_submit, "approve": rulesets.rule_set_approve}[self.step]
        return Response(
            RuleSetOutputSerializer(service(actor=request_user(request), rule_set_id=rule_set_id)).data
        )


class RuleSetSubmitApi(_RuleSetStep):
    step = "submit"

    @extend_schema(
        request=None,
        responses=RuleSetOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Submit a draft for a second compliance officer's approval",
    )
    @idempotent
    def post(self, request: Request, rule_set_id: uuid.UUID) -> Response:
        return super().post(request, rule_set_id)


class RuleSetApproveApi(_RuleSetStep):
    step = "approve"

    @extend_schema(
        request=None,
        responses=RuleSetOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Approve (not the maker): set_conditions and set_limits go on chain through the outbox",
    )
    @idempotent
    def post(self, request: Request, rule_set_id: uuid.UUID) -> Response:
        return super().post(request, rule_set_id)


class CommentSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "ComplianceComment"

    comment = serializers.CharField(max_length=2000, allow_blank=True, validators=[validate_multiline_text])


class RuleSetRejectApi(APIView):
    @extend_schema(
        request=CommentSerializer,
        responses=RuleSetOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Reject a pending rule set with a comment (not the maker)",
    )
    @idempotent
    def post(self, request: Request, rule_set_id: uuid.UUID) -> Response:
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule_set = rulesets.rule_set_reject(
            actor=request_user(request), rule_set_id=rule_set_id, comment=data.validated_data["comment"]
        )
        return Response(RuleSetOutputSerializer(rule_set).data)


# -- pre-trade check ---------------------------------------------------------------------------
class PartySerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "TransferParty"

    address = serializers.CharField(required=False, help_text="A 49-byte Address in hex.")
    organisation = serializers.CharField(
        required=False, help_text="An organisation's LEI (its chain account)."
    )
    client_account = serializers.UUIDField(required=False, help_text="A client account you may see.")


class PreTradeInputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "PreTradeCheckInput"

    instrument = serializers.UUIDField()
    sender = PartySerializer(help_text="The transfer's from.")
    receiver = PartySerializer(help_text="The transfer's to.")
    quantity = serializers.DecimalField(
        max_digits=24, decimal_places=6, help_text="Nominal or units, as the issue size."
    )


class CheckedFailureSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "PreTradeFailure"

    code = serializers.CharField(help_text="TransferCode name, e.g. receiver_conditions.")
    number = serializers.IntegerField()
    explanation = serializers.CharField()


class PreTradeOutputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "PreTradeCheck"

    instrument = serializers.UUIDField(source="instrument.pk")
    isin = serializers.CharField(source="instrument.isin")
    sender = serializers.CharField()
    receiver = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=24, decimal_places=6)
    units = serializers.IntegerField()
    allowed = serializers.BooleanField()
    failures = CheckedFailureSerializer(many=True)
    evaluator_agrees = serializers.BooleanField(
        help_text="Whether the explanations' codes equal the chain's."
    )


class InstrumentCitadelSessionApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "InstrumentCitadelSessionOpen"

        client_account_id = serializers.UUIDField(
            help_text="The investor (one of the caller's client accounts)."
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: CitadelSessionOutputSerializer, 200: CitadelSessionOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Open the investor's Citadel session for this instrument (the client account's broker): "
        "a citadel_license proof job, then the proven use_licence; 200 with the live session if one exists",
    )
    @idempotent
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        session, created = instrument_citadel_session_open(
            actor=request_user(request), instrument_id=instrument_id, **data.validated_data
        )
        return Response(
            CitadelSessionOutputSerializer(session).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class PreTradeCheckApi(APIView):
    @extend_schema(
        request=PreTradeInputSerializer,
        responses=PreTradeOutputSerializer,
        summary="Pre-trade check: every rule a proposed transfer fails (check_transfer), explained",
    )
    def post(self, request: Request) -> Response:
        data = PreTradeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = selectors.pre_trade_check(
            user=request_user(request),
            instrument_id=v["instrument"],
            sender=v["sender"],
            receiver=v["receiver"],
            quantity=v["quantity"],
        )
        return Response(PreTradeOutputSerializer(result).data)


# -- breaches ----------------------------------------------------------------------------------
class BreachOutputSerializer(serializers.ModelSerializer[Breach]):
    isin = serializers.CharField(source="instrument.isin", read_only=True)
    code_name = serializers.SerializerMethodField()
    resolved_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    investigated_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = Breach
        fields = [
            "id",
            "instrument",
            "isin",
            "holder",
            "holder_name",
            "code",
            "code_name",
            "source",
            "explanation",
            "instruction",
            "status",
            "investigated_by",
            "resolved_by",
            "resolved_at",
            "resolution_note",
            "created_at",
            "updated_at",
        ]

    def get_code_name(self, breach: Breach) -> str:
        from chain.node.client import contract_abi

        return contract_abi.TransferCode(breach.code).code


class BreachListApi(APIView):
    @extend_schema(
        responses=BreachOutputSerializer(many=True),
        summary="Breaches (compliance officers of the issuer, regulators, operators)",
        parameters=list_parameters(BreachFilter),
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.breach_list(user=request_user(request), filters=request.query_params)
        return paginated_response(request, self, queryset, BreachOutputSerializer)


class BreachDetailApi(APIView):
    @extend_schema(responses=BreachOutputSerializer, summary="One breach")
    def get(self, request: Request, breach_id: uuid.UUID) -> Response:
        return Response(
            BreachOutputSerializer(selectors.breach_get(user=request_user(request), breach_id=breach_id)).data
        )


class NoteSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "BreachNote"

    note = serializers.CharField(max_length=4000, allow_blank=True, required=False, default="")


class BreachInvestigateApi(APIView):
    @extend_schema(
        request=NoteSerializer,
        responses=BreachOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Take an open breach into investigation (compliance officer of the issuer)",
    )
    @idempotent
    def post(self, request: Request, breach_id: uuid.UUID) -> Response:
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        breach = breaches.breach_investigate(
            actor=request_user(request), breach_id=breach_id, note=data.validated_data["note"]
        )
        return Response(BreachOutputSerializer(breach).data)


class BreachResolveApi(APIView):
    @extend_schema(
        request=NoteSerializer,
        responses=BreachOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Resolve a breach; the note is mandatory (compliance officer of the issuer)",
    )
    @idempotent
    def post(self, request: Request, breach_id: uuid.UUID) -> Response:
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        breach = breaches.breach_resolve(
            actor=request_user(request), breach_id=breach_id, note=data.validated_data["note"]
        )
        return Response(BreachOutputSerializer(breach).data)


# -- actions -----------------------------------------------------------------------------------
class ActionOutputSerializer(serializers.ModelSerializer[ComplianceAction]):
    isin = serializers.CharField(source="instrument.isin", read_only=True)
    proposed_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    decided_by: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )
    submission_status = serializers.CharField(source="submission.status", read_only=True, default=None)

    class Meta:
        model = ComplianceAction
        fields = [
            "id",
            "instrument",
            "isin",
            "kind",
            "status",
            "holder",
            "receiver",
            "quantity",
            "units",
            "reason_code",
            "reason_text",
            "document_filename",
            "document_sha256",
            "proposed_by",
            "decided_by",
            "decided_at",
            "rejection_comment",
            "submission_status",
            "executed_height",
            "error",
            "created_at",
        ]


class ActionListApi(APIView):
    @extend_schema(
        responses=ActionOutputSerializer(many=True),
        summary="Compliance actions: freezes, pauses, forced transfers",
        parameters=list_parameters(),
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.action_list(
            user=request_user(request), status=request.query_params.get("status", "")
        )
        return paginated_response(request, self, queryset, ActionOutputSerializer)


class ActionDetailApi(APIView):
    @extend_schema(responses=ActionOutputSerializer, summary="One compliance action")
    def get(self, request: Request, action_id: uuid.UUID) -> Response:
        return Response(
            ActionOutputSerializer(selectors.action_get(user=request_user(request), action_id=action_id)).data
        )


class FreezeInputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "FreezeInput"

    holder = serializers.CharField(help_text="The account's 49-byte Address in hex.")
    frozen = serializers.BooleanField()
    reason_text = serializers.CharField(
        max_length=2000, allow_blank=True, validators=[validate_multiline_text]
    )


class FreezeApi(APIView):
    @extend_schema(
        request=FreezeInputSerializer,
        responses={201: ActionOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Freeze or unfreeze an account on an instrument (compliance officer of the issuer)",
    )
    @idempotent
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        data = FreezeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        action = enforcement.account_freeze(
            actor=request_user(request),
            instrument_id=instrument_id,
            holder=v["holder"],
            frozen=v["frozen"],
            reason=v["reason_text"],
        )
        return Response(ActionOutputSerializer(action).data, status=status.HTTP_201_CREATED)


class PauseInputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "PauseInput"

    paused = serializers.BooleanField()
    reason_text = serializers.CharField(
        max_length=2000, allow_blank=True, validators=[validate_multiline_text]
    )


class PauseApi(APIView):
    @extend_schema(
        request=PauseInputSerializer,
        responses={201: ActionOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Pause or unpause an instrument (compliance officer of the issuer)",
    )
    @idempotent
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        data = PauseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        action = enforcement.instrument_pause(
            actor=request_user(request),
            instrument_id=instrument_id,
            paused=data.validated_data["paused"],
            reason=data.validated_data["reason_text"],
        )
        return Response(ActionOutputSerializer(action).data, status=status.HTTP_201_CREATED)


class ForcedTransferInputSerializer(serializers.Serializer[Any]):
    class Meta:
        ref_name = "ForcedTransferInput"

    holder = serializers.CharField(help_text="From: a 49-byte Address in hex.")
    receiver = serializers.CharField(help_text="To: a 49-byte Address in hex.")
    quantity = serializers.DecimalField(max_digits=24, decimal_places=6)
    reason_code = serializers.ChoiceField(
        choices=ForcedTransferReason.choices, required=False, allow_null=True
    )
    reason_text = serializers.CharField(
        max_length=4000, allow_blank=True, required=False, default="", validators=[validate_multiline_text]
    )
    document = serializers.FileField(required=False, allow_null=True, help_text="PDF (mandatory; checked).")


class ForcedTransferProposeApi(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={"multipart/form-data": ForcedTransferInputSerializer},
        responses={201: ActionOutputSerializer},
        summary="Propose a forced transfer with a reason and a PDF (a second officer approves)",
    )
    def post(self, request: Request, instrument_id: uuid.UUID) -> Response:
        data = ForcedTransferInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        action = enforcement.forced_transfer_propose(
            actor=request_user(request),
            instrument_id=instrument_id,
            holder=v["holder"],
            receiver=v["receiver"],
            quantity=v["quantity"],
            reason_code=int(v.get("reason_code") or 0),
            reason_text=v.get("reason_text", ""),
            document=v.get("document"),
        )
        return Response(ActionOutputSerializer(action).data, status=status.HTTP_201_CREATED)


class ForcedTransferApproveApi(APIView):
    @extend_schema(
        request=None,
        responses=ActionOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Approve a forced transfer (a compliance officer who did not propose it); executed on chain",
    )
    @idempotent
    def post(self, request: Request, action_id: uuid.UUID) -> Response:
        return Response(
            ActionOutputSerializer(
                enforcement.forced_transfer_approve(actor=request_user(request), action_id=action_id)
            ).data
        )


class ForcedTransferRejectApi(APIView):
    @extend_schema(
        request=CommentSerializer,
        responses=ActionOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Reject a forced transfer with a comment (not its proposer)",
    )
    @idempotent
    def post(self, request: Request, action_id: uuid.UUID) -> Response:
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        action = enforcement.forced_transfer_reject(
            actor=request_user(request), action_id=action_id, comment=data.validated_data["comment"]
        )
        return Response(ActionOutputSerializer(action).data)
