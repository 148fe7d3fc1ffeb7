"""Settings for the test suite: the production settings with fast, local stand-ins for what is
outside us. Tests that need the real thing (PostgreSQL, Redis, the real hasher) opt in."""

import os

os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-" + "k3y" * 20)
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("PORTAL_BASE_URL", "https://portal.example.cn")
# The OpenID Connect provider signs with a key generated once into var/ (never in production).
os.environ.setdefault("SSO_OIDC_DEV_KEY", "1")

from portal.settings import *  # noqa: F403
from portal.settings import REDIS_CACHE_OPTIONS, REDIS_URL

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "sso.hashers.ClientSecretHasher",
]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SMS_BACKEND = "locmem"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
if not REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "portal.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"portal-test-{os.getpid()}",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
# Tests run tasks in-process (still after commit); the worker tests start a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = REDIS_URL or "memory://"
