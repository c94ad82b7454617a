"""Brute-force protection (django-axes): the API token exchange and the login page lock a
username+IP pair out after GLOAM_LOGIN_FAILURE_LIMIT failures for GLOAM_LOGIN_COOLOFF_MINUTES.

Real views, real database: the clock is moved by ageing the recorded attempts."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.management import call_command
from rest_framework.test import APIClient

from identity.roles import Role
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
LIMIT = settings.AXES_FAILURE_LIMIT


@pytest.fixture
def trader(make_user, broker_a):
    return make_user(broker_a, Role.BROKER_TRADER, username="trader-lock")


def _token(client: APIClient, username: str, password: str, ip: str = "127.0.0.1"):
    return client.post(TOKEN_URL, {"username": username, "password": password}, REMOTE_ADDR=ip)


def _fail_until_locked(client: APIClient, username: str, ip: str = "127.0.0.1") -> list[int]:
    return [_token(client, username, "wrong password", ip).status_code for _ in range(LIMIT)]


def test_the_settings_lock_after_five_failures_for_fifteen_minutes():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
    assert settings.AUTHENTICATION_BACKENDS[0] == "axes.backends.AxesStandaloneBackend"


def test_the_api_locks_out_after_the_limit_even_with_the_right_password(trader):
    client = APIClient()
    statuses = _fail_until_locked(client, "trader-lock")
    assert statuses == [400] * (LIMIT - 1) + [429]

    refused = _token(client, "trader-lock", PASSWORD)
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"]["code"] == "login_locked_out"
    assert "Try again after" in body["error"]["message"]
    assert "token" not in body
    retry_at = dt.datetime.fromisoformat(body["error"]["details"]["retry_at"])
    seconds = body["error"]["details"]["retry_after_seconds"]
    assert 14 * 60 < seconds <= 15 * 60
    assert int(refused["Retry-After"]) == seconds
    assert dt.timedelta(minutes=14) < retry_at - dt.datetime.now(dt.UTC) <= dt.timedelta(minutes=15)


def test_thirty_wrong_passwords_are_not_all_answered_normally(trader):
    client = APIClient()
    statuses = [_token(client, "trader-lock", f"guess {n}").status_code for n in range(30)]
    assert statuses.count(400) == LIMIT - 1
    assert statuses[LIMIT - 1 :] == [429] * (30 - LIMIT + 1)
    # Refused attempts during the lockout do not push its end back.
    assert AccessAttempt.objects.get(username="trader-lock").failures_since_start == LIMIT


def test_the_lockout_ends_after_the_cool_off(trader):
    client = APIClient()
    _fail_until_locked(client, "trader-lock")
    assert _token(client, "trader-lock", PASSWORD).status_code == 429

    earlier = dt.datetime.now(dt.UTC) - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1)
    AccessAttempt.objects.filter(username="trader-lock").update(attempt_time=earlier)

    response = _token(client, "trader-lock", PASSWORD)
    assert response.status_code == 200
    assert response.json()["token"]


def test_an_operator_unlocks_with_axes_reset_username(trader):
    client = APIClient()
    _fail_until_locked(client, "trader-lock")
    assert _token(client, "trader-lock", PASSWORD).status_code == 429

    call_command("axes_reset_username", "trader-lock")

    assert _token(client, "trader-lock", PASSWORD).status_code == 200


def test_other_users_and_other_addresses_still_log_in(trader, make_user, broker_a):
    make_user(broker_a, Role.BROKER_TRADER, username="colleague")
    client = APIClient()
    _fail_until_locked(client, "trader-lock", ip="10.0.0.1")
    assert _token(client, "trader-lock", PASSWORD, ip="10.0.0.1").status_code == 429

    assert _token(client, "colleague", PASSWORD, ip="10.0.0.1").status_code == 200
    assert _token(client, "trader-lock", PASSWORD, ip="10.0.0.2").status_code == 200


def test_x_forwarded_for_does_not_give_a_fresh_address(trader):
    client = APIClient()
    for n in range(LIMIT):
        client.post(
            TOKEN_URL,
            {"username": "trader-lock", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        )
    refused = client.post(
        TOKEN_URL, {"username": "trader-lock", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.99"
    )
    assert refused.status_code == 429


def test_a_success_resets_the_count_on_the_api(trader):
    client = APIClient()
    for _ in range(2):
        assert [_token(client, "trader-lock", "wrong").status_code for _ in range(LIMIT - 1)] == [400] * (
            LIMIT - 1
        )
        assert _token(client, "trader-lock", PASSWORD).status_code == 200
    assert AccessLog.objects.filter(username="trader-lock", path_info=TOKEN_URL).count() == 2


def test_a_success_resets_the_count_on_the_login_page(client, trader):
    for _ in range(LIMIT - 1):
        client.post("/login/", {"username": "trader-lock", "password": "wrong"})
    assert client.post("/login/", {"username": "trader-lock", "password": PASSWORD}).status_code == 302
    client.post("/logout/")
    for _ in range(LIMIT - 1):
        assert client.post("/login/", {"username": "trader-lock", "password": "wrong"}).status_code == 200
    assert client.post("/login/", {"username": "trader-lock", "password": PASSWORD}).status_code == 302


def test_the_login_page_locks_out_with_a_clear_message(client, trader):
    statuses = [
        client.post("/login/", {"username": "trader-lock", "password": "wrong"}).status_code
        for _ in range(LIMIT)
    ]
    assert statuses == [200] * (LIMIT - 1) + [429]

    refused = client.post("/login/", {"username": "trader-lock", "password": PASSWORD})
    assert refused.status_code == 429
    html = refused.content.decode()
    assert "Too many failed login attempts" in html
    assert 'data-testid="login-locked-out"' in html
    assert "UTC" in html
    assert 14 * 60 < int(refused["Retry-After"]) <= 15 * 60
    assert "_auth_user_id" not in client.session


def test_failed_logins_are_recorded_and_shown_in_the_admin(client, trader, make_user, operator_org):
    _fail_until_locked(APIClient(), "trader-lock")
    assert AccessFailureLog.objects.filter(username="trader-lock").count() == LIMIT
    assert AccessFailureLog.objects.filter(username="trader-lock", locked_out=True).count() == 1

    admin = make_user(operator_org, Role.OPERATOR, username="admin-user", is_staff=True, is_superuser=True)
    client.force_login(admin)
    attempts = client.get("/admin/axes/accessattempt/")
    assert attempts.status_code == 200
    assert "trader-lock" in attempts.content.decode()
    assert "trader-lock" in client.get("/admin/axes/accessfailurelog/").content.decode()


def test_the_admin_login_is_locked_out_too(client, make_user, operator_org):
    make_user(operator_org, Role.OPERATOR, username="boss", is_staff=True, is_superuser=True)
    for _ in range(LIMIT):
        client.post("/admin/login/", {"username": "boss", "password": "wrong"})
    refused = client.post("/admin/login/", {"username": "boss", "password": PASSWORD})
    assert refused.status_code == 429
    assert "Too many failed login attempts" in refused.content.decode()
