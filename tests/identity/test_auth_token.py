"""The token exchange brokers' systems use (django-rest-knox: digests at rest, expiry,
revocation), and who may ask for cash."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from identity.roles import Role
from tests.at_rest import tables_holding
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"


def _exchange(username: str, password: str = PASSWORD):
    return APIClient().post(TOKEN_URL, {"username": username, "password": password})


def _me(token: str):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get("/api/v1/me/")


def test_a_username_and_password_give_a_new_expiring_token_each_time(make_user, broker_a):
    make_user(broker_a, Role.BROKER_TRADER, username="trader-x")
    before = timezone.now()
    first = APIClient().post(  # a form, as curl -d sends it (.ci/run)
        TOKEN_URL,
        urlencode({"username": "trader-x", "password": PASSWORD}),
        content_type="application/x-www-form-urlencoded",
    )
    again = _exchange("trader-x")  # JSON
    assert (first.status_code, again.status_code) == (200, 200)
    assert set(first.json()) == {"token", "expiry"}
    assert first.json()["token"] != again.json()["token"]
    ttl = dt.timedelta(hours=settings.GLOAM_API_TOKEN_TTL_HOURS)
    expiry = dt.datetime.fromisoformat(first.json()["expiry"])
    assert before + ttl <= expiry <= timezone.now() + ttl
    assert _me(first.json()["token"]).json()["username"] == "trader-x"
    assert _me(again.json()["token"]).json()["username"] == "trader-x"


def test_tokens_are_stored_only_as_digests(make_user, broker_a):
    make_user(broker_a, Role.BROKER_TRADER, username="trader-d")
    token = _exchange("trader-d").json()["token"]
    assert tables_holding(token) == []
    assert tables_holding(token[15:]) == []  # only the 15-character lookup prefix is kept
    assert _me(token).status_code == 200


def test_the_token_lifetime_is_a_setting():
    assert settings.GLOAM_API_TOKEN_TTL_HOURS == 24
    assert settings.REST_KNOX["TOKEN_TTL"] == dt.timedelta(hours=24)


def test_an_expired_token_is_refused_and_deleted(make_user, broker_a):
    user = make_user(broker_a, Role.BROKER_TRADER, username="trader-e")
    token = _exchange("trader-e").json()["token"]
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    refused = _me(token)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"
    assert not AuthToken.objects.filter(user=user).exists()


def test_an_exchange_purges_the_users_expired_tokens(make_user, broker_a):
    user = make_user(broker_a, Role.BROKER_TRADER, username="trader-p")
    _exchange("trader-p")
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    _exchange("trader-p")
    assert AuthToken.objects.filter(user=user).count() == 1


def test_a_client_revokes_its_own_token(make_user, broker_a):
    make_user(broker_a, Role.BROKER_TRADER, username="trader-r")
    token, other = (_exchange("trader-r").json()["token"] for _ in range(2))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.post("/api/v1/auth/token/revoke/").status_code == 204
    assert _me(token).status_code == 401
    assert _me(other).status_code == 200


def test_revoke_all_revokes_every_token_of_the_user_only(make_user, broker_a):
    make_user(broker_a, Role.BROKER_TRADER, username="trader-a")
    make_user(broker_a, Role.BROKER_TRADER, username="colleague")
    tokens = [_exchange("trader-a").json()["token"] for _ in range(3)]
    colleagues = _exchange("colleague").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[0]}")
    assert client.post("/api/v1/auth/token/revoke-all/").status_code == 204
    assert [_me(token).status_code for token in tokens] == [401, 401, 401]
    assert _me(colleagues).status_code == 200


def test_revoking_needs_a_token(make_user, broker_a):
    refused = APIClient().post("/api/v1/auth/token/revoke/")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "not_authenticated"


def test_deactivating_a_user_revokes_its_tokens_for_good(make_user, broker_a):
    user = make_user(broker_a, Role.BROKER_TRADER, username="trader-gone")
    token = _exchange("trader-gone").json()["token"]
    user.is_active = False
    user.save()
    assert not AuthToken.objects.filter(user=user).exists()
    user.is_active = True
    user.save()
    assert _me(token).status_code == 401


def test_a_token_that_is_not_utf8_is_refused_not_a_server_error():
    response = APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION="Token \xe9\xff" + "a" * 40)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_invalid_credentials_get_no_token(make_user, broker_a):
    make_user(broker_a, Role.BROKER_TRADER, username="trader-y")
    response = _exchange("trader-y", "wrong")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert "token" not in response.json()
    assert not AuthToken.objects.exists()


def test_only_the_operator_asks_for_cash(make_user, broker_a, api_client_for):
    trader = api_client_for(make_user(broker_a, Role.BROKER_TRADER))
    body = {"lei": broker_a.lei, "currency": "EUR", "amount": "100.00"}
    assert trader.post("/api/v1/cash-issuances/", body, format="json").status_code == 403
    unavailable = trader.get("/api/v1/cash-balances/")  # no node in this test
    assert (unavailable.status_code, unavailable.json()["error"]["code"]) == (503, "chain_unavailable")


def test_the_operator_opens_an_organisations_chain_account_once(
    operator, broker_a, api_client_for, make_user
):
    url = f"/api/v1/organisations/{broker_a.pk}/chain-account/"
    assert api_client_for(make_user(broker_a, Role.BROKER_BACK_OFFICE)).post(url).status_code == 403
    first = api_client_for(operator).post(url).json()["chain_public_key"]
    again = api_client_for(operator).post(url).json()["chain_public_key"]
    assert first is not None
    assert first == again


def test_an_operator_issues_a_token_from_the_command_line(make_user, broker_a):
    user = make_user(broker_a, Role.BROKER_TRADER, username="machine")
    out = StringIO()
    call_command("api_token_create", "machine", stdout=out, stderr=StringIO())
    token = out.getvalue().strip()
    assert _me(token).json()["username"] == "machine"
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="deactivated"):
        call_command("api_token_create", "machine", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="No user"):
        call_command("api_token_create", "nobody", stdout=StringIO(), stderr=StringIO())


def test_the_admin_revokes_tokens_but_does_not_issue_them(make_user, broker_a, operator_org):
    admin_user = make_user(operator_org, Role.OPERATOR, username="root-op", is_staff=True, is_superuser=True)
    make_user(broker_a, Role.BROKER_TRADER, username="trader-adm")
    token = _exchange("trader-adm").json()["token"]
    stored = AuthToken.objects.get(user__username="trader-adm")
    browser = Client()
    browser.force_login(admin_user)
    assert browser.get("/admin/knox/authtoken/add/").status_code == 403
    listed = browser.get("/admin/knox/authtoken/")
    assert listed.status_code == 200
    assert stored.token_key in listed.content.decode()
    assert token not in listed.content.decode()
    url = f"/admin/knox/authtoken/{stored.pk}/delete/"
    assert browser.post(url, {"post": "yes"}).status_code == 302
    assert _me(token).status_code == 401
