"""Reading the environment once, with clear one-line failures.

Every configuration error raises ``ConfigError``, a ``SystemExit`` subclass: the process stops with
one readable line instead of a traceback (``manage.py``, gunicorn and Celery all honour it).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

import environ


class ConfigError(SystemExit):
    def __init__(self, message: str) -> None:
        super().__init__(f"portal: configuration error: {message}")


env = environ.Env()

_DB_SCHEMES = {"sqlite", "postgres", "postgresql", "pgsql", "psql"}


def database_from_url(url: str, *, base_dir: Path) -> dict:
    """Parse ``DATABASE_URL``; only SQLite and PostgreSQL (psycopg 3) are supported."""
    scheme = urlsplit(url).scheme
    if scheme not in _DB_SCHEMES:
        raise ConfigError(
            f"DATABASE_URL has an unsupported or malformed scheme {scheme!r}; "
            "use sqlite:///path/to/db.sqlite3 or postgres://user@host:5432/name"
        )
    try:
        config = environ.Env.db_url_config(url)
    except Exception as exc:  # django-environ raises assorted errors on garbage
        raise ConfigError(f"DATABASE_URL cannot be parsed ({exc.__class__.__name__})") from None
    if scheme != "sqlite":
        if not config.get("NAME"):
            raise ConfigError("DATABASE_URL names no database (postgres://user@host:5432/<name>)")
        try:
            port = urlsplit(url).port
        except ValueError:
            raise ConfigError("DATABASE_URL has a port that is not a number") from None
        if port is not None and not 0 < port < 65536:
            raise ConfigError("DATABASE_URL has a port out of range")
        # Django's backend with a health check that needs no round trip (portal.postgresql).
        config["ENGINE"] = "portal.postgresql"
        config.setdefault("CONN_MAX_AGE", 60)
        config["CONN_HEALTH_CHECKS"] = True
    elif config.get("NAME") and config["NAME"] != ":memory:":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    return config


def bool_var(name: str, default: bool) -> bool:
    raw = env.str(name, default="")
    if raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def int_var(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = env.str(name, default="").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and {maximum}" if maximum is not None else ""
        raise ConfigError(f"{name}={value} must be at least {minimum}{upper}")
    return value


def list_var(name: str, default: list[str]) -> list[str]:
    raw = env.str(name, default="")
    if raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def networks_var(name: str) -> list[str]:
    nets = list_var(name, [])
    for net in nets:
        try:
            ipaddress.ip_network(net, strict=False)
        except ValueError:
            raise ConfigError(f"{name} holds {net!r}, which is not a CIDR network") from None
    return nets


def url_var(name: str, default: str) -> str:
    raw = env.str(name, default=default).strip().rstrip("/")
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"{name}={raw!r} must be an absolute http(s) URL")
    return raw


def email_from_url(url: str, *, base_dir: Path) -> dict:
    """Parse ``EMAIL_URL`` (smtp://, smtp+tls://, smtps://, consolemail://, filemail://...).

    ``filemail:///var/mail/portal`` means the absolute folder /var/mail/portal (django-environ
    alone would read it as the relative path var/mail/portal); ``filemail://var/mail`` is
    relative to the project folder.
    """
    try:
        config = environ.Env.email_url_config(url)
    except Exception as exc:
        raise ConfigError(f"EMAIL_URL cannot be parsed ({exc.__class__.__name__})") from None
    if url.startswith("filemail://"):
        folder = Path(url[len("filemail://") :] or "var/mail")
        config["EMAIL_FILE_PATH"] = str(folder if folder.is_absolute() else base_dir / folder)
    return config
