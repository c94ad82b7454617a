"""Reading and checking the environment (django-environ).

Every configuration variable Gloam reads is named here once; README.md lists them.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

#: Where the embedded default keeps its state (SQLite file, chain, Redis data, logs, secret keys).
VAR_DIR = Path(env.str("GLOAM_VAR_DIR", default=str(BASE_DIR / "var"))).resolve()

#: Secret keys Django's own check calls insecure, and ours that must never reach production.
_MIN_SECRET_KEY_LENGTH = 50


def load_or_create_secret_key(var_dir: Path) -> str:
    """Return the embedded default's secret key, generating it once under ``var_dir``.

    The key file is created with mode 0600 so that only the owner can read it.
    """
    var_dir.mkdir(parents=True, exist_ok=True)
    key_file = var_dir / "secret_key"
    if key_file.exists():
        key = key_file.read_text().strip()
        if len(key) >= _MIN_SECRET_KEY_LENGTH:
            return key
    key = secrets.token_urlsafe(64)
    key_file.touch(mode=0o600)
    key_file.write_text(key + "\n")
    return key


def validate_production_environment(values: dict[str, object]) -> None:
    """Refuse an unsafe production configuration, naming the variable at fault.

    ``values`` maps variable names to the values the settings derived from them.

    Raises
    ------
    ImproperlyConfigured
        With a message naming the variable (``SECRET_KEY``, ``ALLOWED_HOSTS``,
        ``DATABASE_URL``, ``CELERY_BROKER_URL`` or ``DEBUG``) and what is wrong with it.
    """
    problems: list[str] = []
    if values["DEBUG"]:
        problems.append("DEBUG must be off in production")
    secret_key = str(values["SECRET_KEY"] or "")
    if not secret_key:
        problems.append("SECRET_KEY is required when DEBUG is off")
    elif len(secret_key) < _MIN_SECRET_KEY_LENGTH or len(set(secret_key)) < 5:
        problems.append(f"SECRET_KEY is too weak: use at least {_MIN_SECRET_KEY_LENGTH} random characters")
    elif secret_key.startswith(("django-insecure", "test-")):
        problems.append("SECRET_KEY is a development key")
    allowed_hosts = values["ALLOWED_HOSTS"]
    if not allowed_hosts:
        problems.append("ALLOWED_HOSTS is required in production (comma-separated host names)")
    elif "*" in allowed_hosts:  # type: ignore[operator]
        problems.append("ALLOWED_HOSTS must not contain '*' in production")
    engine = str(values["DATABASE_ENGINE"])
    if "postgresql" not in engine:
        problems.append("DATABASE_URL must point at PostgreSQL in production (postgres://...)")
    kek = str(values.get("GLOAM_KEY_ENCRYPTION_KEY") or "")
    if not kek:
        problems.append("GLOAM_KEY_ENCRYPTION_KEY is required in production (a Fernet key)")
    if "GLOAM_KYC_ENCRYPTION_KEYS" in values and not values["GLOAM_KYC_ENCRYPTION_KEYS"]:
        problems.append("GLOAM_KYC_ENCRYPTION_KEYS is required in production (comma-separated Fernet keys)")
    broker = str(values["CELERY_BROKER_URL"])
    if not broker.startswith(("redis://", "rediss://")):
        problems.append("CELERY_BROKER_URL must be a Redis URL in production (redis://...)")
    if problems:
        raise ImproperlyConfigured("Unsafe production configuration: " + "; ".join(problems))


def load_or_create_key_encryption_key(var_dir: Path, name: str = "key_encryption_key") -> str:
    """The embedded default's key-encryption key (a Fernet key), generated once, mode 0600,
    in ``var_dir/name`` (``kyc_encryption_key`` holds the KYC attributes' key)."""
    from cryptography.fernet import Fernet

    var_dir.mkdir(parents=True, exist_ok=True)
    key_file = var_dir / name
    if key_file.exists():
        return key_file.read_text().strip()
    key = Fernet.generate_key().decode()
    key_file.touch(mode=0o600)
    key_file.write_text(key + "\n")
    return key
