"""REST endpoints for organisations, users, roles and client accounts (``/api/v1/``).

Views are thin: validate with the nested ``InputSerializer``, call one service or
selector, render with the ``OutputSerializer``.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from django.utils import timezone
from django_countries.serializer_fields import CountryField
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from knox.views import LoginView as KnoxLoginView
from knox.views import LogoutAllView as KnoxLogoutAllView
from knox.views import LogoutView as KnoxLogoutView
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from common.api.pagination import list_parameters, paginated_response
from common.api.parsers import BoundedJSONParser
from common.text import validate_name, validate_reference
from identity import selectors, services
from identity.authentication import ApiTokenAuthentication, request_user
from identity.filters import ClientAccountFilter, OrganisationFilter, UserFilter
from identity.login_lockout import LoginLockedOut, is_locked_out, lockout_ends_at
from identity.models import ClientAccount, Organisation, User
from identity.roles import OrganisationKind, Role


class OrganisationOutputSerializer(serializers.ModelSerializer[Organisation]):
    country = CountryField()
    chain_public_key = serializers.SerializerMethodField(
        help_text="The organisation's chain account (BLS public key, hex); null if none."
    )

    class Meta:
        model = Organisation
        fields = ["id", "legal_name", "lei", "country", "kind", "is_active", "chain_public_key", "created_at"]

    def get_chain_public_key(self, organisation: Organisation) -> str | None:
        account = getattr(organisation, "chain_account", None)
        return account.public_key if account is not None else None


class RoleField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Role.choices, **kwargs)


class UserOutputSerializer(serializers.ModelSerializer[User]):
    roles = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = [
            "id",
            "username",
            "email",
            "first_name",
            "last_name",
            "organisation",
            "roles",
            "is_active",
            "date_joined",
        ]

    def get_roles(self, user: User) -> list[str]:
        return sorted(a.role for a in user.role_assignments.all())


class ClientAccountOutputSerializer(serializers.ModelSerializer[ClientAccount]):
    chain_public_key = serializers.SerializerMethodField(
        help_text="The client account's own chain address (BLS public key, hex): where its holdings sit."
    )

    class Meta:
        model = ClientAccount
        fields = [
            "id",
            "broker",
            "account_reference",
            "name",
            "holder_type",
            "holder_lei",
            "status",
            "chain_public_key",
            "created_at",
        ]

    def get_chain_public_key(self, account: ClientAccount) -> str | None:
        chain_account = getattr(account, "chain_account", None)
        return chain_account.public_key if chain_account is not None else None


class MeApi(APIView):
    @extend_schema(responses=UserOutputSerializer, summary="The authenticated user")
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request_user(request)).data)


class OrganisationListCreateApi(APIView):
    """Organisations the caller may see; operators register new ones."""

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "OrganisationCreate"

        legal_name = serializers.CharField(max_length=200, validators=[validate_name])
        lei = serializers.CharField(max_length=20, min_length=20)
        country = CountryField()
        kind = serializers.ChoiceField(choices=OrganisationKind.choices)

    @extend_schema(
        responses=OrganisationOutputSerializer(many=True),
        summary="List organisations",
        parameters=list_parameters(OrganisationFilter),
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.organisation_list(user=request_user(request), filters=request.query_params)
        return paginated_response(request, self, queryset, OrganisationOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: OrganisationOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Register an organisation (operator)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = services.organisation_create(actor=request_user(request), **data.validated_data)
        return Response(OrganisationOutputSerializer(organisation).data, status=status.HTTP_201_CREATED)


class OrganisationDetailApi(APIView):
    @extend_schema(responses=OrganisationOutputSerializer, summary="One organisation")
    def get(self, request: Request, organisation_id: uuid.UUID) -> Response:
        organisation = selectors.organisation_get(user=request_user(request), organisation_id=organisation_id)
        return Response(OrganisationOutputSerializer(organisation).data)


class OrganisationChainAccountApi(APIView):
    @extend_schema(
        request=None,
        responses=OrganisationOutputSerializer,
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Open an organisation's chain account, funded with gas (operator; idempotent)",
    )
    @idempotent
    def post(self, request: Request, organisation_id: uuid.UUID) -> Response:
        organisation = services.organisation_chain_account_open(
            actor=request_user(request), organisation_id=organisation_id
        )
        return Response(OrganisationOutputSerializer(organisation).data)


class UserListCreateApi(APIView):
    """Users the caller may see; operators create users with their roles."""

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "UserCreate"

        organisation_id = serializers.UUIDField()
        username = serializers.CharField(max_length=150, validators=[validate_reference])
        email = serializers.EmailField()
        first_name = serializers.CharField(
            max_length=150, required=False, default="", validators=[validate_name]
        )
        last_name = serializers.CharField(
            max_length=150, required=False, default="", validators=[validate_name]
        )
        password = serializers.CharField(
            required=False,
            allow_null=True,
            default=None,
            write_only=True,
            help_text="Omit for a machine account that authenticates with an API token.",
        )
        roles = serializers.ListField(child=RoleField(), required=False, default=list)

    @extend_schema(
        responses=UserOutputSerializer(many=True),
        summary="List users",
        parameters=list_parameters(UserFilter),
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.user_list(user=request_user(request), filters=request.query_params)
        return paginated_response(request, self, queryset, UserOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: UserOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Create a user (operator)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(actor=request_user(request), **data.validated_data)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class UserDetailApi(APIView):
    @extend_schema(responses=UserOutputSerializer, summary="One user")
    def get(self, request: Request, user_id: uuid.UUID) -> Response:
        return Response(
            UserOutputSerializer(selectors.user_get(user=request_user(request), user_id=user_id)).data
        )


class UserRoleGrantApi(APIView):
    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "RoleGrant"

        role = RoleField()

    @extend_schema(
        request=InputSerializer,
        responses={201: UserOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Grant a role (operator)",
    )
    @idempotent
    def post(self, request: Request, user_id: uuid.UUID) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        actor = request_user(request)
        services.user_role_grant(actor=actor, user_id=user_id, role=data.validated_data["role"])
        user = selectors.user_get(user=actor, user_id=user_id)
        return Response(UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)


class UserRoleRevokeApi(APIView):
    @extend_schema(
        responses={204: None},
        parameters=[OpenApiParameter("role", str, OpenApiParameter.PATH, enum=Role.values)],
        summary="Revoke a role (operator)",
    )
    def delete(self, request: Request, user_id: uuid.UUID, role: str) -> Response:
        RoleField().run_validation(role)
        services.user_role_revoke(actor=request_user(request), user_id=user_id, role=role)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClientAccountListCreateApi(APIView):
    """A broker's client accounts; its back office opens new ones."""

    class InputSerializer(serializers.Serializer[Any]):
        class Meta:
            ref_name = "ClientAccountCreate"

        account_reference = serializers.RegexField(r"^[A-Za-z0-9/\-?:().,'+ ]{1,35}$")
        name = serializers.CharField(max_length=200, validators=[validate_name])
        holder_type = serializers.ChoiceField(choices=ClientAccount.HolderType.choices)
        holder_lei = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)

    @extend_schema(
        responses=ClientAccountOutputSerializer(many=True),
        summary="List client accounts",
        parameters=list_parameters(ClientAccountFilter),
    )
    def get(self, request: Request) -> Response:
        queryset = selectors.client_account_list(user=request_user(request), filters=request.query_params)
        return paginated_response(request, self, queryset, ClientAccountOutputSerializer)

    @extend_schema(
        request=InputSerializer,
        responses={201: ClientAccountOutputSerializer},
        parameters=[IDEMPOTENCY_PARAMETER],
        summary="Open a client account (broker back office)",
    )
    @idempotent
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = services.client_account_create(actor=request_user(request), **data.validated_data)
        return Response(ClientAccountOutputSerializer(account).data, status=status.HTTP_201_CREATED)


class ClientAccountDetailApi(APIView):
    @extend_schema(responses=ClientAccountOutputSerializer, summary="One client account")
    def get(self, request: Request, client_account_id: uuid.UUID) -> Response:
        account = selectors.client_account_get(
            user=request_user(request), client_account_id=client_account_id
        )
        return Response(ClientAccountOutputSerializer(account).data)


class LockoutAwareAuthTokenSerializer(AuthTokenSerializer):
    """DRF's username-and-password serializer (``authenticate(request=...)``, so django-axes
    counts each failure and refuses a locked-out pair before checking the password), answering
    a locked-out username and IP with 429 ``login_locked_out`` instead of the usual 400."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request = self.context["request"]
        try:
            return cast(dict[str, Any], super().validate(attrs))
        except serializers.ValidationError:
            if is_locked_out(request):
                retry_at = lockout_ends_at(request, {"username": attrs.get("username")})
                raise LoginLockedOut(retry_at) from None
            raise


class AuthTokenApi(KnoxLoginView):
    """The token exchange: username and password for a new API token (django-rest-knox), which
    expires ``GLOAM_API_TOKEN_TTL_HOURS`` later. Only its SHA-512 digest is stored, so the
    token is shown this once; each exchange issues another. Brokers' systems then send
    ``Authorization: Token <token>``.

    After ``GLOAM_LOGIN_FAILURE_LIMIT`` failures in a row for a username from one address the
    pair is locked out for ``GLOAM_LOGIN_COOLOFF_MINUTES``: 429 with a ``Retry-After`` header."""

    # Knox's view sends ``user_logged_in`` for the new token: axes logs the access and resets
    # the username+IP pair's failures, as after a login on the page.
    authentication_classes: list[type[Any]] = []
    permission_classes = [AllowAny]
    throttle_classes: list[type[Any]] = []
    parser_classes = [FormParser, MultiPartParser, BoundedJSONParser]
    serializer_class = LockoutAwareAuthTokenSerializer

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        if isinstance(exc, LoginLockedOut):
            response["Retry-After"] = str(exc.retry_after_seconds)
        return response

    @extend_schema(
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer(
                "AuthToken",
                {
                    "token": serializers.CharField(help_text="Send as `Authorization: Token <token>`."),
                    "expiry": serializers.DateTimeField(help_text="When the token stops being accepted."),
                },
            ),
            429: OpenApiResponse(description="Too many failed logins for this username from this address."),
        },
        summary="Exchange a username and password for a new API token",
        auth=[],
    )
    def post(self, request: Request, format: str | None = None) -> Response:
        credentials = self.serializer_class(data=request.data, context=self.get_context())
        credentials.is_valid(raise_exception=True)
        user = credentials.validated_data["user"]
        request.user = user
        # The user's tokens that expired are purged here (knox deletes others only when presented).
        AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
        return cast(Response, super().post(request, format=format))


class AuthTokenRevokeApi(KnoxLogoutView):
    """Revoke the token this request is authenticated with (log out a machine client)."""

    authentication_classes = [ApiTokenAuthentication]

    @extend_schema(request=None, responses={204: None}, summary="Revoke the API token of this request")
    def post(self, request: Request, format: str | None = None) -> Response:
        return cast(Response, super().post(request, format=format))


class AuthTokenRevokeAllApi(KnoxLogoutAllView):
    """Revoke every API token of the authenticated user (with a token or from the UI's session)."""

    authentication_classes = [ApiTokenAuthentication, SessionAuthentication]

    @extend_schema(request=None, responses={204: None}, summary="Revoke all your API tokens")
    def post(self, request: Request, format: str | None = None) -> Response:
        return cast(Response, super().post(request, format=format))
