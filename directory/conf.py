"""Knobs of the directory app, read lazily from settings with these defaults.

The connection, the account and the behaviour come from the environment (``DIRECTORY_*``, read
in portal/settings.py and listed in the README); the others are plain settings.
``enabled()`` is False when ``DIRECTORY_URL`` is empty: then nothing here is ever called and
the portal works on its own accounts only.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from directory.dialects import MAPPED_FIELDS, Dialect, dialect_for

DEFAULTS = {
    # Environment variables (portal/settings.py reads them).
    "DIRECTORY_URLS": [],
    "DIRECTORY_KIND": "openldap",
    "DIRECTORY_BIND_DN": "",
    "DIRECTORY_BIND_PASSWORD": "",
    "DIRECTORY_BASE_DN": "",
    "DIRECTORY_USER_FILTER": "",
    "DIRECTORY_ATTRIBUTE_MAP": "",
    "DIRECTORY_CA_FILE": "",
    "DIRECTORY_START_TLS": False,
    "DIRECTORY_CONNECT_TIMEOUT": 3,
    "DIRECTORY_TIMEOUT": 5,
    "DIRECTORY_AGENT_GROUP_DN": "",
    "DIRECTORY_ADMIN_GROUP_DN": "",
    "DIRECTORY_CONTACTS_TRUSTED": False,
    "DIRECTORY_SYNC_MINUTES": 15,
    # A server that did not answer is skipped for this long before it is tried again.
    "DIRECTORY_SERVER_RETRY_SECONDS": 30,
    # Entries per page of the sync's paged search.
    "DIRECTORY_SYNC_PAGE_SIZE": 500,
    # The sync logs its progress every this many entries.
    "DIRECTORY_SYNC_LOG_EVERY": 1000,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])


def enabled() -> bool:
    return bool(get("DIRECTORY_URLS"))


def dialect() -> Dialect:
    return _dialect(get("DIRECTORY_KIND"))


@lru_cache(maxsize=4)
def _dialect(kind: str) -> Dialect:
    return dialect_for(kind)


def base_dn() -> str:
    return get("DIRECTORY_BASE_DN")


def user_filter() -> str:
    """The filter that selects the people under the base (the kind's default when unset)."""
    value = (get("DIRECTORY_USER_FILTER") or dialect().default_user_filter).strip()
    if not value.startswith("("):
        value = f"({value})"
    return value


def attribute_map() -> dict[str, str]:
    """Portal field -> directory attribute: the kind's defaults, then DIRECTORY_ATTRIBUTE_MAP
    (``email=mail,mobile=telephoneNumber``; an empty attribute drops a field)."""
    return _attribute_map(get("DIRECTORY_KIND"), get("DIRECTORY_ATTRIBUTE_MAP"))


@lru_cache(maxsize=8)
def _attribute_map(kind: str, raw: str) -> dict[str, str]:
    mapping = dict(dialect_for(kind).default_attribute_map)
    for item in (raw or "").split(","):
        if not item.strip():
            continue
        name, sep, attribute = item.partition("=")
        name, attribute = name.strip(), attribute.strip()
        if not sep or name not in MAPPED_FIELDS:
            raise ImproperlyConfigured(
                f"DIRECTORY_ATTRIBUTE_MAP: {item.strip()!r} is not field=attribute with a field "
                f"among {', '.join(MAPPED_FIELDS)}"
            )
        if attribute:
            mapping[name] = attribute
        else:
            mapping.pop(name, None)
    if "username" not in mapping:
        raise ImproperlyConfigured("DIRECTORY_ATTRIBUTE_MAP: username needs an attribute")
    return mapping
