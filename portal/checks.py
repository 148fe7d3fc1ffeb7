"""System checks that catch a dangerous configuration at start-up."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

PER_PROCESS_CACHES = {
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
}


@register(Tags.security, deploy=True)
def shared_cache_check(app_configs, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if backend in PER_PROCESS_CACHES:
        return [
            Error(
                "The default cache is per process; lockout counters and rate limits would not be "
                "shared between web nodes.",
                hint="Set REDIS_URL (or keep the database cache).",
                id="portal.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def base_url_check(app_configs, **kwargs):
    if not settings.PORTAL_BASE_URL.startswith("https://"):
        return [
            Warning(
                "PORTAL_BASE_URL is not https; links in messages would travel in clear text.",
                id="portal.W001",
            )
        ]
    return []
