"""The embedded default (``make run``, ``config.settings.embedded``) with nothing set: DEBUG off,
so neither a logged-in user's 500 nor an anonymous 404 shows Django's debug page (settings,
source, local variables, the URL patterns); a secret key generated once, mode 0600; and the
demo's conveniences still on through ``GLOAM_DEMO``.

Each check runs the real settings module in a fresh process, as ``make run`` does, on a
SQLite database in a temporary var dir."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: Variables that would change the embedded defaults under test.
UNSET = {
    "DEBUG",
    "SECRET_KEY",
    "DATABASE_URL",
    "DJANGO_SETTINGS_MODULE",
    "GLOAM_DEMO",
    "GLOAM_BUSINESS_CLOCK",
    "GLOAM_NETTING_INTERVAL_SECONDS",
    "GLOAM_DEMO_CASH_FLOAT_EUR",
    "GLOAM_KEY_ENCRYPTION_KEY",
    "GLOAM_KYC_ENCRYPTION_KEYS",
}

#: A logged-in user's page that crashes (the view is replaced before the URLconf is loaded),
#: and an anonymous request for a URL that does not exist, through Django's whole stack.
SCRIPT = r"""
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client
import frontend.views

def crashing_view(request):
    secret_local = "local-variable-value"  # noqa: F841 - the debug page would show it
    raise ZeroDivisionError("crash-marker")

frontend.views.organisations = crashing_view
call_command("migrate", verbosity=0, interactive=False)
from identity.models import User
user = User.objects.filter(username="someone").first()
user = user or User.objects.create_superuser(username="someone", password="x" * 20)
client = Client(raise_request_exception=False, SERVER_NAME="127.0.0.1")
not_found = client.get("/no-such-page/")
client.force_login(user)
crash = client.get("/organisations/")
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "GLOAM_DEMO": settings.GLOAM_DEMO,
    "GLOAM_BUSINESS_CLOCK": settings.GLOAM_BUSINESS_CLOCK,
    "GLOAM_NETTING_INTERVAL_SECONDS": settings.GLOAM_NETTING_INTERVAL_SECONDS,
    "GLOAM_DEMO_CASH_FLOAT_EUR": settings.GLOAM_DEMO_CASH_FLOAT_EUR,
    "WHITENOISE_AUTOREFRESH": settings.WHITENOISE_AUTOREFRESH,
    "netting_beat": "netting-cycle-interval" in settings.CELERY_BEAT_SCHEDULE,
    "not_found": [not_found.status_code, not_found.content.decode()],
    "crash": [crash.status_code, crash.content.decode()],
}))
"""

#: Text of Django's technical 500 and 404 pages, and of what they would reveal.
DEBUG_PAGE_MARKERS = (
    "Traceback",
    "crash-marker",
    "local-variable-value",
    "ZeroDivisionError",
    "SECRET_KEY",
    "INSTALLED_APPS",
    "DEBUG",
    "Request information",
    "URLconf",
    "api/v1/",
    "admin/",
)


def _run_embedded(var_dir: Path, **env: str) -> dict[str, Any]:
    clean = {k: v for k, v in os.environ.items() if k not in UNSET}
    clean.update(
        env,
        DJANGO_SETTINGS_MODULE="config.settings.embedded",
        GLOAM_VAR_DIR=str(var_dir),
        CELERY_BROKER_URL="memory://",
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    document: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return document


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    var_dir = tmp_path_factory.mktemp("var")
    return var_dir, _run_embedded(var_dir)


def test_debug_is_off_and_the_demo_on(embedded) -> None:
    _, found = embedded
    assert found["DEBUG"] is False
    assert found["GLOAM_DEMO"] is True
    # What DEBUG used to switch on for a newcomer, now GLOAM_DEMO's.
    assert found["GLOAM_BUSINESS_CLOCK"] == "manual"
    assert found["GLOAM_NETTING_INTERVAL_SECONDS"] == 30.0
    assert found["netting_beat"] is True
    assert found["GLOAM_DEMO_CASH_FLOAT_EUR"] == 10_000_000
    assert found["WHITENOISE_AUTOREFRESH"] is True


def test_a_logged_in_users_500_is_the_plain_page(embedded) -> None:
    _, found = embedded
    status, body = found["crash"]
    assert status == 500
    assert "Server error (500)" in body
    assert "Gloam" in body
    for marker in DEBUG_PAGE_MARKERS:
        assert marker not in body, marker


def test_an_anonymous_404_is_the_plain_page_without_url_patterns(embedded) -> None:
    _, found = embedded
    status, body = found["not_found"]
    assert status == 404
    assert "Page not found (404)" in body
    for marker in DEBUG_PAGE_MARKERS:
        assert marker not in body, marker


def test_the_secret_key_is_generated_once_mode_0600(embedded) -> None:
    var_dir, _ = embedded
    key_file = var_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text()
    assert len(key.strip()) >= 50
    _run_embedded(var_dir)  # a restart keeps it (sessions and signed values stay valid)
    assert key_file.read_text() == key


def test_the_demo_can_be_switched_off(tmp_path) -> None:
    found = _run_embedded(tmp_path, GLOAM_DEMO="false")
    assert found["GLOAM_DEMO"] is False
    assert found["GLOAM_BUSINESS_CLOCK"] == "system"
    assert found["GLOAM_NETTING_INTERVAL_SECONDS"] == 0.0
    assert found["netting_beat"] is False
    assert found["GLOAM_DEMO_CASH_FLOAT_EUR"] == 0
