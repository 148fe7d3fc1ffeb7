"""Knobs of the notices app, read lazily from settings with these defaults.

``NOTICE_LEAD_HOURS`` comes from the environment (portal/settings.py); the others are plain
settings that a deployment may override.
"""

from django.conf import settings

DEFAULTS = {
    # How long before its start a published notice shows as "upcoming" (environment variable).
    "NOTICE_LEAD_HOURS": 24,
    # Backstop lifetime of the cached notice list. Saves and deletes through notices.services
    # invalidate the shared cache at once; this bounds staleness after any other kind of write.
    "NOTICES_CACHE_SECONDS": 30,
    # Browsers the troubleshooter calls supported: name as portal.browsers.parse() reports it ->
    # oldest supported major version. Chrome/Edge 109 are the last builds for Windows 7/8.1, still
    # common on office PCs; Firefox 115 is the ESR for the same systems.
    "HELP_SUPPORTED_BROWSERS": {
        "Chrome": 109,
        "Edge": 109,
        "Firefox": 115,
        "Safari": 15,
        "Opera": 95,
        "WeChat": 8,
        "QQ Browser": 11,
        "360 Browser": 13,
    },
    # Difference between the device clock and the server's that the troubleshooter flags.
    "HELP_CLOCK_TOLERANCE_SECONDS": 120,
    # How long clients and proxies may keep /api/status.
    "STATUS_API_MAX_AGE_SECONDS": 5,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
