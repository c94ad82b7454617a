"""pytest settings: SQLite unless ``DATABASE_URL`` is set, fast password hashing."""

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
#: Tests run on the system date unless they set the manual business clock themselves.
GLOAM_BUSINESS_CLOCK = env.str("GLOAM_BUSINESS_CLOCK", default="system")  # noqa: F405
