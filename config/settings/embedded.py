"""The embedded default used by ``make run``: no PostgreSQL, DEBUG off, the demo on.

SQLite under ``var/``, Celery's broker a private redis-server on 127.0.0.1 (``make run``
supervises it, its data under ``var/redis/``) and a secret key generated once and kept in
``var/secret_key`` (mode 0600). DEBUG stays off unless asked for (``DEBUG=true``): Django's
debug pages show settings, source and local variables to whoever triggers an error. The demo's
conveniences (a manual business clock, a cash float, a netting cycle every 30 s) hang on
``GLOAM_DEMO`` instead, on by default here.
"""

from __future__ import annotations

from config.env import load_or_create_key_encryption_key, load_or_create_secret_key
from config.settings.base import *  # noqa: F403
from config.settings.base import CELERY_BROKER_URL, VAR_DIR, env

DEBUG = env.bool("DEBUG", default=False)
#: The demo's conveniences (``make run`` for a newcomer): see the settings below.
GLOAM_DEMO = env.bool("GLOAM_DEMO", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])

#: Given, or generated once into ``var/secret_key`` (mode 0600) and kept across restarts.
SECRET_KEY = env.str("SECRET_KEY", default="") or load_or_create_secret_key(VAR_DIR)

#: Fernet key that encrypts organisations' chain secret keys at rest.
GLOAM_KEY_ENCRYPTION_KEY = env.str("GLOAM_KEY_ENCRYPTION_KEY", default="")
if not GLOAM_KEY_ENCRYPTION_KEY:
    GLOAM_KEY_ENCRYPTION_KEY = load_or_create_key_encryption_key(VAR_DIR)
#: Fernet keys (comma-separated, newest first) encrypting KYC attributes field by field.
GLOAM_KYC_ENCRYPTION_KEYS = env.list("GLOAM_KYC_ENCRYPTION_KEYS", default=[])
if not GLOAM_KYC_ENCRYPTION_KEYS:
    GLOAM_KYC_ENCRYPTION_KEYS = [load_or_create_key_encryption_key(VAR_DIR, "kyc_encryption_key")]
#: Celery's broker and result backend: the private redis-server ``make run`` starts on
#: 127.0.0.1:``GLOAM_REDIS_PORT`` (config/supervisord.conf), unless CELERY_BROKER_URL or
#: REDIS_URL names another Redis.
GLOAM_REDIS_PORT = env.int("GLOAM_REDIS_PORT", default=6380)
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = f"redis://127.0.0.1:{GLOAM_REDIS_PORT}/0"
    CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)

#: The devnet that `make run` starts: ``GLOAM_DEVNET_NODES`` provisioners with RPC ports
#: from ``GLOAM_NODE_PORT`` (default 9100, 9101, …); the client fails over between them.
_NODE_PORT = env.int("GLOAM_NODE_PORT", default=9100)
GLOAM_NODE_URLS = env.list(
    "GLOAM_NODE_URLS",
    default=[f"http://127.0.0.1:{_NODE_PORT + i}" for i in range(env.int("GLOAM_DEVNET_NODES", default=4))],
)

#: The demo's business date is rolled by the operator (``run_scenario --days`` does), unless set.
if GLOAM_DEMO and not env.str("GLOAM_BUSINESS_CLOCK", default=""):
    GLOAM_BUSINESS_CLOCK = "manual"

#: The demo's investors get euros to pay for allocations (``demo.tasks.demo_cash_float``).
GLOAM_DEMO_CASH_FLOAT_EUR = env.int("GLOAM_DEMO_CASH_FLOAT_EUR", default=10_000_000 if GLOAM_DEMO else 0)

#: The demo nets every 30 s as well as at the cut-offs, so a newcomer sees trades settle.
GLOAM_NETTING_INTERVAL_SECONDS = env.float(
    "GLOAM_NETTING_INTERVAL_SECONDS", default=30.0 if GLOAM_DEMO else 0.0
)
if GLOAM_NETTING_INTERVAL_SECONDS > 0:
    CELERY_BEAT_SCHEDULE["netting-cycle-interval"] = {  # noqa: F405
        "task": "settlement.tasks.netting_cycle",
        "schedule": GLOAM_NETTING_INTERVAL_SECONDS,
    }

# Serve static files straight from the finders, so no collectstatic step is needed here; the
# demo also picks up edited static files without a restart.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = GLOAM_DEMO
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
