"""Help pages and the banner's dismiss button. The JSON endpoints live in notices/api.py."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe

from notices import conf
from notices.selectors import faq_entries, notices_disruptive
from notices.services import notice_dismiss
from notices.troubleshooter import (
    COOKIE_TEST_NAME,
    build_checks,
    fix_from_entry,
    lock_figures,
    supported_browsers,
)
from portal.redirects import safe_next_url

# The pages the help paths lead to (paths fixed by the URL map; names owned by other apps).
PATH_LINKS = {
    "reset": ("reset:start", "/accounts/password/reset/"),
    "locked": ("signin:locked", "/accounts/locked/"),
    "unlock": ("tickets:unlock", "/tickets/unlock/"),
    "login": ("signin:login", "/accounts/login/"),
}


def _links() -> dict[str, str]:
    links = {}
    for key, (name, path) in PATH_LINKS.items():
        try:
            links[key] = reverse(name)
        except NoReverseMatch:
            links[key] = path
    return links


def _script_texts() -> dict[str, str]:
    """Strings help.js shows, in the page's language (the script itself holds no text)."""
    return {
        "ok": _("OK"),
        "fail": _("Problem"),
        "unknown": _("Not checked"),
        "checking": _("Checking…"),
        "all_ok": _("All checks passed. If you still cannot sign in, pick your situation below."),
        "some_failed": _("Found a problem: open the fix under each red item."),
        "network_ok": _("The portal answers."),
        "network_degraded": _("The portal answers, but some of its services are slow or down."),
        "network_fail": _("The portal did not answer. Check your network or VPN."),
        "cookies_ok": _("Cookies are enabled."),
        "cookies_fail": _("Cookies are blocked for this site."),
        "clock_ok": _("Your device's clock matches the server's."),
        "clock_ahead": _("Your device's clock is %(minutes)s minutes ahead of the server's."),
        "clock_behind": _("Your device's clock is %(minutes)s minutes behind the server's."),
        # Shown from 90 minutes on: hours are what a person reads on a clock (always 2 or more).
        "clock_ahead_hours": _("Your device's clock is %(hours)s hours ahead of the server's."),
        "clock_behind_hours": _("Your device's clock is %(hours)s hours behind the server's."),
        # Off by whole hours: the clock looks right and the time zone is wrong.
        "clock_zone": _(
            "If the time on your device looks right, its time zone is wrong: choose %(zone)s "
            "and set the date and time automatically."
        )
        % {"zone": settings.TIME_ZONE},
        "clock_unknown": _("Could not compare clocks."),
        "maintenance_ok": _("No maintenance is going on."),
        "maintenance_fail": _("Maintenance now: %(titles)s"),
    }


@never_cache
@require_safe
def help_home(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    active = notices_disruptive(now=now)
    context = {
        "checks": build_checks(request=request, active=active, server_now=now),
        "active_notices": active,
        "server_now": now,
        "server_now_ms": int(now.timestamp() * 1000),
        "supported_browsers": supported_browsers(),
        "clock_tolerance": conf.get("HELP_CLOCK_TOLERANCE_SECONDS"),
        "lock": lock_figures(),
        "links": _links(),
        "checks_i18n": _script_texts(),
    }
    return render(request, "notices/help.html", context)


@require_GET
def help_cookie_test(request: HttpRequest) -> HttpResponse:
    """Without JavaScript: set a test cookie and come back to /help/, which looks for it."""
    response = HttpResponseRedirect(reverse("notices:help") + "?cookies=1#check-cookies")
    response.set_cookie(
        COOKIE_TEST_NAME,
        "1",
        max_age=300,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


@require_safe
def faq(request: HttpRequest) -> HttpResponse:
    entries = [fix_from_entry(entry) for entry in faq_entries()]
    return render(request, "notices/faq.html", {"entries": entries, "links": _links()})


@require_POST
def dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    hidden = notice_dismiss(session=request.session, notice_id=pk)
    if "application/json" in request.headers.get("Accept", ""):
        status = HTTPStatus.OK if hidden else HTTPStatus.NOT_FOUND
        return JsonResponse({"dismissed": hidden}, status=status)
    target = safe_next_url(request, request.POST.get("next"), default=reverse("home"))
    return HttpResponseRedirect(target, status=HTTPStatus.SEE_OTHER)
