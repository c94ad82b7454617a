"""Settings shared by every Gloam deployment, read from the environment (django-environ).

The variables are documented in README.md ("Configuration").
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from common.api.audiences import TAGS as AUDIENCE_TAGS
from config.env import BASE_DIR, VAR_DIR, env

DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS: list[str] = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS: list[str] = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_countries",
    "django_guid",
    "axes",
    "common",
    "ledger",
    "proving",
    "identity",
    "issuance",
    "corporate_actions",
    "settlement",
    "compliance",
    "frontend",
    "demo",
]

MIDDLEWARE = [
    "django_guid.middleware.guid_middleware",
    "common.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "common.middleware.NotFoundMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a login refused by django-axes into the lockout page (identity.login_lockout).
    "axes.middleware.AxesMiddleware",
]

CSRF_FAILURE_VIEW = "common.views.csrf_failure"

# --- Content-Security-Policy (django-csp; docs/security.md, Browser and input hardening) ------
# The UI loads everything from this origin (npm packages served as static files, no CDN) and
# has no inline script, inline style or event-handler attribute: scripts and styles only from
# 'self'. Bootstrap's CSS draws its icons from data: SVGs. The API docs pages widen this per
# view (config/urls.py, common/views.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'gloam.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite is only the embedded default: one file, WAL for concurrent web + worker reads.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# --- Brute-force protection (django-axes; docs/security.md) -----------------------------------
# Axes' backend comes first: it refuses a locked-out username+IP before the password is checked,
# for every caller of ``authenticate(request=...)`` (the /login/ page, the admin, the API token).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
#: Failed logins in a row (per username and client IP) that lock the pair out.
AXES_FAILURE_LIMIT = env.int("GLOAM_LOGIN_FAILURE_LIMIT", default=5)
#: How long a lockout lasts, in minutes, counted from the last failure that was recorded.
AXES_COOLOFF_TIME = timedelta(minutes=env.int("GLOAM_LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Attempts while locked out (even with the right password) are refused but do not push the end
# of the lockout back, so the time given to the client ("retry after") holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_LOCKOUT_CALLABLE = "identity.login_lockout.lockout_response"
# The client IP is the socket's peer: X-Forwarded-For is set by the client unless a trusted proxy
# rewrites it, and an attacker choosing it would get a fresh username+IP pair every attempt.
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "frontend:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files (served by whitenoise; front-end packages come from npm, no CDN) ---------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
NODE_MODULES = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/chartjs", NODE_MODULES / "chart.js" / "dist"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Uploaded files (instrument documents) ------------------------------------------------
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"

# --- Request limits -----------------------------------------------------------------------
#: Largest request body accepted, in bytes (JSON API and forms). Larger bodies get 413.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("GLOAM_MAX_REQUEST_BYTES", default=1_048_576)

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "identity.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["common.api.parsers.BoundedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "common.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "common.api.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "common.api.schema.GloamAutoSchema",
    "DEFAULT_VERSIONING_CLASS": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
#: API tokens (django-rest-knox): only a SHA-512 digest is stored; each token expires
#: ``GLOAM_API_TOKEN_TTL_HOURS`` after it was issued (docs/api.md, docs/security.md).
GLOAM_API_TOKEN_TTL_HOURS = env.int("GLOAM_API_TOKEN_TTL_HOURS", default=24)
if GLOAM_API_TOKEN_TTL_HOURS < 1:
    raise ImproperlyConfigured(
        f"GLOAM_API_TOKEN_TTL_HOURS must be at least 1, not {GLOAM_API_TOKEN_TTL_HOURS}"
    )
REST_KNOX = {
    "TOKEN_TTL": timedelta(hours=GLOAM_API_TOKEN_TTL_HOURS),
    "AUTH_HEADER_PREFIX": "Token",
    "AUTO_REFRESH": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gloam API",
    "DESCRIPTION": (
        "Settlement platform for regulated securities. Errors share one shape: "
        '`{"error": {"code": "...", "message": "...", "details": {...}}}`. '
        "Write endpoints accept an `Idempotency-Key` header."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # /api/docs/ groups the operations by the roles they are for (common.api.audiences)
    "TAGS": [{"name": name, "description": text} for name, text in AUDIENCE_TAGS.items()],
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "identity.roles.Role",
        "OrganisationKindEnum": "identity.roles.OrganisationKind",
        "InstrumentKindEnum": "issuance.models.InstrumentKind",
        "DocumentKindEnum": "issuance.models.DocumentKind",
        "InstrumentStatusEnum": "issuance.models.InstrumentStatus",
        "InstructionStatusEnum": "settlement.models.InstructionStatus",
        "CorporateActionKindEnum": "corporate_actions.models.CorporateActionKind",
        "CorporateActionStatusEnum": "corporate_actions.models.CorporateActionStatus",
    },
}

#: Where the platform's business date comes from (``common.business_date``): ``system`` is
#: the server's local date (``timezone.localdate()``); ``manual`` is a stored date that the
#: operator rolls forward (``POST /api/v1/business-date/``), for demos, CI and ``run_scenario --days``.
GLOAM_BUSINESS_CLOCK = env.str("GLOAM_BUSINESS_CLOCK", default="system")
if GLOAM_BUSINESS_CLOCK not in ("system", "manual"):
    raise ImproperlyConfigured(f"GLOAM_BUSINESS_CLOCK must be system or manual, not {GLOAM_BUSINESS_CLOCK!r}")

#: How long an Idempotency-Key is remembered, in hours.
GLOAM_IDEMPOTENCY_TTL_HOURS = env.int("GLOAM_IDEMPOTENCY_TTL_HOURS", default=24)

# --- Chain ----------------------------------------------------------------------------------
#: RPC endpoints of the chain nodes (comma-separated URLs); empty until a devnet runs.
GLOAM_NODE_URLS: list[str] = env.list("GLOAM_NODE_URLS", default=[])
#: The chain's id, signed into every transaction (reference §2.2).
GLOAM_CHAIN_ID = env.int("GLOAM_CHAIN_ID", default=71)
#: Seconds between blocks the chain should make (the devnet: 1-2 s); /healthz fails when no
#: block became Final for 3 times this (common.health).
GLOAM_EXPECTED_BLOCK_SECONDS = env.float("GLOAM_EXPECTED_BLOCK_SECONDS", default=2.0)
#: /healthz fails when a node's head is more than this many blocks behind the others'.
GLOAM_MAX_BLOCKS_BEHIND = env.int("GLOAM_MAX_BLOCKS_BEHIND", default=5)
# --- Settlement -----------------------------------------------------------------------------
#: Currencies the genesis has a cash token in (the devnet: EUR and USD); forms check against
#: this without asking a node, settlement finds the token by currency on chain.
GLOAM_CASH_CURRENCIES: list[str] = env.list("GLOAM_CASH_CURRENCIES", default=["EUR", "USD"])
#: Matching tolerance on the settlement amount (T2S style), in the currency: HIGH above
#: THRESHOLD, LOW at or below it.
GLOAM_MATCHING_TOLERANCE_HIGH = Decimal(env.str("GLOAM_MATCHING_TOLERANCE_HIGH", default="2.00"))
GLOAM_MATCHING_TOLERANCE_LOW = Decimal(env.str("GLOAM_MATCHING_TOLERANCE_LOW", default="0.25"))
GLOAM_MATCHING_TOLERANCE_THRESHOLD = Decimal(env.str("GLOAM_MATCHING_TOLERANCE_THRESHOLD", default="100000"))
#: Price band: bonds within [LOW, HIGH] percent of par; units within face value ÷/× FACTOR.
GLOAM_PRICE_BAND_LOW_PERCENT = Decimal(env.str("GLOAM_PRICE_BAND_LOW_PERCENT", default="50"))
GLOAM_PRICE_BAND_HIGH_PERCENT = Decimal(env.str("GLOAM_PRICE_BAND_HIGH_PERCENT", default="150"))
GLOAM_PRICE_BAND_FACTOR = Decimal(env.str("GLOAM_PRICE_BAND_FACTOR", default="10"))
#: Netting cut-offs, UTC "HH:MM" (Celery beat runs a cycle at each), and optionally a cycle
#: every N seconds as well (the embedded demo does, so a newcomer sees trades settle).
GLOAM_NETTING_CUTOFFS: list[str] = env.list("GLOAM_NETTING_CUTOFFS", default=["10:00", "14:00", "16:00"])
GLOAM_NETTING_INTERVAL_SECONDS = env.float("GLOAM_NETTING_INTERVAL_SECONDS", default=0.0)
#: CSDR cash penalties for a lack of cash (settlement.fails): the central bank's overnight
#: credit rate of each settlement currency, percent a year (floored at 0, a 365th a day;
#: Delegated Regulation (EU) 2017/389, Annex, point 8). Keep them current. The rates for a
#: lack of securities are the regulation's table, not configuration.
GLOAM_CENTRAL_BANK_OVERNIGHT_RATES: dict[str, str] = env.dict(
    "GLOAM_CENTRAL_BANK_OVERNIGHT_RATES",
    default={
        # ECB marginal lending facility, from 11 June 2025.
        "EUR": "2.40",
        # Federal Reserve primary credit rate, from 19 December 2024.
        "USD": "4.50",
    },
)
#: Native-token Lux the operator sends each new client account for its gas (0 = none).
#: Fernet keys encrypting KYC attributes (common.encryption); set by embedded/production.
GLOAM_KYC_ENCRYPTION_KEYS: list[str] = env.list("GLOAM_KYC_ENCRYPTION_KEYS", default=[])
GLOAM_ACCOUNT_GAS_LUX = env.int("GLOAM_ACCOUNT_GAS_LUX", default=10**13)
#: The demo's conveniences and ``seed_demo`` (public passwords): on in the embedded default
#: (``make run``), off elsewhere unless set.
GLOAM_DEMO = env.bool("GLOAM_DEMO", default=False)
#: Euros the cash issuer mints once to each broker and custodian (a demo convenience; 0 = off).
GLOAM_DEMO_CASH_FLOAT_EUR = env.int("GLOAM_DEMO_CASH_FLOAT_EUR", default=0)

# --- Celery -------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
#: Redis: ``CELERY_BROKER_URL``, else ``REDIS_URL`` (production requires one of them). When
#: neither is set the embedded default uses the private redis-server that ``make run``
#: supervises (embedded.py) and tests an in-process transport (test.py).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
#: On a cold shutdown (SIGQUIT; SIGTERM under ``make run``'s supervisor, which sets
#: ``REMAP_SIGTERM=SIGQUIT``) running tasks get this long to finish; the rest go back to the
#: broker unacknowledged (acks_late) and run again. Shorter than the supervisor's stopwaitsecs.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 10.0
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
#: Proofs go to their own queue, consumed only by the ``proving`` worker (concurrency 1): the
#: default worker never takes them (config/supervisord.conf, docker/compose.yaml).
CELERY_TASK_ROUTES = {"proving.tasks.proof_job_run": {"queue": "proving"}}

# --- Proving (issue 17 item 6; docs/zk.md, "Proof jobs") --------------------------------------
#: circuits/: build/<name>.wasm, ceremony/<name>.zkey, build/<name>.vk and prover.mjs.
GLOAM_CIRCUITS_DIR = Path(env.str("GLOAM_CIRCUITS_DIR", default=str(BASE_DIR / "circuits")))
#: The Node.js executable the proving worker runs snarkjs with (a name on PATH or a path).
GLOAM_NODE_BIN = env.str("GLOAM_NODE_BIN", default="node")
#: Keep one Node.js prover per worker process, the keys loaded once (False: one per proof).
GLOAM_PROVING_WARM = env.bool("GLOAM_PROVING_WARM", default=True)
#: Seconds snarkjs may take for one proof before its process is killed (a transient failure).
GLOAM_PROVING_TIMEOUT_SECONDS = env.float("GLOAM_PROVING_TIMEOUT_SECONDS", default=120.0)
#: The proving task's Celery time limits in seconds: soft (the job fails) and hard (the
#: worker process is killed; the job's claim expires 30 s after the hard limit).
GLOAM_PROVING_SOFT_TIME_LIMIT = env.int("GLOAM_PROVING_SOFT_TIME_LIMIT", default=150)
GLOAM_PROVING_TIME_LIMIT = env.int("GLOAM_PROVING_TIME_LIMIT", default=180)
#: Retries after a transient prover failure (crash, timeout, no Node.js), with exponential
#: backoff from this many seconds; after the last one the job fails.
GLOAM_PROVING_MAX_RETRIES = env.int("GLOAM_PROVING_MAX_RETRIES", default=3)
GLOAM_PROVING_RETRY_BACKOFF_SECONDS = env.int("GLOAM_PROVING_RETRY_BACKOFF_SECONDS", default=5)
#: Seconds between sweeps for jobs whose worker went away (``proving.services.proof_jobs_sweep``),
#: and how long a job may stay queued untouched before its message is sent again.
GLOAM_PROVING_SWEEP_SECONDS = env.float("GLOAM_PROVING_SWEEP_SECONDS", default=60.0)
GLOAM_PROVING_REQUEUE_SECONDS = env.int("GLOAM_PROVING_REQUEUE_SECONDS", default=900)
if not GLOAM_PROVING_TIMEOUT_SECONDS < GLOAM_PROVING_SOFT_TIME_LIMIT < GLOAM_PROVING_TIME_LIMIT:
    raise ImproperlyConfigured(
        "GLOAM_PROVING_TIMEOUT_SECONDS < GLOAM_PROVING_SOFT_TIME_LIMIT < GLOAM_PROVING_TIME_LIMIT must hold"
    )
# Request ids (django-guid): an incoming ``X-Request-ID`` is kept if it is a UUID, otherwise one
# is made; it is returned in the response and written into every audit entry of the request.
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "INTEGRATIONS": [],
}

#: Seconds between anchors of the audit trail's head hash on chain (a memo transaction of the
#: operator's account); 0 turns anchoring off.
GLOAM_AUDIT_ANCHOR_SECONDS = env.float("GLOAM_AUDIT_ANCHOR_SECONDS", default=300.0)
#: Seconds between scans of every holder of instruments with transfer rules (breaches).
GLOAM_BREACH_SCAN_SECONDS = env.float("GLOAM_BREACH_SCAN_SECONDS", default=300.0)

#: EUR per unit of each other currency for the DLT Pilot Regime report (compliance.reports),
#: e.g. ``GLOAM_EUR_RATES=USD=0.92,GBP=1.17``; a currency without a rate is reported as
#: needing a conversion.
GLOAM_EUR_RATES = env.dict("GLOAM_EUR_RATES", default={})

CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {
        "task": "common.tasks.worker_heartbeat",
        "schedule": env.float("GLOAM_HEARTBEAT_SECONDS", default=30.0),
    },
    "audit-anchor": {
        "task": "compliance.tasks.audit_anchor",
        "schedule": max(GLOAM_AUDIT_ANCHOR_SECONDS, 1.0),
    },
    "disclosures-complete": {
        "task": "compliance.tasks.disclosures_complete",
        "schedule": env.float("GLOAM_DISCLOSURE_SECONDS", default=10.0),
    },
    "breach-scan": {
        "task": "compliance.tasks.breach_scan",
        "schedule": max(GLOAM_BREACH_SCAN_SECONDS, 1.0),
    },
    "chain-outbox": {
        "task": "ledger.tasks.chain_outbox_tick",
        "schedule": env.float("GLOAM_OUTBOX_SECONDS", default=2.0),
    },
    "chain-indexer": {
        "task": "ledger.tasks.index_final_events",
        "schedule": env.float("GLOAM_INDEXER_SECONDS", default=2.0),
    },
    "phoenix-note-scanner": {
        "task": "ledger.tasks.scan_phoenix_notes",
        "schedule": env.float("GLOAM_PHOENIX_SCAN_SECONDS", default=3.0),
    },
    "demo-cash-float": {
        "task": "demo.tasks.demo_cash_float",
        "schedule": 30.0,
    },
    "webhooks-deliver": {
        "task": "settlement.tasks.webhooks_deliver",
        "schedule": 5.0,
    },
    "fails-mark": {
        "task": "settlement.tasks.fails_mark",
        "schedule": crontab(hour=0, minute=5),
    },
    "citadel-sessions-advance": {
        "task": "identity.tasks.citadel_sessions_advance",
        "schedule": 10.0,
    },
    "kyc-credentials-expire": {
        "task": "identity.tasks.kyc_credentials_expire",
        "schedule": env.float("GLOAM_KYC_EXPIRY_SECONDS", default=60.0),
    },
    "instrument-deploy-sweep": {
        "task": "issuance.tasks.instrument_deploy_sweep",
        "schedule": 15.0,
    },
    "ballots-advance": {
        "task": "corporate_actions.tasks.ballots_advance",
        "schedule": 60.0,
    },
    "proof-jobs-sweep": {
        "task": "proving.tasks.proof_jobs_sweep",
        "schedule": GLOAM_PROVING_SWEEP_SECONDS,
    },
    "idempotency-records-purge": {
        "task": "common.tasks.idempotency_records_purge",
        "schedule": 3600.0,
    },
}

for _cutoff in GLOAM_NETTING_CUTOFFS:
    _hour, _, _minute = _cutoff.partition(":")
    CELERY_BEAT_SCHEDULE[f"netting-cycle-{_cutoff}"] = {
        "task": "settlement.tasks.netting_cycle",
        "schedule": crontab(hour=int(_hour), minute=int(_minute or 0)),
    }
if GLOAM_NETTING_INTERVAL_SECONDS > 0:
    CELERY_BEAT_SCHEDULE["netting-cycle-interval"] = {
        "task": "settlement.tasks.netting_cycle",
        "schedule": GLOAM_NETTING_INTERVAL_SECONDS,
    }

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# Corporate actions (docs/corporate-actions.md).
#: Withholding tax in percent by the holder's jurisdiction (ISO 3166-1 alpha-2), e.g.
#: ``GLOAM_WITHHOLDING_RATES=DE=26.375,US=30``; a holder without a jurisdiction claim, or in a
#: country not listed, is withheld at the default rate.
GLOAM_WITHHOLDING_RATES: dict[str, str] = env.dict("GLOAM_WITHHOLDING_RATES", default={})
GLOAM_WITHHOLDING_DEFAULT_PERCENT = env.str("GLOAM_WITHHOLDING_DEFAULT_PERCENT", default="0")
#: Record date = payment date − this many business days of the instrument's calendar.
GLOAM_RECORD_DATE_BUSINESS_DAYS = env.int("GLOAM_RECORD_DATE_BUSINESS_DAYS", default=1)
#: The settlement cycle (T+N): ex-date = record date − (N − 1) business days.
GLOAM_SETTLEMENT_CYCLE_DAYS = env.int("GLOAM_SETTLEMENT_CYCLE_DAYS", default=1)
#: The beat proposes events whose payment date is at most this many days ahead.
GLOAM_CORPORATE_ACTION_HORIZON_DAYS = env.int("GLOAM_CORPORATE_ACTION_HORIZON_DAYS", default=45)
#: Market claims: trades settling up to this many business days after a record date are
#: looked at (the CAJWG standard's 20 days).
GLOAM_MARKET_CLAIM_DAYS = env.int("GLOAM_MARKET_CLAIM_DAYS", default=20)
CELERY_BEAT_SCHEDULE["corporate-actions"] = {
    "task": "corporate_actions.tasks.corporate_actions_tick",
    "schedule": env.float("GLOAM_CORPORATE_ACTION_SECONDS", default=60.0),
}

#: Webhook hosts (names or IP addresses, as written in the URL) exempt from the check that a
#: webhook goes only to public internet addresses (settlement.webhook_targets): for
#: development and tests, e.g. ``GLOAM_WEBHOOK_ALLOWED_HOSTS=127.0.0.1``. Empty by default,
#: in the embedded demo too (docs/security.md, Webhooks and SSRF).
GLOAM_WEBHOOK_ALLOWED_HOSTS: list[str] = env.list("GLOAM_WEBHOOK_ALLOWED_HOSTS", default=[])
