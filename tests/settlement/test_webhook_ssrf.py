"""Webhook SSRF (docs/security.md, Webhooks and SSRF): URLs to loopback, link-local, private
and other non-public addresses are refused when registered or changed and again at delivery;
endpoints can be deactivated and deleted by their own broker only. Real views, real delivery
code, a real HTTP server on 127.0.0.1; nothing is sent anywhere else."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from common.models import AuditEntry
from identity.models import Organisation
from identity.roles import Role
from settlement import webhooks
from settlement.models import WebhookDelivery, WebhookEndpoint
from tests.settlement.conftest import URL, side

ENDPOINTS = "/api/v1/webhook-endpoints/"


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, str]]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, dict(self.headers)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver_port() -> Iterator[int]:
    """A real HTTP server on 127.0.0.1 (not allowed unless a test allows it)."""
    _Receiver.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


@pytest.fixture
def back_office(parties, make_user, api_client_for) -> Any:
    """Broker A's back office, which may register webhooks."""
    broker_a = Organisation.objects.get(lei=parties["a_lei"])
    return api_client_for(make_user(broker_a, Role.BROKER_BACK_OFFICE))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "loopback"),
        ("http://localhost:9100/", "loopback"),
        ("http://[::1]/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1/hook", "private"),
        ("http://192.168.1.1/hook", "private"),
        ("http://172.16.0.1/hook", "private"),
        ("https://[fd00::1]/hook", "private"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://0.0.0.0:8000/", "unspecified"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://[2002:7f00:1::1]/hook", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("http://100.64.0.1/hook", "not globally routable"),  # carrier-grade NAT
        ("http://nonexistent.invalid/hook", "does not resolve"),
        ("ftp://example.com/hook", "must be http or https"),
        ("http://user:pass@example.com/hook", "must not contain credentials"),
    ],
)
def test_non_public_targets_are_refused_at_registration(bond, back_office, url, reason):
    response = back_office.post(ENDPOINTS, {"url": url}, format="json")
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "webhook_url_refused"
    assert reason in error["message"]
    assert reason in error["details"]["url"][0]
    assert not WebhookEndpoint.objects.exists()
    assert not AuditEntry.objects.filter(action="webhook_endpoint.create").exists()


def test_an_allowed_host_is_accepted_and_only_that_host(bond, back_office, settings):
    settings.GLOAM_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    created = back_office.post(ENDPOINTS, {"url": "http://127.0.0.1:9/hook"}, format="json")
    assert created.status_code == 201, created.content
    refused = back_office.post(ENDPOINTS, {"url": "http://[::1]:9/hook"}, format="json")
    assert refused.status_code == 400
    assert "loopback" in refused.json()["error"]["message"]


def test_a_url_change_is_checked_like_a_registration(bond, back_office, settings):
    settings.GLOAM_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    endpoint = back_office.post(ENDPOINTS, {"url": "http://127.0.0.1:9/hook"}, format="json").json()
    response = back_office.patch(
        f"{ENDPOINTS}{endpoint['id']}/", {"url": "http://169.254.169.254/"}, format="json"
    )
    assert response.status_code == 400
    assert "link-local" in response.json()["error"]["message"]
    assert WebhookEndpoint.objects.get().url == "http://127.0.0.1:9/hook"


def test_a_stored_url_to_a_non_public_host_is_refused_at_delivery(bond, parties, receiver_port):
    """A row stored before the check (or whose host resolves differently now) is not sent to;
    the delivery fails at once with the reason, and the server receives nothing."""
    broker_a = Organisation.objects.get(lei=parties["a_lei"])
    WebhookEndpoint.objects.create(broker=broker_a, url=f"http://127.0.0.1:{receiver_port}/hook", secret="s")
    parties["a"].post(URL, side(parties, "a"), format="json")  # two events: received, unmatched
    assert webhooks.webhooks_deliver() == {"delivered": 0, "retry": 0, "failed": 2}
    for delivery in WebhookDelivery.objects.all():
        assert delivery.status == WebhookDelivery.Status.FAILED
        assert delivery.attempts == 1
        assert delivery.last_error.startswith("refused: ")
        assert "127.0.0.1" in delivery.last_error
        assert "loopback" in delivery.last_error
    assert _Receiver.received == []
    assert webhooks.webhooks_deliver() == {"delivered": 0, "retry": 0, "failed": 0}  # not retried


def test_a_stored_malformed_url_fails_its_delivery_without_stopping_the_others(
    bond, parties, receiver_port, settings
):
    settings.GLOAM_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    broker_a = Organisation.objects.get(lei=parties["a_lei"])
    WebhookEndpoint.objects.create(broker=broker_a, url="http://[::1/hook", secret="s")
    WebhookEndpoint.objects.create(broker=broker_a, url=f"http://127.0.0.1:{receiver_port}/ok", secret="s")
    parties["a"].post(URL, side(parties, "a"), format="json")
    assert webhooks.webhooks_deliver() == {"delivered": 2, "retry": 0, "failed": 2}
    failed = WebhookDelivery.objects.filter(status=WebhookDelivery.Status.FAILED)
    assert {d.last_error for d in failed} == {"refused: The webhook URL is not a valid URL."}
    assert len(_Receiver.received) == 2


def test_an_unresolvable_host_at_delivery_is_retried_with_the_reason(bond, parties):
    broker_a = Organisation.objects.get(lei=parties["a_lei"])
    WebhookEndpoint.objects.create(broker=broker_a, url="https://nonexistent.invalid/hook", secret="s")
    parties["a"].post(URL, side(parties, "a"), format="json")
    assert webhooks.webhooks_deliver() == {"delivered": 0, "retry": 2, "failed": 0}
    for delivery in WebhookDelivery.objects.all():
        assert delivery.status == WebhookDelivery.Status.PENDING
        assert "does not resolve" in delivery.last_error


def test_delivery_to_an_allowed_loopback_server_works(bond, parties, back_office, receiver_port, settings):
    settings.GLOAM_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    url = f"http://127.0.0.1:{receiver_port}/hook?broker=a"
    assert back_office.post(ENDPOINTS, {"url": url}, format="json").status_code == 201
    parties["a"].post(URL, side(parties, "a"), format="json")
    assert webhooks.webhooks_deliver() == {"delivered": 2, "retry": 0, "failed": 0}
    assert len(_Receiver.received) == 2
    for path, headers in _Receiver.received:
        assert path == "/hook?broker=a"
        assert headers["Host"] == f"127.0.0.1:{receiver_port}"
    assert {delivery.response_status for delivery in WebhookDelivery.objects.all()} == {204}


def test_a_broker_deactivates_and_deletes_its_endpoint_audited(bond, parties, back_office, settings):
    settings.GLOAM_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    endpoint = back_office.post(ENDPOINTS, {"url": "http://127.0.0.1:9/hook"}, format="json").json()
    parties["a"].post(URL, side(parties, "a"), format="json")  # pending deliveries
    detail = f"{ENDPOINTS}{endpoint['id']}/"

    response = back_office.patch(detail, {"active": False}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert "secret" not in response.json()
    given_up = WebhookDelivery.objects.all()
    assert {(d.status, d.last_error) for d in given_up} == {
        (WebhookDelivery.Status.FAILED, "endpoint deactivated")
    }
    count = given_up.count()
    entry = AuditEntry.objects.get(action="webhook_endpoint.update")
    assert entry.object_id == endpoint["id"]
    assert entry.before == {"active": True}
    assert entry.changes == {"active": False}
    parties["a"].post(URL, side(parties, "a", reference="A-2"), format="json")
    assert WebhookDelivery.objects.count() == count  # an inactive endpoint gets no deliveries

    assert back_office.delete(detail).status_code == 204
    assert not WebhookEndpoint.objects.exists()
    deleted = AuditEntry.objects.get(action="webhook_endpoint.delete")
    assert deleted.object_id == endpoint["id"]
    assert deleted.before == {"url": "http://127.0.0.1:9/hook", "active": False}
    assert back_office.delete(detail).status_code == 404


def test_another_organisations_broker_gets_404(
    bond, parties, back_office, make_user, api_client_for, settings
):
    settings.GLOAM_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    endpoint = back_office.post(ENDPOINTS, {"url": "http://127.0.0.1:9/hook"}, format="json").json()
    detail = f"{ENDPOINTS}{endpoint['id']}/"
    other = parties["b"]  # broker B's back office
    for response in (other.patch(detail, {"active": False}, format="json"), other.delete(detail)):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert WebhookEndpoint.objects.get().active is True
    assert parties["a"].delete(detail).status_code == 403  # broker A's trader: not the back office
    assert not AuditEntry.objects.filter(
        action__in=["webhook_endpoint.update", "webhook_endpoint.delete"]
    ).exists()
