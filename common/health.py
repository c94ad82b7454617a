"""Health checks behind ``/healthz``: database, broker, chain nodes, workers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from kombu import Connection

from chain.node.client import NodeClient, RpcError
from common.models import WorkerHeartbeat

OK = "ok"
FAILING = "failing"
NOT_CONFIGURED = "not_configured"


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any driver error means the database is down
        return {"status": FAILING, "error": type(exc).__name__}
    return {"status": OK, "vendor": connection.vendor}


def check_broker() -> dict[str, Any]:
    """Open a connection to ``CELERY_BROKER_URL`` (one attempt, 2 s timeout)."""
    url = str(settings.CELERY_BROKER_URL)
    transport = url.split("://", 1)[0]
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    try:
        with Connection(url, transport_options=options, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
    except Exception as exc:  # noqa: BLE001 - kombu raises many transport-specific errors
        return {"status": FAILING, "transport": transport, "error": type(exc).__name__}
    return {"status": OK, "transport": transport}


def check_nodes() -> dict[str, Any]:
    """Ask each configured node for its head (one attempt, 2 s timeout)."""
    urls = list(settings.GLOAM_NODE_URLS)
    if not urls:
        return {"status": NOT_CONFIGURED, "nodes": []}
    nodes = []
    for url in urls:
        try:
            with NodeClient([url], timeout=2.0, attempts=1) as client:
                head = client.get_head()
            nodes.append({"url": url, "status": OK, "height": head.height, "finality": head.finality})
        except RpcError as exc:
            nodes.append({"url": url, "status": FAILING, "error": exc.reason})
        except Exception as exc:  # noqa: BLE001 - /healthz reports a broken node, never a 500
            nodes.append({"url": url, "status": FAILING, "error": type(exc).__name__})
    status = OK if any(n["status"] == OK for n in nodes) else FAILING
    return {"status": status, "nodes": nodes}


def check_workers(*, stale_after: timedelta | None = None) -> dict[str, Any]:
    """Informational: the workers that ran the beat heartbeat, and how long ago."""
    period = timedelta(seconds=float(settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]["schedule"]))
    stale_after = stale_after or 3 * period
    now = timezone.now()
    workers = [
        {
            "hostname": beat.hostname,
            "last_seen": beat.last_seen.isoformat(),
            "fresh": now - beat.last_seen <= stale_after,
        }
        for beat in WorkerHeartbeat.objects.order_by("hostname")
    ]
    status = OK if any(w["fresh"] for w in workers) else "unknown"
    return {"status": status, "workers": workers}


def get_health() -> tuple[bool, dict[str, Any]]:
    """All checks; healthy when the database, the broker and (if configured) a node answer.

    Workers are reported but do not make the platform unhealthy: their heartbeat only
    starts after the first beat period.
    """
    checks = {
        "database": check_database(),
        "broker": check_broker(),
        "node": check_nodes(),
    }
    if checks["database"]["status"] == OK:
        checks["workers"] = check_workers()
    healthy = all(checks[name]["status"] in (OK, NOT_CONFIGURED) for name in ("database", "broker", "node"))
    return healthy, {"status": "healthy" if healthy else "unhealthy", "checks": checks}
