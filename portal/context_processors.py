from django.conf import settings
from django.http import HttpRequest


def portal(request: HttpRequest) -> dict:
    return {"PORTAL_BASE_URL": settings.PORTAL_BASE_URL, "PORTAL_DEBUG": settings.DEBUG}
