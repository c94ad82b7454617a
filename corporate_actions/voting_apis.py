"""REST endpoints of proxy voting (``/api/v1/ballots/…``): propose, approve or reject, read
with the on-chain tally, and vote (brokers for their client accounts or themselves).
Thin views; who may do what is decided by ``corporate_actions.voting``."""

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
from common.text import validate_multiline_text, validate_name
from corporate_actions import voting
from corporate_actions.models import Ballot, BallotVote
from identity.authentication import request_user


class MotionSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200, validators=[validate_name])
    options = serializers.ListField(
        child=serializers.CharField(max_length=100, validators=[validate_name]), min_length=2, max_length=8
    )


class BallotOutputSerializer(serializers.ModelSerializer[Ballot]):
    isin = serializers.CharField(source="instrument.isin", read_only=True)

    class Meta:
        model = Ballot
        fields = [
            "id",
            "instrument",
            "isin",
            "title",
            "motions",
            "record_date",
            "opens_at",
            "closes_at",
            "status",
            "checkpoint_number",
            "contract_id",
            "error",
        ]


class BallotListCreateApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "BallotCreate"

        instrument = serializers.UUIDField()
        title = serializers.CharField(max_length=200, validators=[validate_name])
        motions = MotionSerializer(many=True)
        record_date = serializers.DateField()
        opens_at = serializers.DateTimeField()
        closes_at = serializers.DateTimeField()

    @extend_schema(
        responses=BallotOutputSerializer(many=True),
        parameters=list_parameters(),
        summary="Ballots of the instruments the user can see",
    )
    def get(self, request: Request) -> Response:
        return paginated_response(
            request, self, voting.ballot_list(user=request_user(request)), BallotOutputSerializer
        )

    @extend_schema(
        request=InputSerializer,
        responses={201: BallotOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Propose a ballot of a live instrument (issuer admin)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        ballot = voting.ballot_create(
            actor=request_user(request),
            instrument_id=values["instrument"],
            title=values["title"],
            motions=[dict(m) for m in values["motions"]],
            record_date=values["record_date"],
            opens_at=values["opens_at"],
            closes_at=values["closes_at"],
        )
        return Response(BallotOutputSerializer(ballot).data, status=status.HTTP_201_CREATED)


class BallotDetailApi(APIView):
    @extend_schema(
        responses=BallotOutputSerializer,
        summary="A ballot, with each motion's tally read from the ballot contract once deployed",
    )
    def get(self, request: Request, ballot_id: uuid.UUID) -> Response:
        ballot = voting.ballot_get(user=request_user(request), ballot_id=ballot_id)
        body = BallotOutputSerializer(ballot).data
        body["results"] = [
            {"title": r.title, "options": r.options, "weights": r.weights, "voters": r.voters}
            for r in voting.ballot_results(ballot=ballot)
        ]
        return Response(body)


class BallotDecideApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "BallotDecision"

        approve = serializers.BooleanField()
        comment = serializers.CharField(
            required=False, allow_blank=True, default="", validators=[validate_multiline_text]
        )

    @extend_schema(
        request=InputSerializer,
        responses=BallotOutputSerializer,
        summary="Approve or reject a pending ballot (issuer approver, not the proposer)",
    )
    def post(self, request: Request, ballot_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ballot = voting.ballot_decide(
            actor=request_user(request),
            ballot_id=ballot_id,
            approve=data.validated_data["approve"],
            comment=data.validated_data["comment"],
        )
        return Response(BallotOutputSerializer(ballot).data)


class BallotVoteOutputSerializer(serializers.ModelSerializer[BallotVote]):
    voter_address = serializers.SerializerMethodField()

    class Meta:
        model = BallotVote
        fields = ["id", "ballot", "voter_address", "motion", "choices", "status", "error", "created_at"]

    def get_voter_address(self, vote: BallotVote) -> str:
        return "0x" + vote.voter.address.hex()


class BallotVoteApi(APIView):
    class ChoiceSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "BallotChoice"

        option = serializers.IntegerField(min_value=0, max_value=7)
        weight = serializers.IntegerField(min_value=1, help_text="Token units.")

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "BallotVoteCast"

        motion = serializers.IntegerField(min_value=0, max_value=15)
        choices = serializers.ListField(child=serializers.DictField(), max_length=8)
        client_account = serializers.UUIDField(required=False, allow_null=True, default=None)

    @extend_schema(
        request=InputSerializer,
        responses={201: BallotVoteOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Vote, change or withdraw (no choices) a vote on one motion",
        description=(
            "For a client account of the broker (`client_account`) or the caller's own organisation. "
            "`choices`: `[{option, weight}]`, weights in token units summing to at most the voter's "
            "holding at the record date. The vote counts once its transaction is Final."
        ),
    )
    @idempotent
    def post(self, request: Request, ballot_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        choices = []
        for raw in data.validated_data["choices"]:
            choice = self.ChoiceSerializer(data=raw)
            choice.is_valid(raise_exception=True)
            choices.append((choice.validated_data["option"], choice.validated_data["weight"]))
        vote = voting.ballot_vote(
            actor=request_user(request),
            ballot_id=ballot_id,
            motion=data.validated_data["motion"],
            choices=choices,
            client_account_id=data.validated_data["client_account"],
        )
        return Response(BallotVoteOutputSerializer(vote).data, status=status.HTTP_201_CREATED)
