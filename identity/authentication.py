"""API token authentication: django-rest-knox tokens, stored as SHA-512 digests.

A client sends ``Authorization: Token <token>``. Knox looks the token up by its first 15
characters (``token_key``) and compares the SHA-512 digest of the whole token with the stored
one in constant time; the token itself is never stored. A token past its ``expiry``
(``GLOAM_API_TOKEN_TTL_HOURS`` after it was issued) is deleted when it is next presented, and
a deactivated user's tokens are deleted with the deactivation (:func:`revoke_tokens_of_inactive_user`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import exceptions
from rest_framework.request import Request

if TYPE_CHECKING:
    from django.http import HttpRequest

    from identity.models import User


class ApiTokenAuthentication(TokenAuthentication):
    """Knox's token authentication; a token that is not UTF-8 is refused as invalid (401)
    instead of failing the request with a server error."""

    def authenticate_credentials(self, token: bytes) -> tuple[Any, Any]:
        try:
            token.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from exc
        return super().authenticate_credentials(token)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The OpenAPI security scheme of :class:`ApiTokenAuthentication` (``tokenAuth``, as DRF's
    token authentication was called before)."""

    target_class = "identity.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix=knox_settings.AUTH_HEADER_PREFIX
        )


def revoke_tokens_of_inactive_user(sender: type[Any], instance: Any, **kwargs: Any) -> None:
    """``post_save`` of the user model: a user saved inactive (deactivated in the admin, a
    shell or a service) loses every API token, so reactivating the user revives none of them.
    Knox alone would only refuse them while the user stays inactive."""
    if not instance.is_active:
        AuthToken.objects.filter(user=instance).delete()


def request_user(request: HttpRequest | Request) -> User:
    """The signed-in user of a request that passed authentication (DRF's ``IsAuthenticated``
    or a page's login check): a real ``User``, never ``AnonymousUser``."""
    return cast("User", request.user)
