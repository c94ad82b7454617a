"""pytest settings: SQLite unless ``DATABASE_URL`` is set, fast password hashing, and Kombu's
in-process ``memory://`` broker unless ``CELERY_BROKER_URL`` or ``REDIS_URL`` is set."""

from __future__ import annotations

from config.settings.embedded import *  # noqa: F403

SECRET_KEY = "test-" + "x" * 60  # noqa: S105 - test-only key, refused by production settings
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
# No persistent connections: live-server threads must not keep the test database open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Tests that need a node start their own and override this (a worker process a test starts
# gets its nodes from the environment).
GLOAM_NODE_URLS = env.list("GLOAM_NODE_URLS", default=[])  # noqa: F405
GLOAM_DEMO_CASH_FLOAT_EUR = 0
# Services queue tasks on commit: without a configured Redis (CI sets one) they go to an
# in-process broker, so `make test` needs no server. Tests that start a worker process need a
# shared broker and skip without one (tests/integration).
if not env.str("CELERY_BROKER_URL", default="") and not env.str("REDIS_URL", default=""):  # noqa: F405
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="cache+memory://")  # noqa: F405
#: Tests run on the system date unless they set the manual business clock themselves.
GLOAM_BUSINESS_CLOCK = env.str("GLOAM_BUSINESS_CLOCK", default="system")  # noqa: F405
