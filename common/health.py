"""Health checks behind ``/healthz`` and the operator dashboard: database, broker, chain
nodes, finality, workers.

The rules are pure functions of plain data (``nodes_verdict``, ``chain_verdict``,
``workers_verdict``, ``overall_verdict``) so that they are tested without mocks; the
``check_*`` functions read the real sources (database, broker, nodes' ``get_status``,
``WorkerHeartbeat``) and feed them in. ``get_health`` is the one entry point of both
``/healthz`` and the dashboard's health panel.

The platform is unhealthy when any of these parts fails (``failing`` names them, ``reasons``
says why):

- ``database``: ``SELECT 1`` fails;
- ``broker``: no connection to ``CELERY_BROKER_URL``;
- ``node``: no configured node answers;
- ``chain.behind``: a configured node does not answer, reports ``syncing``, or its head is
  more than ``GLOAM_MAX_BLOCKS_BEHIND`` below the highest head of the configured nodes (or
  below the best peer head it reports);
- ``chain.finality``: the best (lowest) ``final_age_seconds`` of the answering rolling-finality
  nodes exceeds ``FINALITY_PERIODS`` × ``GLOAM_EXPECTED_BLOCK_SECONDS`` (a single-authority
  node makes blocks only when there is work, so it is exempt);
- ``workers``: no worker heartbeat is younger than ``HEARTBEAT_STALE_PERIODS`` ×
  ``GLOAM_HEARTBEAT_SECONDS`` (a worker writes one when it is ready, then beat every period).

With no node URL configured (tests) the chain checks are ``not_configured`` and do not fail.
A node status field a node does not send (an older node) is unknown: it fails no rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
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
UNKNOWN = "unknown"

#: ``chain.finality`` fails when no block became Final for this many expected block times.
FINALITY_PERIODS = 3
#: A heartbeat is fresh for this many heartbeat periods (two missed beats are tolerated).
HEARTBEAT_STALE_PERIODS = 3

#: Parts whose ``failing`` status makes the platform unhealthy, in report order.
PARTS = ("database", "broker", "node", "chain.behind", "chain.finality", "workers")


# -- pure rules -----------------------------------------------------------------------------
def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _final_height(status: dict[str, Any], head_height: int | None) -> int | None:
    """``final_height``, or for an older node its consensus' (or, single authority, its head)."""
    if "final_height" in status:
        return _int(status["final_height"])
    consensus = status.get("consensus")
    if isinstance(consensus, dict) and "final_height" in consensus:
        return _int(consensus["final_height"])
    return head_height if status.get("finality_rule") == "single_authority" else None


def nodes_verdict(
    reports: Sequence[tuple[str, dict[str, Any] | None, str | None]], *, max_blocks_behind: int
) -> dict[str, Any]:
    """The ``node`` check from each configured node's ``(url, get_status result or None,
    error reason or None)``: per node its head, Final height and age, sync state and how far it
    is behind the highest head of the configured nodes (or of its own peers, if it says so).
    ``status``: ``ok`` if a node answers, ``failing`` if none does, ``not_configured`` if there
    are none."""
    if not reports:
        return {"status": NOT_CONFIGURED, "nodes": []}
    heights = [_int(status.get("head_height")) for _, status, _ in reports if status is not None]
    highest = max((h for h in heights if h is not None), default=None)
    nodes: list[dict[str, Any]] = []
    for url, status, error in reports:
        if status is None:
            nodes.append({"url": url, "status": FAILING, "error": error or "unreachable"})
            continue
        height = _int(status.get("head_height"))
        syncing = _bool(status.get("syncing"))
        reported_behind = _int(status.get("behind"))
        behind = None if height is None or highest is None else highest - height
        if reported_behind is not None:
            behind = max(behind or 0, reported_behind)
        lagging = None
        if syncing:
            lagging = "syncing"
        elif behind is not None and behind > max_blocks_behind:
            lagging = f"{behind} blocks behind"
        elif height is None:
            lagging = "no head height"
        nodes.append(
            {
                "url": url,
                "status": OK,
                "height": height,
                "head_timestamp": _int(status.get("head_timestamp")),
                "final_height": _final_height(status, height),
                "final_age_seconds": _float(status.get("final_age_seconds")),
                "finality_rule": status.get("finality_rule"),
                "producing": _bool(status.get("producing")),
                "syncing": syncing,
                "best_peer_height": _int(status.get("best_peer_height")),
                "behind": behind,
                "lagging": lagging,
            }
        )
    return {"status": OK if any(n["status"] == OK for n in nodes) else FAILING, "nodes": nodes}


def chain_verdict(
    node_check: dict[str, Any], *, expected_block_seconds: float, max_blocks_behind: int
) -> dict[str, Any]:
    """The ``chain`` check from the ``node`` check: head, last Final height and its age, the
    nodes behind, and the verdict of its two parts, ``behind`` and ``finality`` (each with a
    ``status`` and, when failing, a ``reason``)."""
    limit = FINALITY_PERIODS * expected_block_seconds
    if node_check["status"] == NOT_CONFIGURED:
        part = {"status": NOT_CONFIGURED}
        return {"status": NOT_CONFIGURED, "behind": dict(part), "finality": dict(part), "lagging_nodes": []}
    answering = [n for n in node_check["nodes"] if n["status"] == OK]
    lagging = [
        {
            "url": n["url"],
            "reason": n["lagging"] if n["status"] == OK else f"does not answer ({n['error']})",
            "behind": n.get("behind"),
            "syncing": n.get("syncing"),
        }
        for n in node_check["nodes"]
        if n["status"] != OK or n["lagging"]
    ]
    behind: dict[str, Any] = {"status": OK, "max_blocks": max_blocks_behind}
    if lagging:
        behind |= {
            "status": FAILING,
            "reason": "; ".join(f"{n['url']}: {n['reason']}" for n in lagging),
        }
    ages = [
        n["final_age_seconds"]
        for n in answering
        if n["finality_rule"] != "single_authority" and n["final_age_seconds"] is not None
    ]
    finality: dict[str, Any] = {"limit_seconds": limit}
    if not answering:
        finality |= {"status": UNKNOWN, "reason": "no node answers"}
    elif all(n["finality_rule"] == "single_authority" for n in answering):
        finality |= {"status": OK, "rule": "single_authority: blocks only when there is work"}
    elif not ages:
        finality |= {"status": UNKNOWN, "reason": "the nodes do not report final_age_seconds"}
    elif min(ages) > limit:
        finality |= {
            "status": FAILING,
            "reason": f"no block Final for {min(ages):.1f} s (limit {limit:g} s)",
        }
    else:
        finality |= {"status": OK}
    failing = FAILING in (behind["status"], finality["status"])
    return {
        "status": FAILING if failing else OK,
        "head_height": max((n["height"] for n in answering if n["height"] is not None), default=None),
        "final_height": max(
            (n["final_height"] for n in answering if n["final_height"] is not None), default=None
        ),
        "final_age_seconds": min(ages, default=None),
        "behind": behind,
        "finality": finality,
        "lagging_nodes": lagging,
    }


def workers_verdict(
    heartbeats: Iterable[tuple[str, datetime]], *, now: datetime, stale_after: timedelta
) -> dict[str, Any]:
    """The ``workers`` check from ``(hostname, last heartbeat)`` pairs: ``ok`` if one is at most
    ``stale_after`` old, else ``failing`` (also with no heartbeat at all)."""
    workers = [
        {
            "hostname": hostname,
            "last_seen": last_seen.isoformat(),
            "age_seconds": round((now - last_seen).total_seconds(), 1),
            "fresh": now - last_seen <= stale_after,
        }
        for hostname, last_seen in sorted(heartbeats)
    ]
    check: dict[str, Any] = {
        "status": OK if any(w["fresh"] for w in workers) else FAILING,
        "stale_after_seconds": stale_after.total_seconds(),
        "workers": workers,
    }
    if check["status"] == FAILING:
        check["reason"] = (
            f"no worker heartbeat in the last {stale_after.total_seconds():g} s"
            if workers
            else "no worker heartbeat recorded"
        )
    return check


def overall_verdict(checks: dict[str, Any]) -> dict[str, Any]:
    """``{"status": "healthy" | "unhealthy", "failing": [...], "reasons": {...}, "checks": checks}``
    from the checks (a missing check, e.g. ``workers`` while the database is down, fails nothing)."""
    parts: dict[str, dict[str, Any]] = {
        "database": checks.get("database", {}),
        "broker": checks.get("broker", {}),
        "node": checks.get("node", {}),
        "chain.behind": checks.get("chain", {}).get("behind", {}),
        "chain.finality": checks.get("chain", {}).get("finality", {}),
        "workers": checks.get("workers", {}),
    }
    failing = [name for name in PARTS if parts[name].get("status") == FAILING]
    reasons = {
        name: str(parts[name].get("reason") or parts[name].get("error") or FAILING) for name in failing
    }
    if "node" in reasons:
        reasons["node"] = "no node answers"
    return {
        "status": "unhealthy" if failing else "healthy",
        "failing": failing,
        "reasons": reasons,
        "checks": checks,
    }


# -- the real sources ---------------------------------------------------------------------
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


def node_status(url: str) -> tuple[dict[str, Any] | None, str | None]:
    """``get_status`` of the node at ``url`` (one attempt, 2 s timeout), or the error reason."""
    try:
        with NodeClient([url], timeout=2.0, attempts=1) as client:
            return client.get_status(), None
    except RpcError as exc:
        return None, exc.reason
    except Exception as exc:  # noqa: BLE001 - /healthz reports a broken node, never a 500
        return None, type(exc).__name__


def check_nodes() -> dict[str, Any]:
    """Ask each configured node for its status."""
    reports = [(url, *node_status(url)) for url in settings.GLOAM_NODE_URLS]
    return nodes_verdict(reports, max_blocks_behind=settings.GLOAM_MAX_BLOCKS_BEHIND)


def heartbeat_stale_after() -> timedelta:
    period = float(settings.CELERY_BEAT_SCHEDULE["worker-heartbeat"]["schedule"])
    return HEARTBEAT_STALE_PERIODS * timedelta(seconds=period)


def check_workers(*, stale_after: timedelta | None = None) -> dict[str, Any]:
    """The workers' last heartbeats (``WorkerHeartbeat``), fresh or not."""
    heartbeats = WorkerHeartbeat.objects.values_list("hostname", "last_seen")
    return workers_verdict(heartbeats, now=timezone.now(), stale_after=stale_after or heartbeat_stale_after())


def get_health() -> tuple[bool, dict[str, Any]]:
    """All checks and the verdict: ``(healthy, body)``, body as ``overall_verdict``."""
    checks: dict[str, Any] = {
        "database": check_database(),
        "broker": check_broker(),
        "node": check_nodes(),
    }
    checks["chain"] = chain_verdict(
        checks["node"],
        expected_block_seconds=float(settings.GLOAM_EXPECTED_BLOCK_SECONDS),
        max_blocks_behind=int(settings.GLOAM_MAX_BLOCKS_BEHIND),
    )
    if checks["database"]["status"] == OK:
        checks["workers"] = check_workers()
    body = overall_verdict(checks)
    return body["status"] == "healthy", body
