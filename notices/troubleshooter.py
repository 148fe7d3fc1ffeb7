"""What the "can't sign in?" page knows before any JavaScript runs.

Each check has a server-side verdict where the server can tell (the page loaded, so the portal is
reachable; the request's cookies; the browser named in the User-Agent; the notices) and is
re-checked in the browser by ``static/notices/help.js`` where only the browser can tell (the device
clock, cookies on a first visit, the health endpoint). A failing check shows its fix, taken from
the FAQ entry of the same key so admins edit the advice in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _

from notices import conf
from notices.models import FaqEntry, Notice
from notices.selectors import faq_entries_by_slug
from portal.browsers import parse
from portal.net import user_agent
from signin import conf as signin_conf

COOKIE_TEST_NAME = "portal_cookie_test"
OK, FAIL, UNKNOWN = "ok", "fail", "unknown"
CHECK_KEYS = ("network", "cookies", "browser", "clock", "maintenance")


def lock_figures() -> dict[str, int]:
    """The lockout policy in people's units (the sign-in app owns the numbers)."""
    return {
        "failures": int(signin_conf.get("LOCKOUT_FAILURE_LIMIT")),
        "minutes": int(signin_conf.get("LOCKOUT_COOLOFF_MINUTES")),
        "recurrence_hours": int(signin_conf.get("SIGNIN_LOCK_RECURRENCE_HOURS")),
        "max_hours": max(1, int(signin_conf.get("SIGNIN_LOCK_MAX_MINUTES")) // 60),
    }


def faq_text(text: str) -> str:
    """Fill the placeholders help texts may use with the portal's real figures."""
    lock = lock_figures()
    replacements = {
        "{lock_failures}": str(lock["failures"]),
        "{lock_minutes}": str(lock["minutes"]),
        "{lock_recurrence_hours}": str(lock["recurrence_hours"]),
        "{lock_max_hours}": str(lock["max_hours"]),
        "{lead_hours}": str(conf.get("NOTICE_LEAD_HOURS")),
        "{password_min_length}": str(getattr(settings, "PASSWORD_MIN_LENGTH", 12)),
        "{idle_minutes}": str(getattr(settings, "SESSION_IDLE_TIMEOUT_SECONDS", 1800) // 60),
    }
    for token, value in replacements.items():
        text = text.replace(token, value)
    return text


@dataclass(frozen=True)
class Fix:
    slug: str
    question: str
    paragraphs: list[str]
    link_url: str = ""
    link_label: str = ""


def fix_from_entry(entry: FaqEntry) -> Fix:
    return Fix(
        slug=entry.slug,
        question=entry.question,
        paragraphs=paragraphs(faq_text(entry.answer)),
        link_url=entry.link_url,
        link_label=entry.link_label,
    )


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def _fallback_fixes() -> dict[str, Fix]:
    """Used only when an admin has removed or unpublished the FAQ entry a check points at."""
    return {
        "network": Fix(
            "network",
            _("The portal does not load"),
            [_("Check that you are connected to the company network or VPN, then reload.")],
        ),
        "cookies": Fix(
            "cookies",
            _("Cookies are blocked"),
            [_("Allow cookies for this site in your browser's settings, then reload the page.")],
        ),
        "browser": Fix(
            "browser",
            _("Your browser is not supported"),
            [_("Update your browser, or switch to a current Chrome, Edge or Firefox.")],
        ),
        "clock": Fix(
            "clock",
            _("Your device's clock is wrong"),
            [_("Set your device to get the date and time automatically, then reload.")],
        ),
        "maintenance": Fix(
            "maintenance",
            _("Maintenance is going on"),
            [_("Wait until the time shown in the notice; you do not need to do anything else.")],
        ),
    }


@dataclass
class Check:
    key: str
    title: str
    status: str
    detail: str
    fix: Fix
    needs_js: bool = False
    extra: dict = field(default_factory=dict)


def supported_browsers() -> list[tuple[str, int]]:
    return sorted(conf.get("HELP_SUPPORTED_BROWSERS").items())


def browser_verdict(ua: str) -> tuple[str, str]:
    if "MSIE " in ua or "Trident/" in ua:
        return FAIL, _("Internet Explorer is not supported.")
    name, version, system = parse(ua)
    if not name:
        return UNKNOWN, _("We could not recognise your browser.")
    label = f"{name} {version}" if version is not None else name
    if system:
        label = _("%(browser)s on %(system)s") % {"browser": label, "system": system}
    minimum = conf.get("HELP_SUPPORTED_BROWSERS").get(name)
    if minimum is None:
        return UNKNOWN, _("%(browser)s is not on our tested list.") % {"browser": label}
    if version is None or version < minimum:
        return FAIL, _("%(browser)s is too old: version %(minimum)s or newer is needed.") % {
            "browser": label,
            "minimum": minimum,
        }
    return OK, _("%(browser)s is supported.") % {"browser": label}


def cookies_verdict(request: HttpRequest) -> tuple[str, str]:
    if request.COOKIES:
        return OK, _("Your browser sends cookies to the portal.")
    if request.GET.get("cookies") == "1":
        return FAIL, _("Your browser did not keep the test cookie.")
    return UNKNOWN, _("Not checked yet.")


def build_checks(
    *, request: HttpRequest, active: list[Notice], server_now: datetime
) -> list[Check]:
    found = faq_entries_by_slug(slugs=list(CHECK_KEYS))
    fallbacks = _fallback_fixes()
    fixes = {
        key: fix_from_entry(found[key]) if key in found else fallbacks[key] for key in CHECK_KEYS
    }
    browser_status, browser_detail = browser_verdict(user_agent(request))
    cookie_status, cookie_detail = cookies_verdict(request)
    if active:
        maintenance = (
            FAIL,
            _("Maintenance now: %(titles)s") % {"titles": "; ".join(n.title for n in active)},
        )
    else:
        maintenance = (OK, _("No maintenance is going on."))
    return [
        Check(
            "network",
            _("The portal is reachable"),
            OK,
            _("This page loaded from the portal."),
            fixes["network"],
        ),
        Check("cookies", _("Cookies are enabled"), cookie_status, cookie_detail, fixes["cookies"]),
        Check(
            "browser",
            _("Your browser is supported"),
            browser_status,
            browser_detail,
            fixes["browser"],
        ),
        Check(
            "clock",
            _("Your device's clock is right"),
            UNKNOWN,
            _("This check needs JavaScript: compare your clock with the server time below."),
            fixes["clock"],
            needs_js=True,
        ),
        Check(
            "maintenance",
            _("No maintenance is going on"),
            maintenance[0],
            maintenance[1],
            fixes["maintenance"],
        ),
    ]
