"""Production settings: PostgreSQL, Redis, HTTPS. Refuses to start when unsafe.

Used by ``docker/compose.yaml`` (``DJANGO_SETTINGS_MODULE=config.settings.production``).
"""

from __future__ import annotations

from config.env import validate_production_environment
from config.settings.base import *  # noqa: F403
from config.settings.base import ALLOWED_HOSTS, CELERY_BROKER_URL, DATABASES, env

DEBUG = False
SECRET_KEY = env.str("SECRET_KEY", default="")

validate_production_environment(
    {
        "DEBUG": env.bool("DEBUG", default=False),
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": ALLOWED_HOSTS,
        "DATABASE_ENGINE": DATABASES["default"]["ENGINE"],
        "CELERY_BROKER_URL": CELERY_BROKER_URL,
        "GLOAM_KEY_ENCRYPTION_KEY": env.str("GLOAM_KEY_ENCRYPTION_KEY", default=""),
        "GLOAM_KYC_ENCRYPTION_KEYS": env.list("GLOAM_KYC_ENCRYPTION_KEYS", default=[]),
    }
)

GLOAM_KEY_ENCRYPTION_KEY = env.str("GLOAM_KEY_ENCRYPTION_KEY", default="")
GLOAM_KYC_ENCRYPTION_KEYS = env.list("GLOAM_KYC_ENCRYPTION_KEYS", default=[])

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
# Load balancers and container probes call /healthz and /livez over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^livez$"]
