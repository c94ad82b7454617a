"""No error under ``/api/`` is an HTML page, and none anywhere is Django's debug page, even with
DEBUG on (a developer may turn it on; the embedded default runs with it off since issue 16,
tests/config/test_embedded_defaults.py): a view's crash is the JSON 500, logged with its
traceback; an unknown URL is the normal 404 (JSON under ``/api/``), never the URL patterns; a
CSRF refusal, a disallowed host and a chunked body get the one error shape under ``/api/``."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from identity.models import ClientAccount
from identity.roles import Role
from issuance.models import Instrument, InstrumentStatus
from tests.issuance.conftest import make_bond_terms
from tests.settlement.conftest import side

pytestmark = pytest.mark.django_db

#: Text of Django's technical 500 and 404 pages.
DEBUG_PAGE_MARKERS = (
    "DEBUG = True",
    "Traceback",
    "SECRET_KEY",
    "INSTALLED_APPS",
    "Request information",
    "URLconf",
    "technical",
)


def _assert_error_shape(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body


def _assert_no_debug_page(response) -> None:
    text = response.content.decode(errors="replace")
    for marker in DEBUG_PAGE_MARKERS:
        assert marker not in text, marker


@pytest.fixture
def crashing_request(issuer, broker_a, broker_b, make_user) -> tuple[APIClient, dict]:
    """A broker's trade on a bond stored with a face value of 0, as stored data can be (rows
    from before the API checked it): pricing the trade divides by the face value, a real
    uncaught ``decimal.DivisionByZero`` in a real view."""
    Instrument.objects.create(
        **(make_bond_terms() | {"face_value": Decimal("0")}),
        issuer=issuer,
        status=InstrumentStatus.LIVE,
        contract_id="0x" + "ab" * 32,
    )
    ClientAccount.objects.create(
        broker=broker_a, account_reference="A-CLIENT", name="A-CLIENT", holder_type="legal_entity"
    )
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(make_user(broker_a, Role.BROKER_TRADER))
    return client, side({"a_lei": broker_a.lei, "b_lei": broker_b.lei}, "a")


@pytest.mark.parametrize("debug", [True, False])
def test_a_crash_under_the_api_is_the_json_500_and_is_logged(settings, crashing_request, caplog, debug):
    settings.DEBUG = debug
    client, body = crashing_request
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.post("/api/v1/settlement-instructions/", body, format="json")
    error = _assert_error_shape(response, 500, "server_error")
    assert error["error"]["details"] == {}
    _assert_no_debug_page(response)
    assert "DivisionByZero" not in response.content.decode()
    logged = [r for r in caplog.records if r.name == "django.request" and r.levelno >= logging.ERROR]
    assert len(logged) == 1, "logged once, with its traceback"
    assert logged[0].exc_info is not None
    assert isinstance(logged[0].exc_info[1], ArithmeticError)  # decimal's DivisionByZero


def test_the_uis_404_never_lists_the_url_patterns_with_debug_on(settings, client):
    settings.DEBUG = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    _assert_no_debug_page(response)
    assert "api/v1/" not in response.content.decode()
    assert "admin/" not in response.content.decode()


def test_a_views_http404_is_the_normal_page_with_debug_on(settings, client, make_user, issuer):
    settings.DEBUG = True
    client.force_login(make_user(issuer, Role.COMPLIANCE_OFFICER))
    response = client.get("/compliance/rules/00000000-0000-0000-0000-000000000000/")  # raises Http404
    assert response.status_code == 404
    _assert_no_debug_page(response)


def test_the_slash_is_still_appended_with_debug_on(settings, client):
    settings.DEBUG = True
    response = client.get("/login")
    assert response.status_code == 301
    assert response["Location"] == "/login/"


@pytest.mark.parametrize("path", ["/api/v1/nothing-here/", "/api/nope", "/api"])
def test_the_apis_anonymous_404_is_json_with_debug_on(settings, client, path):
    settings.DEBUG = True
    response = client.get(path)
    _assert_error_shape(response, 404, "not_found")
    _assert_no_debug_page(response)


def test_a_post_to_an_unknown_api_url_is_a_json_404_not_an_html_csrf_403():
    response = Client(enforce_csrf_checks=True).post(
        "/api/v1/nothing-here/", data="{}", content_type="application/json"
    )
    _assert_error_shape(response, 404, "not_found")


def test_a_session_post_without_csrf_token_is_the_json_403(operator):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(operator)
    response = client.post("/api/v1/organisations/", {"legal_name": "x"}, format="json")
    body = _assert_error_shape(response, 403, "permission_denied")
    assert "CSRF" in body["error"]["message"]


def test_the_uis_csrf_failure_is_still_the_html_page():
    response = Client(enforce_csrf_checks=True).post("/logout/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_a_disallowed_host_under_the_api_is_json_without_the_debug_page(settings, client):
    settings.DEBUG = True
    response = client.get("/api/v1/organisations/", HTTP_HOST="evil.example")
    _assert_error_shape(response, 400, "bad_request")
    _assert_no_debug_page(response)


def test_a_chunked_body_without_content_length_is_411(api_client_for, operator):
    # gunicorn passes a chunked body with HTTP_TRANSFER_ENCODING and no CONTENT_LENGTH, which
    # Django reads as an empty body: the request would run as if nothing had been sent.
    response = api_client_for(operator).post(
        "/api/v1/organisations/",
        data='{"legal_name": "Chunked"}',
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )
    _assert_error_shape(response, 411, "length_required")


def test_a_chunked_body_outside_the_api_is_411_too(client):
    response = client.post(
        "/login/",
        data="username=x",
        content_type="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )
    assert response.status_code == 411
