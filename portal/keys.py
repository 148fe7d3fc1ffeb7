"""The keys a keyed digest may have been made with: ``SECRET_KEY``, then, while a rotation settles,
``SECRET_KEY_FALLBACKS`` (``DJANGO_SECRET_KEY_FALLBACKS``). Django's own signing checks the
fallbacks by itself; digests the portal keeps or compares (backup codes, known browsers) check
each key listed here."""

from __future__ import annotations

from django.conf import settings


def signing_keys() -> list[str]:
    """The current key first, then the earlier ones."""
    return [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
