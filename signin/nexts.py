"""Where the sign-in, the lock page and the reset may send the browser next (``next``).

A ``next`` is kept only when it is a path on this site (``portal.redirects``, Django's
``url_has_allowed_host_and_scheme``: never another host, ``//host`` or a scheme) and a higher app
accepts it: ``SIGNIN_NEXT_ALLOWED`` names a callable (the single sign-on app's, never imported
here) that refuses an authorization request unless its client and redirect URI are registered.
Anything else is dropped, so no step of the journey can be made into an open redirect.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.module_loading import import_string

from portal.redirects import safe_next_url
from signin import conf

# Longer than any authorization request a client sends; a longer ``next`` is dropped.
NEXT_MAX_LENGTH = 2048


def next_checked(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` when the browser may go there after signing in, else "". Checked once a
    request (the view and the page's ``form-action`` ask for the same ``next``; the check of an
    authorization request reads its client)."""
    if not candidate or len(candidate) > NEXT_MAX_LENGTH:
        return ""
    checked = vars(request).setdefault("_signin_nexts", {})
    if candidate not in checked:
        checked[candidate] = _allowed(request, candidate)
    return checked[candidate]


def _allowed(request: HttpRequest, candidate: str) -> str:
    local = safe_next_url(request, candidate, default="")
    if not local:
        return ""
    path = conf.get("SIGNIN_NEXT_ALLOWED")
    if path and not import_string(path)(local):
        return ""
    return local


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """The checked ``next``, or the page a sign-in lands on by default."""
    return next_checked(request, candidate) or resolve_url(settings.LOGIN_REDIRECT_URL)


def next_of(request: HttpRequest) -> str:
    """The checked ``next`` a request carries (a form's hidden field, else the query), or ""."""
    return next_checked(request, request.POST.get("next") or request.GET.get("next"))


def with_next(url: str, next_url: str) -> str:
    """``url`` carrying ``next_url`` (already checked) in its query; ``url`` alone without one."""
    if not next_url:
        return url
    return url + ("&" if "?" in url else "?") + urlencode({"next": next_url})


def form_origins(request: HttpRequest, next_url: str | None = None) -> list[str]:
    """The origins a form may end its redirects at on the way to ``next_url`` (checked here;
    default: the request's ``next``), which a page with such a form adds to its
    ``form-action``; none without a ``next``."""
    checked = next_of(request) if next_url is None else next_checked(request, next_url)
    path = conf.get("SIGNIN_NEXT_FORM_ORIGINS")
    return list(import_string(path)(checked)) if checked and path else []
