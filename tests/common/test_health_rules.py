"""The health rules as pure functions of plain data: node statuses, heartbeat times, now."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from common.health import chain_verdict, nodes_verdict, overall_verdict, workers_verdict
from tests.chain.rpcdouble import node_status

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
STALE = timedelta(seconds=90)


def chain(*reports: tuple[str, dict[str, Any] | None, str | None], block: float = 2.0, behind: int = 5):
    nodes = nodes_verdict(list(reports), max_blocks_behind=behind)
    return nodes, chain_verdict(nodes, expected_block_seconds=block, max_blocks_behind=behind)


def verdict(nodes=None, chain_check=None, workers=None, database="ok", broker="ok") -> dict[str, Any]:
    checks: dict[str, Any] = {"database": {"status": database}, "broker": {"status": broker}}
    if nodes is not None:
        checks |= {"node": nodes, "chain": chain_check}
    if workers is not None:
        checks["workers"] = workers
    return overall_verdict(checks)


FRESH = workers_verdict([("w1", NOW - timedelta(seconds=5))], now=NOW, stale_after=STALE)


def test_current_nodes_are_healthy_and_report_head_final_height_and_age():
    nodes, check = chain(
        ("a", node_status(100, final_height=98, final_age_seconds=1.5), None),
        ("b", node_status(97, final_height=96, final_age_seconds=4.0), None),
    )
    assert check["status"] == "ok"
    assert (check["head_height"], check["final_height"], check["final_age_seconds"]) == (100, 98, 1.5)
    assert [n["behind"] for n in nodes["nodes"]] == [0, 3]
    assert verdict(nodes, check, FRESH) == {
        "status": "healthy",
        "failing": [],
        "reasons": {},
        "checks": verdict(nodes, check, FRESH)["checks"],
    }


@pytest.mark.parametrize(
    ("b_status", "b_error", "reason"),
    [
        (node_status(94), None, "b: 6 blocks behind"),
        (node_status(99, syncing=True), None, "b: syncing"),
        (node_status(100, best_peer_height=120, behind=20), None, "b: 20 blocks behind"),
        (None, "unreachable", "b: does not answer (unreachable)"),
        (None, "bad_response", "b: does not answer (bad_response)"),
    ],
)
def test_invalid_a_node_behind_syncing_or_silent_fails_chain_behind(b_status, b_error, reason):
    nodes, check = chain(("a", node_status(100), None), ("b", b_status, b_error))
    body = verdict(nodes, check, FRESH)
    assert body["status"] == "unhealthy"
    assert body["failing"] == ["chain.behind"]
    assert body["reasons"] == {"chain.behind": reason}
    assert [n["url"] for n in check["lagging_nodes"]] == ["b"]


def test_a_node_at_the_threshold_is_not_behind():
    _, check = chain(("a", node_status(100), None), ("b", node_status(95), None))
    assert check["behind"]["status"] == "ok"
    _, check = chain(("a", node_status(100), None), ("b", node_status(98), None), behind=1)
    assert check["behind"]["status"] == "failing"


@pytest.mark.parametrize(
    ("ages", "block", "status"),
    [
        ((5.9, 30.0), 2.0, "ok"),  # the best node counts
        ((6.0, 6.0), 2.0, "ok"),  # at the limit
        ((6.1, 9.0), 2.0, "failing"),
        ((6.1, 9.0), 5.0, "ok"),  # GLOAM_EXPECTED_BLOCK_SECONDS
    ],
)
def test_finality_fails_when_no_block_became_final_for_three_block_times(ages, block, status):
    nodes, check = chain(
        ("a", node_status(100, final_age_seconds=ages[0]), None),
        ("b", node_status(100, final_age_seconds=ages[1]), None),
        block=block,
    )
    assert check["finality"]["status"] == status
    body = verdict(nodes, check, FRESH)
    assert body["failing"] == ([] if status == "ok" else ["chain.finality"])
    if status == "failing":
        assert body["reasons"]["chain.finality"] == "no block Final for 6.1 s (limit 6 s)"


def test_single_authority_nodes_are_exempt_from_the_finality_rule():
    single = node_status(7, finality_rule="single_authority", final_age_seconds=600.0, producing=True)
    _, check = chain(("a", single, None))
    assert check["finality"]["status"] == "ok"
    assert check["status"] == "ok"
    # A mixed set: only the rolling node's age counts.
    _, check = chain(("a", single, None), ("b", node_status(7, final_age_seconds=1.0), None))
    assert (check["finality"]["status"], check["final_age_seconds"]) == ("ok", 1.0)


def test_an_older_node_without_the_new_fields_is_unknown_not_failing():
    old = {"chain_id": 71, "head_height": 12, "head_hash": "0x01", "mempool_size": 0, "producing": True}
    nodes, check = chain(("a", old, None), ("b", dict(old), None))
    assert check["status"] == "ok"
    assert check["finality"]["status"] == "unknown"
    assert check["final_height"] is None
    assert nodes["nodes"][0]["syncing"] is None
    assert verdict(nodes, check, FRESH)["status"] == "healthy"


@pytest.mark.parametrize(
    ("old", "final_height"),
    [
        ({"head_height": 12, "finality_rule": "rolling", "consensus": {"final_height": 9}}, 9),
        ({"head_height": 12, "finality_rule": "single_authority", "consensus": None}, 12),
        ({"head_height": 12}, None),
    ],
)
def test_an_older_node_s_final_height_comes_from_its_consensus_or_its_head(old, final_height):
    nodes, _ = chain(("a", old, None))
    assert nodes["nodes"][0]["final_height"] == final_height


def test_junk_in_the_status_fields_does_not_crash():
    junk = node_status(True, final_age_seconds="soon", syncing="yes", behind=None, final_height=[1])
    nodes, check = chain(("a", junk, None), ("b", node_status(3), None))
    assert nodes["nodes"][0]["height"] is None
    assert check["final_age_seconds"] == 1.0
    lagging = {"url": "a", "reason": "no head height", "behind": None, "syncing": None}
    assert check["lagging_nodes"] == [lagging]


def test_invalid_no_node_answering_fails_node_and_chain_behind():
    nodes, check = chain(("a", None, "unreachable"), ("b", None, "unreachable"))
    body = verdict(nodes, check, FRESH)
    assert body["failing"] == ["node", "chain.behind"]
    assert body["reasons"]["node"] == "no node answers"
    assert check["finality"]["status"] == "unknown"


def test_no_configured_node_is_not_configured_and_fails_nothing():
    nodes, check = chain()
    assert nodes == {"status": "not_configured", "nodes": []}
    assert check["status"] == check["behind"]["status"] == check["finality"]["status"] == "not_configured"
    assert verdict(nodes, check, FRESH)["status"] == "healthy"


@pytest.mark.parametrize(
    ("ages", "status", "reason"),
    [
        ((5, 3600), "ok", None),
        ((90,), "ok", None),  # exactly stale_after old: still fresh
        ((91, 3600), "failing", "no worker heartbeat in the last 90 s"),
        ((), "failing", "no worker heartbeat recorded"),
    ],
)
def test_workers_are_healthy_while_one_heartbeat_is_fresh(ages, status, reason):
    beats = [(f"w{i}", NOW - timedelta(seconds=age)) for i, age in enumerate(ages)]
    check = workers_verdict(beats, now=NOW, stale_after=STALE)
    assert check["status"] == status
    assert check.get("reason") == reason
    assert [w["age_seconds"] for w in check["workers"]] == [float(a) for a in ages]
    body = verdict(workers=check)
    assert body["failing"] == ([] if status == "ok" else ["workers"])


def test_invalid_database_or_broker_down_is_named_and_missing_workers_fail_nothing():
    body = overall_verdict(
        {"database": {"status": "failing", "error": "OperationalError"}, "broker": {"status": "ok"}}
    )
    assert body["failing"] == ["database"]
    assert body["reasons"] == {"database": "OperationalError"}
    body = verdict(broker="failing", workers=workers_verdict([], now=NOW, stale_after=STALE))
    assert body["failing"] == ["broker", "workers"]
