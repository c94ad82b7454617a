"""UI shell: login required, role-aware navigation, pages gated by role, assets served locally."""

from __future__ import annotations

import pytest

from identity.roles import Role

pytestmark = pytest.mark.django_db


def test_dashboard_requires_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_login_page_renders_with_local_assets(client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/vendor/bootstrap/css/bootstrap.min.css" in html
    assert "/static/vendor/htmx/htmx.min.js" in html
    assert "http://" not in html
    assert "https://" not in html


@pytest.mark.parametrize(
    "path",
    [
        "/static/vendor/bootstrap/css/bootstrap.min.css",
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/chartjs/chart.umd.min.js",
        "/static/frontend/dashboard.js",
    ],
)
def test_static_assets_are_served(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert len(b"".join(response.streaming_content)) > 100


def test_broker_navigation_and_gated_pages(client, make_user, broker_a):
    client.force_login(make_user(broker_a, Role.BROKER_TRADER))
    html = client.get("/").content.decode()
    assert "Client accounts" in html
    assert "Audit trail" not in html
    assert client.get("/client-accounts/").status_code == 200
    assert client.get("/audit-trail/").status_code == 403
    assert client.get("/users/").status_code == 403


def test_operator_dashboard_has_chart_and_health_panel(client, operator):
    client.force_login(operator)
    html = client.get("/").content.decode()
    assert 'id="organisations-chart"' in html
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    panel = client.get("/partials/health/")
    assert panel.status_code == 200
    assert "healthy" in panel.content.decode()


def test_logout_ends_the_session(client, operator):
    client.force_login(operator)
    assert client.post("/logout/").status_code == 302
    assert client.get("/").status_code == 302
