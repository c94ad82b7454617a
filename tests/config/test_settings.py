"""Configuration: production refuses unsafe settings and names the variable; the embedded
default keeps one generated secret key."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import load_or_create_secret_key, validate_production_environment

ROOT = Path(__file__).resolve().parents[2]
GOOD_KEY = "k3Y" + "a1b2c3d4e5f6g7h8i9j0" * 3

SAFE = {
    "DEBUG": False,
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": ["gloam.example.com"],
    "DATABASE_ENGINE": "django.db.backends.postgresql",
    "CELERY_BROKER_URL": "redis://redis:6379/0",
    "GLOAM_KEY_ENCRYPTION_KEY": "x" * 44,
    "GLOAM_KYC_ENCRYPTION_KEYS": ["y" * 44],
}


def test_safe_production_configuration_passes():
    validate_production_environment(SAFE)


@pytest.mark.parametrize(
    ("override", "variable"),
    [
        ({"DEBUG": True}, "DEBUG"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "a" * 80}, "SECRET_KEY"),
        ({"SECRET_KEY": "django-insecure-" + GOOD_KEY}, "SECRET_KEY"),
        ({"ALLOWED_HOSTS": []}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": ["*"]}, "ALLOWED_HOSTS"),
        ({"DATABASE_ENGINE": "django.db.backends.sqlite3"}, "DATABASE_URL"),
        ({"CELERY_BROKER_URL": "filesystem://"}, "CELERY_BROKER_URL"),
        ({"GLOAM_KEY_ENCRYPTION_KEY": ""}, "GLOAM_KEY_ENCRYPTION_KEY"),
        ({"GLOAM_KYC_ENCRYPTION_KEYS": []}, "GLOAM_KYC_ENCRYPTION_KEYS"),
    ],
)
def test_invalid_production_configuration_names_the_variable(override, variable):
    with pytest.raises(ImproperlyConfigured, match=variable):
        validate_production_environment({**SAFE, **override})


def _load_production_settings(
    env: dict[str, str], code: str = "import django; django.setup()"
) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "DATABASE_URL",
            "ALLOWED_HOSTS",
            "CELERY_BROKER_URL",
            "DEBUG",
            "GLOAM_KEY_ENCRYPTION_KEY",
            "GLOAM_KYC_ENCRYPTION_KEYS",
        }
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings.production")
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_invalid_production_process_refuses_to_start_without_secret_key():
    result = _load_production_settings(
        {
            "ALLOWED_HOSTS": "gloam.example.com",
            "DATABASE_URL": "postgres://u@db/gloam",
            "CELERY_BROKER_URL": "redis://redis:6379/0",
        }
    )
    assert result.returncode != 0
    assert "SECRET_KEY is required" in result.stderr


#: The environment of a safe production deployment, as the process reads it.
SAFE_ENVIRONMENT = {
    "SECRET_KEY": GOOD_KEY,
    "ALLOWED_HOSTS": "gloam.example.com",
    "DATABASE_URL": "postgres://u@db/gloam",
    "CELERY_BROKER_URL": "redis://redis:6379/0",
    "GLOAM_KEY_ENCRYPTION_KEY": "x" * 44,
    "GLOAM_KYC_ENCRYPTION_KEYS": "y" * 44,
}


def test_production_process_starts_with_safe_configuration():
    result = _load_production_settings(SAFE_ENVIRONMENT)
    assert result.returncode == 0, result.stderr


def test_production_is_https_only_with_secure_cookies():
    # docs/security.md, Threat model: "on the network between users and Gloam".
    probe = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.DEBUG]))"
    )
    result = _load_production_settings(SAFE_ENVIRONMENT, probe)
    assert result.returncode == 0, result.stderr
    redirect, hsts, session_secure, csrf_secure, http_only, debug = json.loads(result.stdout.splitlines()[-1])
    assert (redirect, session_secure, csrf_secure, http_only, debug) == (True, True, True, True, False)
    assert hsts >= 31_536_000


def test_embedded_secret_key_is_generated_once_and_private(tmp_path):
    first = load_or_create_secret_key(tmp_path)
    second = load_or_create_secret_key(tmp_path)
    assert first == second
    assert len(first) >= 50
    mode = stat.S_IMODE((tmp_path / "secret_key").stat().st_mode)
    assert mode & 0o077 == 0
