"""The Content-Security-Policy header (django-csp) is on every kind of response with the strict
directives, and no template carries what that policy refuses: inline script, event-handler
attributes, style attributes or inline style elements (the browser test,
tests/e2e/test_content_security_policy.py, loads the pages themselves)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

#: The policy, directive by directive, as docs/security.md states it.
EXPECTED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _directives(header: str) -> dict[str, str]:
    parts = (p.strip().split(None, 1) for p in header.split(";") if p.strip())
    return {p[0]: p[1] if len(p) > 1 else "" for p in parts}


@pytest.mark.parametrize(
    ("path", "login", "status"),
    [
        ("/login/", False, 200),
        ("/", True, 200),
        ("/no-such-page/", False, 404),
        ("/api/docs/", True, 200),
        ("/api/docs/?script", True, 200),
        ("/api/v1/organisations/", True, 200),
        ("/api/v1/no-such-endpoint/", False, 404),
        ("/admin/login/", False, 200),
    ],
)
def test_every_kind_of_response_carries_the_strict_policy(client, operator, path, login, status) -> None:
    if login:
        client.force_login(operator)
    response = client.get(path)
    assert response.status_code == status
    assert _directives(response["Content-Security-Policy"]) == EXPECTED


def test_the_api_docs_start_swagger_ui_from_a_script_file_not_inline(client, operator) -> None:
    client.force_login(operator)
    html = client.get("/api/docs/").content.decode()
    assert re.search(r'<script src="[^"]*\?script=?"', html)
    assert not re.search(r"<script>", html)
    assert "<style" not in html


APPS = ("frontend", "common", "identity", "issuance", "settlement", "compliance")
TEMPLATE_DIRS = [ROOT / app / "templates" for app in APPS]

#: What the policy refuses in markup: a <script> with a body that runs (JSON data blocks are
#: not run), an on…= handler attribute, a style attribute, a <style> element, a javascript: URL.
REFUSED = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"),
    "event handler": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "style element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}


def test_no_template_needs_unsafe_inline() -> None:
    found = []
    for directory in TEMPLATE_DIRS:
        for template in sorted(directory.rglob("*.html")) if directory.is_dir() else []:
            text = template.read_text()
            for what, pattern in REFUSED.items():
                if pattern.search(text):
                    found.append(f"{template.relative_to(ROOT)}: {what}")
    assert found == []
