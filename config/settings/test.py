"""pytest settings: SQLite unless ``DATABASE_URL`` is set, fast password hashing."""

from __future__ import annotations

from config.settings.embedded import *  # noqa: F403

SECRET_KEY = "test-" + "x" * 60  # noqa: S105 - test-only key, refused by production settings
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
# No persistent connections: live-server threads must not keep the test database open.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Tests that need a node start their own and override this.
GLOAM_NODE_URLS = []
GLOAM_DEMO_CASH_FLOAT_EUR = 0
