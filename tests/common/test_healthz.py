"""/healthz: 200 when healthy, 503 naming each failing part (database, broker, nodes that do
not answer or are behind, finality, workers) with its reason. The rules themselves are tested
in test_health_rules.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.signals import worker_ready
from django.db import OperationalError, connection
from django.test import override_settings
from django.utils import timezone

from common.models import WorkerHeartbeat
from common.tasks import worker_heartbeat
from tests.chain.rpcdouble import node_status, rpc_double

pytestmark = pytest.mark.django_db


@pytest.fixture
def heartbeat():
    """A worker that has just written its heartbeat."""
    worker_heartbeat()


def test_healthz_reports_database_broker_and_node(client, heartbeat):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["failing"] == []
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "ok"
    assert body["checks"]["node"]["status"] == "not_configured"
    assert body["checks"]["chain"]["status"] == "not_configured"
    assert body["checks"]["workers"]["status"] == "ok"


def test_invalid_no_worker_heartbeat_makes_platform_unhealthy(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["workers"]
    assert response.json()["reasons"] == {"workers": "no worker heartbeat recorded"}


def test_invalid_stale_worker_heartbeat_makes_platform_unhealthy(client, settings):
    period = settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]["schedule"]
    long_ago = timezone.now() - timedelta(seconds=3 * period + 5)
    WorkerHeartbeat.objects.create(hostname="old", last_seen=long_ago)
    body = client.get("/healthz").json()
    assert body["failing"] == ["workers"]
    assert body["checks"]["workers"]["workers"][0]["fresh"] is False
    worker_heartbeat()
    assert client.get("/healthz").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_worker_writes_its_heartbeat_as_soon_as_it_is_ready(client):
    import config.celery  # noqa: F401 - connects the receiver, as a worker does

    assert client.get("/healthz").status_code == 503
    worker_ready.send(sender=None)
    assert WorkerHeartbeat.objects.count() == 1
    assert client.get("/healthz").status_code == 200


def test_invalid_database_down_makes_platform_unhealthy(client, heartbeat):
    def refuse(*args, **kwargs):
        raise OperationalError("the database is down")

    with connection.execute_wrapper(refuse):
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["failing"] == ["database"]
    assert body["reasons"] == {"database": "OperationalError"}
    assert "workers" not in body["checks"]


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_invalid_unreachable_broker_makes_platform_unhealthy(client):
    # A real connection attempt to a port where nothing listens.
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "failing"


def test_worker_heartbeat_is_reported(client):
    assert client.get("/healthz").json()["checks"]["workers"]["status"] == "failing"
    worker_heartbeat()
    workers = client.get("/healthz").json()["checks"]["workers"]
    assert workers["status"] == "ok"
    assert len(workers["workers"]) == 1


@pytest.mark.devnet
def test_healthz_reports_a_running_node(client, tmp_path, heartbeat):
    """A real single-authority node: current, and exempt from the finality rule."""
    from tests.chain.nodeproc import running_node

    with running_node(tmp_path, funds={}) as node, override_settings(GLOAM_NODE_URLS=[node.url]):
        response = client.get("/healthz")
    body = response.json()
    assert body["checks"]["node"]["status"] == "ok"
    assert body["checks"]["node"]["nodes"][0]["height"] >= 0
    assert body["checks"]["chain"]["head_height"] >= 0
    assert body["checks"]["chain"]["finality"]["status"] == "ok"
    assert (response.status_code, body["status"], body["failing"]) == (200, "healthy", [])


def test_invalid_node_behind_and_stale_finality_make_platform_unhealthy(client, heartbeat):
    with (
        rpc_double(node_status(100, final_age_seconds=7.0)) as ahead,
        rpc_double(node_status(90, final_age_seconds=9.0)) as behind,
        override_settings(GLOAM_NODE_URLS=[ahead.url, behind.url], GLOAM_EXPECTED_BLOCK_SECONDS=2),
    ):
        response = client.get("/healthz")
        assert response.status_code == 503
        body = response.json()
        assert body["failing"] == ["chain.behind", "chain.finality"]
        assert body["reasons"] == {
            "chain.behind": f"{behind.url}: 10 blocks behind",
            "chain.finality": "no block Final for 7.0 s (limit 6 s)",
        }
        assert body["checks"]["chain"]["lagging_nodes"] == [
            {"url": behind.url, "reason": "10 blocks behind", "behind": 10, "syncing": False}
        ]
        behind.status = node_status(96, final_age_seconds=1.0)
        assert client.get("/healthz").status_code == 200


@override_settings(GLOAM_NODE_URLS=["http://127.0.0.1:1"])
def test_invalid_unreachable_node_makes_platform_unhealthy(client, heartbeat):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["node"]["nodes"][0]["error"] == "unreachable"
    assert response.json()["failing"] == ["node", "chain.behind"]


def test_invalid_node_sending_a_malformed_reply_is_failing_not_a_500(client):
    """An error reply with ``"data": null`` (or any other junk) marks the node failing."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Junk(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers["Content-Length"]))
            body = json.dumps({"jsonrpc": "2.0", "id": 1, "error": {"code": 1, "data": None}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Junk)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with override_settings(GLOAM_NODE_URLS=[f"http://127.0.0.1:{server.server_port}"]):
            response = client.get("/healthz")
    finally:
        server.shutdown()
        server.server_close()
    assert response.status_code == 503
    assert response.json()["checks"]["node"]["nodes"][0] == {
        "url": f"http://127.0.0.1:{server.server_port}",
        "status": "failing",
        "error": "bad_response",
    }


def test_livez_answers_while_the_platform_is_unhealthy(client):
    # No worker heartbeat: /healthz is 503, but the web process itself is alive.
    assert client.get("/healthz").status_code == 503
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}
    assert client.post("/livez").status_code == 405
