"""Headless Chromium (Debian's) loads each kind of page under the site's Content-Security-Policy
and nothing is refused: the UI's pages with their charts, htmx panels and confirm buttons, the
login and error pages, the Swagger UI API docs, and the Django admin; and none loads anything from outside."""

from __future__ import annotations

import os
import shutil
from typing import Any

import pytest

from common.tasks import worker_heartbeat
from demo.services import demo_data_create
from identity.demo import DEFAULT_DEMO_PASSWORD
from identity.models import User
from issuance import services
from tests.e2e.test_login_roles import CHROMIUM, browser  # noqa: F401 - fixture
from tests.issuance.conftest import make_bond_terms

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not shutil.which(CHROMIUM) and not os.environ.get("GLOAM_REQUIRE_BROWSER"),
        reason="Debian chromium is not installed (apt-get install chromium)",
    ),
]

#: Records every CSP violation the page reports, before any of the page's own scripts run.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def demo(transactional_db: None) -> dict[str, str]:
    demo_data_create()
    worker_heartbeat()
    maker = User.objects.get(username="issuer.admin")
    instrument = services.instrument_create(actor=maker, terms=make_bond_terms())
    operator = User.objects.get(username="operator")
    # The demo operator may open the admin but change nothing there: a superuser sees its forms.
    User.objects.create_superuser(username="root", email="root@example.com", password=DEFAULT_DEMO_PASSWORD)
    return {"instrument": str(instrument.pk), "operator": str(operator.pk)}


class Session:
    """One browser context; ``visit`` loads a page and returns the violations it reported."""

    def __init__(self, chromium: Any, base_url: str) -> None:
        self.base_url = base_url
        self.context = chromium.new_context()
        self.context.add_init_script(RECORD_VIOLATIONS)
        self.page = self.context.new_page()
        self.console: list[str] = []
        self.external: list[str] = []
        self.page.on("console", self._console)
        self.page.on("request", lambda r: None if r.url.startswith(base_url) else self.external.append(r.url))

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.console.append(message.text)

    def login(self, username: str) -> None:
        self.page.goto(f"{self.base_url}/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", DEFAULT_DEMO_PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url(f"{self.base_url}/")

    def visit(self, path: str, ready: str | None = None) -> list[str]:
        self.console.clear()
        response = self.page.goto(f"{self.base_url}{path}")
        assert response is not None
        assert "default-src 'self'" in (response.headers.get("content-security-policy") or ""), path
        if ready:
            self.page.wait_for_selector(ready, timeout=20_000)
        self.page.wait_for_load_state("networkidle")
        violations: list[str] = self.page.evaluate("window.__cspViolations")
        return violations + self.console

    def close(self) -> None:
        self.context.close()


def test_no_page_breaks_the_content_security_policy(demo, live_server, browser) -> None:  # noqa: F811
    refused: dict[str, list[str]] = {}
    external: list[str] = []

    anonymous = Session(browser, live_server.url)
    anonymous_pages: list[tuple[str, str | None]] = [("/login/", "#id_username"), ("/no-such-page/", None)]
    for path, ready in anonymous_pages:
        refused[path] = anonymous.visit(path, ready)
    external += anonymous.external
    anonymous.close()

    pages: dict[str, list[tuple[str, str | None]]] = {
        "operator": [
            ("/", "#organisations-chart[data-rendered=true]"),
            ("/audit-trail/", None),
            ("/users/", None),
            (f"/instruments/{demo['instrument']}/", None),
            ("/api/docs/", ".swagger-ui .info"),
            ("/api/redoc/", None),  # gone: Redoc always loads its logo from cdn.redoc.ly
            ("/admin/", "#content"),
        ],
        "root": [
            ("/admin/identity/user/", "#changelist"),
            (f"/admin/identity/user/{demo['operator']}/change/", "#content-main form"),
            ("/admin/identity/organisation/add/", "#content-main form"),
        ],
        "compliance": [("/compliance/breaches/", None), ("/kyc/", None)],
        "broker.trader": [("/settlement/instructions/", None)],
        "issuer.admin": [("/instruments/new/", "#instrument-form-fields")],
    }
    for username, visits in pages.items():
        session = Session(browser, live_server.url)
        session.login(username)
        for path, ready in visits:
            refused[f"{username} {path}"] = session.visit(path, ready)
        external += session.external
        session.close()

    assert {page: found for page, found in refused.items() if found} == {}
    assert external == []
