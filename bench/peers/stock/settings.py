"""A minimal Django project of the peers as a buyer would install them, with their defaults:
Django's own ``LoginView`` and ``PasswordResetView``, stock django-axes 8.3.1 (its defaults: 3
failures, counted by IP address only, no cool-off), stock django-oauth-toolkit with OpenID Connect
(RS256). Only what every project must set is set. The same PostgreSQL server (its own database)
and the same password hasher as the portal (``accounts.hashers``, Argon2id 19 MiB/2/1)."""

import os
from pathlib import Path

import environ

HERE = Path(__file__).resolve().parent
SECRET_KEY = "bench-peer-" + "x" * 50
DEBUG = False
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",  # its registration/ templates for the reset pages
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "axes",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
ROOT_URLCONF = "bench.peers.stock.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [HERE / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": environ.Env.db_url_config(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
PASSWORD_HASHERS = [
    "accounts.hashers.PortalArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
LOGIN_REDIRECT_URL = "/"
USE_TZ = True
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = "127.0.0.1"
EMAIL_PORT = int(os.environ.get("BENCH_PEER_SMTP_PORT", "2525"))
DEFAULT_FROM_EMAIL = "noreply@peer.example.cn"
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": os.environ.get("BENCH_PEER_OIDC_KEY", ""),
    "PKCE_REQUIRED": True,
    "SCOPES": {"openid": "OpenID Connect", "profile": "profile", "email": "email"},
}
