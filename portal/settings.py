"""Settings of the account-access portal.

The environment is read here, once. Every variable is documented in the README with its default.
App-level knobs that are not environment variables live in each app's ``conf.py``.
"""

from __future__ import annotations

import zoneinfo
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from portal import oidc_keys
from portal.env import (
    ConfigError,
    bool_var,
    database_from_url,
    email_from_url,
    env,
    int_var,
    list_var,
    networks_var,
    url_var,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.str("PORTAL_VAR_DIR", default=str(BASE_DIR / "var")))

# --- Core -----------------------------------------------------------------------------------
DEBUG = bool_var("DJANGO_DEBUG", False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ConfigError(
            "DJANGO_SECRET_KEY is not set; production refuses to start without it "
            "(set DJANGO_DEBUG=1 for a local demo)"
        )
    SECRET_KEY = "insecure-debug-only-key-never-used-in-production-0123456789"  # noqa: S105
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ConfigError("DJANGO_SECRET_KEY is too weak: use at least 50 random characters")
# Earlier keys, newest first, while a rotation settles: what they signed still verifies
# (sessions, known-browser cookies, reset links, backup codes); nothing new is signed with them.
SECRET_KEY_FALLBACKS = [key for key in list_var("DJANGO_SECRET_KEY_FALLBACKS", []) if key]

ALLOWED_HOSTS = list_var(
    "DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
PORTAL_BASE_URL = url_var("PORTAL_BASE_URL", "http://127.0.0.1:8000")
if not DEBUG and not ALLOWED_HOSTS:
    raise ConfigError("DJANGO_ALLOWED_HOSTS is empty; list the portal's host names")

# --- Applications ---------------------------------------------------------------------------
DJANGO_APPS = [
    "accounts.apps.PortalAdminConfig",  # django.contrib.admin with the two-step admin site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
    "phonenumber_field",
    "oauth2_provider",
]
LOCAL_APPS = [
    "portal",
    "audit",
    "accounts",
    "messaging",
    "directory",
    "passkeys",
    "signin",
    "reset",
    "access_pass",
    "notices",
    "sso",
    "tickets",
    # A demo relying party for `make run` and `make stack`; its URLs are mounted only with
    # DEMO_CRM_ENABLED (default: in debug; portal/urls.py).
    "demo_crm",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Every page's Content-Security-Policy (below); outside everything that answers a page.
    "csp.middleware.CSPMiddleware",
    "portal.middleware.RejectNulQueryMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before anything reads the body (the CSRF check is the first): forms are UTF-8 only.
    "portal.middleware.FormCharsetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # A limit's store that does not answer: the 503 "try again in a minute" page, never a 500.
    "portal.middleware.LimitStoreDownMiddleware",
    # The directory does not answer (any door's sign-in, a reset, an unlock): a clear 503 page.
    "directory.middleware.DirectoryDownMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "signin.middleware.SessionPolicyMiddleware",
    # A session signed in with a temporary access pass opens only its enrolment pages.
    "access_pass.middleware.EnrolmentGuardMiddleware",
    "accounts.middleware.RecoveryContactPromptMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # AxesMiddleware stays last (django-axes docs).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
                "notices.context_processors.notices",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": database_from_url(
        env.str("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        base_dir=BASE_DIR,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, rate limits, Celery -------------------------------------------------------------
# With REDIS_URL: Django's own Redis cache (shared by every web node and worker). Without it: the
# database cache, still shared between processes, so lockout and rate limits are never per process.
REDIS_URL = env.str("REDIS_URL", default="")
# A Redis that does not answer costs a request one second, not redis-py's five, before the limit
# that needed it answers "try again in a minute" (portal.limits.LimitStoreDown).
REDIS_CACHE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
            "TIMEOUT": 300,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "portal_cache",
            "TIMEOUT": 300,
        }
    }

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
# No broker: tasks run in-process, still only after the transaction commits (delay_on_commit).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 45
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Fail fast when the broker is down at enqueue time: the outbox sweep re-queues later.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
    "socket_connect_timeout": 1,
    "socket_timeout": 2,
}
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE: dict = {}  # filled by the apps below (see each app's conf.py)
CELERY_BEAT_SCHEDULE["accounts-reset-dispatch-sweep"] = {
    "task": "accounts.reset_dispatch_sweep",
    "schedule": 30.0,
    "options": {"expires": 25},
}
CELERY_BEAT_SCHEDULE["signin-locks-sweep"] = {"task": "signin.locks_sweep", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["signin-cleanup"] = {"task": "signin.cleanup", "schedule": 3600.0}
CELERY_BEAT_SCHEDULE["signin-password-reminders"] = {
    "task": "signin.password_reminders",
    "schedule": 3600.0,
}
CELERY_BEAT_SCHEDULE["messaging-sweep"] = {
    "task": "messaging.sweep",
    "schedule": 30.0,
    "options": {"expires": 25},
}
CELERY_BEAT_SCHEDULE["access-pass-expire"] = {"task": "access_pass.expire_sweep", "schedule": 300.0}
CELERY_BEAT_SCHEDULE["tickets-reconcile-locks"] = {
    "task": "tickets.reconcile_locks",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["tickets-robots-sla"] = {
    "task": "tickets.robots_sla_sweep",
    "schedule": 60.0,
    "options": {"expires": 55},
}
CELERY_BEAT_SCHEDULE["notices-robots"] = {
    "task": "notices.robots_sweep",
    "schedule": 60.0,
    "options": {"expires": 55},
}

# --- Passwords and authentication -----------------------------------------------------------
PASSWORD_HASHERS = [
    "accounts.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # Client secrets of the OpenID Connect provider only (random, 256 bits): see sso/hashers.py.
    "sso.hashers.ClientSecretHasher",
]
PASSWORD_MIN_LENGTH = int_var("PASSWORD_MIN_LENGTH", 12, minimum=8, maximum=128)
PASSWORD_MAX_AGE_DAYS = int_var("PASSWORD_MAX_AGE_DAYS", 0, minimum=0)  # 0: no expiry (NIST)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # One backend for every door (site and admin): axes' standalone backend with our lockout gate
    # in front of Django's model backend. A locked attempt is refused before any hashing; every
    # other attempt hashes exactly once (signin/backends.py).
    "signin.backends.LockoutBackend",
]
LOGIN_URL = "signin:login"
LOGIN_REDIRECT_URL = "accounts:overview"
LOGOUT_REDIRECT_URL = "home"

# --- Lockout (django-axes plus our policy, see signin/) ---------------------------------------
LOCKOUT_FAILURE_LIMIT = int_var("LOCKOUT_FAILURE_LIMIT", 5, minimum=1, maximum=100)
LOCKOUT_COOLOFF_MINUTES = int_var("LOCKOUT_COOLOFF_MINUTES", 30, minimum=1, maximum=1440)
LOCKOUT_IP_FAILURE_LIMIT = int_var("LOCKOUT_IP_FAILURE_LIMIT", 30, minimum=1)
LOCKOUT_LOG_RETENTION_DAYS = int_var("LOCKOUT_LOG_RETENTION_DAYS", 90, minimum=1)
LOCKOUT_TRUSTED_NETWORKS = networks_var("LOCKOUT_TRUSTED_NETWORKS")
TRUSTED_PROXY_COUNT = int_var("TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=10)

AXES_ENABLED = True
AXES_FAILURE_LIMIT = LOCKOUT_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOCKOUT_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
# The lock page's "I know my password: unlock with a code" (reset.conf, reset.unlock); off: a
# reset (or the helpdesk) after every lock.
SELF_UNLOCK_ENABLED = bool_var("SELF_UNLOCK_ENABLED", True)
# How long the helpdesk's temporary access pass works (access_pass.conf): 10 minutes to a day.
ACCESS_PASS_TTL_SECONDS = int_var("ACCESS_PASS_TTL_SECONDS", 3600, minimum=600, maximum=86400)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "portal.net.client_ip"
AXES_HTTP_RESPONSE_CODE = 429
AXES_SENSITIVE_PARAMETERS = ["password", "code", "token", "new_password1", "new_password2"]
AXES_VERBOSE = False
# Our policy on axes (signin/handlers.py): counters per account, per known browser and per IP,
# fixed-length locks that double on recurrence, the lock page, no cleanup on the sign-in path.
AXES_HANDLER = "signin.handlers.PortalAxesHandler"
AXES_USERNAME_CALLABLE = "signin.identity.axes_username"
AXES_LOCKOUT_CALLABLE = "signin.views.lockout_response"
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_DISABLE_ACCESS_LOG = True  # the audit trail and signin.UserSession record each sign-in
# W006 wants the IP inside axes' own lockout key; our per-IP limit is a separate counter (signin/),
# so an IP never widens or narrows an account's lock.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]

# --- The company directory (Active Directory or OpenLDAP, see directory/ and docs/directory.md) ---
# Empty DIRECTORY_URL: no directory, the portal's own accounts only (``make run``, the tests).
DIRECTORY_URLS = list_var("DIRECTORY_URL", [])  # several, comma-separated: tried in order
DIRECTORY_KIND = env.str("DIRECTORY_KIND", default="openldap").strip().lower()
if DIRECTORY_KIND not in {"ad", "openldap"}:
    raise ConfigError(f"DIRECTORY_KIND={DIRECTORY_KIND!r} must be ad or openldap")
for _url in DIRECTORY_URLS:
    if not _url.lower().startswith(("ldap://", "ldaps://")):
        raise ConfigError(f"DIRECTORY_URL holds {_url!r}: each must start with ldap:// or ldaps://")
DIRECTORY_BIND_DN = env.str("DIRECTORY_BIND_DN", default="")
DIRECTORY_BIND_PASSWORD = env.str("DIRECTORY_BIND_PASSWORD", default="")
_bind_file = env.str("DIRECTORY_BIND_PASSWORD_FILE", default="")
if _bind_file:
    try:
        DIRECTORY_BIND_PASSWORD = Path(_bind_file).read_text(encoding="utf-8").strip()
    except OSError as _exc:
        raise ConfigError(
            f"DIRECTORY_BIND_PASSWORD_FILE cannot be read ({_exc.strerror})"
        ) from None
DIRECTORY_BASE_DN = env.str("DIRECTORY_BASE_DN", default="")
if DIRECTORY_URLS and not (DIRECTORY_BIND_DN and DIRECTORY_BIND_PASSWORD and DIRECTORY_BASE_DN):
    raise ConfigError(
        "DIRECTORY_URL is set: DIRECTORY_BIND_DN, DIRECTORY_BIND_PASSWORD (or _FILE) and "
        "DIRECTORY_BASE_DN are required"
    )
DIRECTORY_USER_FILTER = env.str("DIRECTORY_USER_FILTER", default="")  # "": the kind's default
DIRECTORY_ATTRIBUTE_MAP = env.str("DIRECTORY_ATTRIBUTE_MAP", default="")  # field=attr,...
DIRECTORY_CA_FILE = env.str("DIRECTORY_CA_FILE", default="")
if DIRECTORY_CA_FILE and not Path(DIRECTORY_CA_FILE).is_file():
    raise ConfigError(f"DIRECTORY_CA_FILE={DIRECTORY_CA_FILE!r} is not a readable file")
DIRECTORY_START_TLS = bool_var("DIRECTORY_START_TLS", False)
DIRECTORY_CONNECT_TIMEOUT = int_var("DIRECTORY_CONNECT_TIMEOUT", 3, minimum=1, maximum=60)
DIRECTORY_TIMEOUT = int_var("DIRECTORY_TIMEOUT", 5, minimum=1, maximum=120)
DIRECTORY_AGENT_GROUP_DN = env.str("DIRECTORY_AGENT_GROUP_DN", default="")
DIRECTORY_ADMIN_GROUP_DN = env.str("DIRECTORY_ADMIN_GROUP_DN", default="")
DIRECTORY_CONTACTS_TRUSTED = bool_var("DIRECTORY_CONTACTS_TRUSTED", False)
DIRECTORY_SYNC_MINUTES = int_var("DIRECTORY_SYNC_MINUTES", 15, minimum=1, maximum=1440)
if DIRECTORY_URLS:
    CELERY_BEAT_SCHEDULE["directory-sync"] = {
        "task": "directory.sync",
        "schedule": DIRECTORY_SYNC_MINUTES * 60.0,
        "options": {"expires": DIRECTORY_SYNC_MINUTES * 60.0},
    }
    # Once a day every person, not only the changed ones (AD: a group membership change does not
    # change the member's uSNChanged, so agent and admin rights from groups follow then).
    CELERY_BEAT_SCHEDULE["directory-sync-full"] = {
        "task": "directory.sync",
        "schedule": 24 * 3600.0,
        "kwargs": {"full": True},
    }

# --- Sessions and cookies -------------------------------------------------------------------
SESSION_ENGINE = "signin.sessions"  # Django's database sessions, one write per sign-in
SESSION_COOKIE_AGE = 12 * 3600  # absolute cap: 12 hours
SESSION_IDLE_TIMEOUT_SECONDS = int_var("SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE = not DEBUG
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
LANGUAGE_COOKIE_SECURE = SECURE
SECURE_SSL_REDIRECT = bool_var("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int_var("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = bool_var("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = bool_var("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy on every page, admin included (django-csp): scripts and styles only from
# the portal's own static files, plus the few inline scripts that carry the request's nonce
# (``nonce="{{ request.csp_nonce }}"``); no inline style or event-handler attribute anywhere; no
# framing, plugins or <base>; forms post only to the portal.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}
if TRUSTED_PROXY_COUNT > 0:
    # The TLS proxy in front tells us the original scheme.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_TRUSTED_ORIGINS = [PORTAL_BASE_URL]
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# --- Email and SMS --------------------------------------------------------------------------
_email = email_from_url(env.str("EMAIL_URL", default="consolemail://"), base_dir=BASE_DIR)
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
for _key in ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD"):
    if _email.get(_key) not in (None, ""):
        globals()[_key] = _email[_key]
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
if _email.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"]
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Account Portal <noreply@portal.local>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SMS_BACKEND = env.str("SMS_BACKEND", default="console")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(VAR_DIR / "sms.jsonl"))
SMS_ALLOWED_REGIONS = [r.upper() for r in list_var("SMS_ALLOWED_REGIONS", ["CN"])]
PHONENUMBER_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="CN").upper()
PHONENUMBER_DB_FORMAT = "E164"
# SMS spend and abuse guard (messaging.services.message_spend): caps kept in the shared cache.
SMS_CAP_PER_NUMBER_HOUR = int_var("SMS_CAP_PER_NUMBER_HOUR", 5, minimum=1)
SMS_CAP_PER_NUMBER_DAY = int_var("SMS_CAP_PER_NUMBER_DAY", 10, minimum=1)
SMS_CAP_PER_ACCOUNT_DAY = int_var("SMS_CAP_PER_ACCOUNT_DAY", 10, minimum=1)
SMS_BUDGET_HOUR = int_var("SMS_BUDGET_HOUR", 300, minimum=1)
SMS_BUDGET_DAY = int_var("SMS_BUDGET_DAY", 2000, minimum=1)
# Priorities (messaging/kinds.py): courtesy SMS fill at most this share of each cap above,
# security notices this share, codes all of it; notices (all but codes) per account and hour.
SMS_SHARE_COURTESY_PERCENT = int_var("SMS_SHARE_COURTESY_PERCENT", 50, minimum=0, maximum=100)
SMS_SHARE_SECURITY_PERCENT = int_var("SMS_SHARE_SECURITY_PERCENT", 80, minimum=0, maximum=100)
MESSAGING_NOTICES_PER_ACCOUNT_HOUR = int_var("MESSAGING_NOTICES_PER_ACCOUNT_HOUR", 10, minimum=1)
MESSAGING_COURTESY_PER_ACCOUNT_HOUR = int_var("MESSAGING_COURTESY_PER_ACCOUNT_HOUR", 3, minimum=0)
# SMS providers (messaging/sms/): only the chosen SMS_BACKEND's variables are needed.
SMS_WEBHOOK_URL = env.str("SMS_WEBHOOK_URL", default="")
SMS_WEBHOOK_SECRET = env.str("SMS_WEBHOOK_SECRET", default="")
SMS_TWILIO_ACCOUNT_SID = env.str("SMS_TWILIO_ACCOUNT_SID", default="")
SMS_TWILIO_AUTH_TOKEN = env.str("SMS_TWILIO_AUTH_TOKEN", default="")
SMS_TWILIO_FROM = env.str("SMS_TWILIO_FROM", default="")
SMS_TWILIO_MESSAGING_SERVICE_SID = env.str("SMS_TWILIO_MESSAGING_SERVICE_SID", default="")
SMS_TWILIO_API_BASE = url_var("SMS_TWILIO_API_BASE", "https://api.twilio.com")
SMS_ALIYUN_ACCESS_KEY_ID = env.str("SMS_ALIYUN_ACCESS_KEY_ID", default="")
SMS_ALIYUN_ACCESS_KEY_SECRET = env.str("SMS_ALIYUN_ACCESS_KEY_SECRET", default="")
SMS_ALIYUN_SIGN_NAME = env.str("SMS_ALIYUN_SIGN_NAME", default="")
# "kind=SMS_123456,other_kind=SMS_234567": Alibaba Cloud template code per message kind.
SMS_ALIYUN_TEMPLATES = dict(
    item.split("=", 1) for item in list_var("SMS_ALIYUN_TEMPLATES", []) if "=" in item
)
SMS_ALIYUN_DEFAULT_TEMPLATE = env.str("SMS_ALIYUN_DEFAULT_TEMPLATE", default="")
SMS_ALIYUN_ENDPOINT = url_var("SMS_ALIYUN_ENDPOINT", "https://dysmsapi.aliyuncs.com")


# Messengers (messaging/messengers/, docs/messengers.md): WeCom, DingTalk, Feishu apps; each
# secret may come from a file (NAME_FILE), as mounted by a secrets store.
def _secret_var(name: str) -> str:
    path = env.str(f"{name}_FILE", default="")
    if not path:
        return env.str(name, default="")
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{name}_FILE cannot be read ({exc.strerror})") from None


MESSENGER_WECOM_CORP_ID = env.str("MESSENGER_WECOM_CORP_ID", default="")
MESSENGER_WECOM_AGENT_ID = env.str("MESSENGER_WECOM_AGENT_ID", default="")
MESSENGER_WECOM_SECRET = _secret_var("MESSENGER_WECOM_SECRET")
MESSENGER_WECOM_API_BASE = url_var("MESSENGER_WECOM_API_BASE", "https://qyapi.weixin.qq.com")
MESSENGER_DINGTALK_APP_KEY = env.str("MESSENGER_DINGTALK_APP_KEY", default="")
MESSENGER_DINGTALK_APP_SECRET = _secret_var("MESSENGER_DINGTALK_APP_SECRET")
MESSENGER_DINGTALK_AGENT_ID = env.str("MESSENGER_DINGTALK_AGENT_ID", default="")
MESSENGER_DINGTALK_API_BASE = url_var("MESSENGER_DINGTALK_API_BASE", "https://oapi.dingtalk.com")
MESSENGER_FEISHU_APP_ID = env.str("MESSENGER_FEISHU_APP_ID", default="")
MESSENGER_FEISHU_APP_SECRET = _secret_var("MESSENGER_FEISHU_APP_SECRET")
MESSENGER_FEISHU_API_BASE = url_var("MESSENGER_FEISHU_API_BASE", "https://open.feishu.cn")
for _name in ("MESSENGER_WECOM_AGENT_ID", "MESSENGER_DINGTALK_AGENT_ID"):
    if globals()[_name] and not globals()[_name].isdigit():
        raise ConfigError(f"{_name} must be the app's numeric agent id")
# Robots whose webhook and secret come from the environment (the admin names NAME):
# MESSENGER_ROBOT_<NAME>_URL and MESSENGER_ROBOT_<NAME>_SECRET (or _SECRET_FILE).
MESSENGER_ROBOT_SECRETS = {
    _key[len("MESSENGER_ROBOT_") : -len("_URL")]: {
        "url": env.str(_key),
        "secret": _secret_var(_key[: -len("_URL")] + "_SECRET"),
    }
    for _key in sorted(env.ENVIRON)
    if _key.startswith("MESSENGER_ROBOT_") and _key.endswith("_URL")
}
MESSENGER_CAP_PER_ID_HOUR = int_var("MESSENGER_CAP_PER_ID_HOUR", 10, minimum=1)
MESSENGER_CAP_PER_ID_DAY = int_var("MESSENGER_CAP_PER_ID_DAY", 30, minimum=1)
MESSENGER_BUDGET_HOUR = int_var("MESSENGER_BUDGET_HOUR", 2000, minimum=1)
MESSENGER_BUDGET_DAY = int_var("MESSENGER_BUDGET_DAY", 20000, minimum=1)

# --- Passkeys (django-otp-webauthn, see passkeys/ and docs/passkeys.md) ---------------------
# The relying party is the portal's host (PORTAL_BASE_URL); a passkey works only there and on
# nothing else. WebAuthn refuses an IP address as relying party and allows plain http only on
# localhost: a laptop's http://127.0.0.1:8000 (make run) uses passkeys at http://localhost:8000.
_passkey_base = urlsplit(PORTAL_BASE_URL)
if _passkey_base.hostname in {"localhost", "127.0.0.1", "::1"}:
    _passkey_port = f":{_passkey_base.port}" if _passkey_base.port else ""
    OTP_WEBAUTHN_RP_ID = "localhost"
    OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"http://localhost{_passkey_port}"]
else:
    OTP_WEBAUTHN_RP_ID = _passkey_base.hostname or ""
    OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"{_passkey_base.scheme}://{_passkey_base.netloc}"]
OTP_WEBAUTHN_RP_NAME = "Account Portal"
# Our helper: user verification "preferred" at sign-in too, the clone check audited.
OTP_WEBAUTHN_HELPER_CLASS = "passkeys.helpers.PortalWebAuthnHelper"
OTP_WEBAUTHN_EXCEPTION_LOGGER_NAME = ""  # a refused ceremony is audited, never a traceback
# Staff must have a passkey before the admin opens (those without one are sent to add one).
SIGNIN_STAFF_PASSKEY_REQUIRED = bool_var("SIGNIN_STAFF_PASSKEY_REQUIRED", False)

# --- Notices --------------------------------------------------------------------------------
NOTICE_LEAD_HOURS = int_var("NOTICE_LEAD_HOURS", 24, minimum=0, maximum=24 * 30)
LOCK_STATUS_API_SECRET = env.str("LOCK_STATUS_API_SECRET", default="")
# Emails and SMS sent during maintenance mention it (see notices/message_context.py).
MESSAGING_CONTEXT_PROCESSORS = ["notices.message_context.maintenance_context"]

# The demo CRM relying party at /demo-crm/ (demo_crm/, docs/sso.md): on in debug, and in the
# production-like `make stack` (deploy/stack.py); never on a real deployment (its secret is known).
DEMO_CRM_ENABLED = bool_var("DEMO_CRM_ENABLED", DEBUG)

# --- Single sign-on: the OpenID Connect provider (sso/ on django-oauth-toolkit) -------------
# https://django-oauth-toolkit.readthedocs.io/en/latest/settings.html ; docs/sso.md
# The signing keys: SSO_OIDC_PRIVATE_KEY (PEM text) or SSO_OIDC_PRIVATE_KEY_FILE (paths), the
# first key signs, all are published. Debug and the tests generate one into var/ when none is set.
SSO_OIDC_KEYS = oidc_keys.oidc_keys_read(
    pem_text=env.str("SSO_OIDC_PRIVATE_KEY", default=""),
    files=[name for name in list_var("SSO_OIDC_PRIVATE_KEY_FILE", []) if name],
    base_dir=BASE_DIR,
)
if not SSO_OIDC_KEYS and (DEBUG or bool_var("SSO_OIDC_DEV_KEY", False)):
    SSO_OIDC_KEYS = [oidc_keys.dev_key(VAR_DIR)]
# What `sub` is: a per-user UUID (`uuid`) or the employee number (`employee_id`).
SSO_SUBJECT = env.str("SSO_SUBJECT", default="uuid").strip().lower()
if SSO_SUBJECT not in {"uuid", "employee_id"}:
    raise ConfigError(f"SSO_SUBJECT={SSO_SUBJECT!r}: use uuid or employee_id")
SSO_ACCESS_TOKEN_MINUTES = int_var("SSO_ACCESS_TOKEN_MINUTES", 10, minimum=1, maximum=60)
SSO_REFRESH_TOKEN_DAYS = int_var("SSO_REFRESH_TOKEN_DAYS", 30, minimum=1, maximum=365)
OAUTH2_PROVIDER_APPLICATION_MODEL = "sso.Client"
OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "sso.validator.PortalValidator",
    "APPLICATION_ADMIN_CLASS": "sso.admin.ClientAdmin",
    # Client secrets are random and long: a fast salted hash (sso/hashers.py), not Argon2.
    "CLIENT_SECRET_HASHER": "sso_pbkdf2_sha256",
    "OIDC_ENABLED": bool(SSO_OIDC_KEYS),
    "OIDC_RSA_PRIVATE_KEY": SSO_OIDC_KEYS[0] if SSO_OIDC_KEYS else "",
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": SSO_OIDC_KEYS[1:],
    # The issuer is the portal's canonical URL, never the Host header.
    "OIDC_ISS_ENDPOINT": PORTAL_BASE_URL.rstrip("/"),
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    # The scopes and their consent-page words: sso.scopes (translated there).
    "SCOPES_BACKEND_CLASS": "sso.scopes.PortalScopes",
    "SCOPES": {"openid": "openid", "profile": "profile", "email": "email", "phone": "phone"},
    "DEFAULT_SCOPES": ["openid"],
    # Required; sso.validator turns it off for one client only when its profile (销售易) says so.
    "PKCE_REQUIRED": True,
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": SSO_ACCESS_TOKEN_MINUTES * 60,
    "ID_TOKEN_EXPIRE_SECONDS": SSO_ACCESS_TOKEN_MINUTES * 60,
    "REFRESH_TOKEN_EXPIRE_SECONDS": SSO_REFRESH_TOKEN_DAYS * 86400,
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "REQUEST_APPROVAL_PROMPT": "force",
    # Redirect URIs: https only, exact match; http too in debug (a local relying party).
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https", "http"] if DEBUG else ["https"],
    "ALLOWED_SCHEMES": ["https", "http"] if DEBUG else ["https"],
    "ALLOW_URI_WILDCARDS": False,
    # RFC 9700 (OAuth 2.0 Security BCP) enforced now: no implicit or password grant, no PKCE
    # `plain`, no access token in a query string, `iss` in the authorization response, tokens
    # kept as digests only.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": not DEBUG,
}

# --- Internationalisation -------------------------------------------------------------------
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="zh-hans").strip().lower()
if LANGUAGE_CODE not in {code for code, _name in LANGUAGES}:
    raise ConfigError(f"LANGUAGE_CODE={LANGUAGE_CODE!r} is not shipped; use one of: zh-hans, en")
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
try:
    zoneinfo.ZoneInfo(TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError):
    raise ConfigError(f"TIME_ZONE={TIME_ZONE!r} is not a known time zone") from None
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Logging: one line per event, never a secret --------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line": {"()": "portal.logging.OneLineFilter"}},
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "filters": ["one_line"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.security.DisallowedHost": {"level": "ERROR"},
    },
}
