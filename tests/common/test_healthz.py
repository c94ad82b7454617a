"""/healthz: database and broker status, 503 when a required component is down."""

from __future__ import annotations

import pytest
from django.test import override_settings

from common.tasks import worker_heartbeat

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_broker_and_node(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "healthy"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"]["status"] == "ok"
    assert body["checks"]["node"]["status"] == "not_configured"


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_invalid_unreachable_broker_makes_platform_unhealthy(client):
    # A real connection attempt to a port where nothing listens.
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["status"] == "failing"


def test_worker_heartbeat_is_reported(client):
    assert client.get("/healthz").json()["checks"]["workers"]["status"] == "unknown"
    worker_heartbeat()
    workers = client.get("/healthz").json()["checks"]["workers"]
    assert workers["status"] == "ok"
    assert len(workers["workers"]) == 1


def test_healthz_reports_a_running_node(client, tmp_path):
    from tests.chain.nodeproc import running_node

    with running_node(tmp_path, funds={}) as node, override_settings(GLOAM_NODE_URLS=[node.url]):
        body = client.get("/healthz").json()
    assert body["checks"]["node"]["status"] == "ok"
    assert body["checks"]["node"]["nodes"][0]["height"] >= 0
    assert body["status"] == "healthy"


@override_settings(GLOAM_NODE_URLS=["http://127.0.0.1:1"])
def test_invalid_unreachable_node_makes_platform_unhealthy(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["node"]["nodes"][0]["error"] == "unreachable"


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
