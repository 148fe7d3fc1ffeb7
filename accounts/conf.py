"""Knobs of the accounts app, read lazily from settings with these defaults."""

from django.conf import settings

DEFAULTS = {
    "PASSWORD_HISTORY_COUNT": 5,  # the current password and this many earlier ones are refused
    "PASSWORD_MAX_LENGTH": 128,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
