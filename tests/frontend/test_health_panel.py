"""The operator's health panel shows the verdict of /healthz (common.health): the failing
parts with their reasons, the chain's head and Final height, the nodes behind, the workers."""

from __future__ import annotations

import pytest
from django.test import override_settings

from common.tasks import worker_heartbeat
from tests.chain.rpcdouble import node_status, rpc_double

pytestmark = pytest.mark.django_db


def test_invalid_operator_dashboard_names_the_failing_parts(client, operator):
    client.force_login(operator)
    assert 'data-testid="panel-health"' in client.get("/").content.decode()
    with (
        rpc_double(node_status(120, final_height=118, final_age_seconds=1.5)) as ahead,
        rpc_double(node_status(100, syncing=True, final_age_seconds=4.0)) as syncing,
        override_settings(GLOAM_NODE_URLS=[ahead.url, syncing.url]),
    ):
        response = client.get("/partials/health/")
    html = response.content.decode()
    assert response.status_code == 200
    assert ">unhealthy<" in html
    assert "<strong>chain.behind</strong>: " + f"{syncing.url}: syncing" in html
    assert "<strong>workers</strong>: no worker heartbeat recorded" in html
    assert "head 120, Final 118 (1.5 s ago); finality ok" in html
    assert "<td>20</td>" in html  # the syncing node's distance
    assert "no worker heartbeat recorded</td>" in html


def test_healthy_panel_lists_the_workers(client, operator):
    client.force_login(operator)
    hostname = worker_heartbeat()
    html = client.get("/partials/health/").content.decode()
    assert ">healthy<" in html
    assert 'data-testid="health-failing"' not in html
    assert f"<td>{hostname}</td>" in html
    assert "fresh" in html
