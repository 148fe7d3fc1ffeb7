"""Ask a signed-in user without any verified recovery contact to add one, right after sign-in.

Only page views (GET, HTML) are redirected, once per session, to ``accounts:contact_prompt``;
the user may choose "later" CONTACT_PROMPT_SKIPS times, after which adding one is required before
using the portal. The contact and two-step pages, everything under /accounts/ (sign-in steps,
sign-out, reset), help, the language switch, static files, the admin and the APIs are never
redirected.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse

from accounts.contacts import PROMPT_DONE_KEY, has_verified_contact

EXEMPT_PREFIXES = (
    "/account/contacts/",
    "/account/two-step/",
    "/accounts/",  # sign-in steps, sign-out, lock page, password reset
    "/help/",
    "/i18n/",
    "/static/",
    "/api/",
    "/healthz",
    "/dev/",
    "/admin/",
)


class RecoveryContactPromptMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if self._should_prompt(request):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:contact_prompt')}?{query}")
        return self.get_response(request)

    @staticmethod
    def _should_prompt(request: HttpRequest) -> bool:
        if request.method != "GET" or request.path.startswith(EXEMPT_PREFIXES):
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if request.session.get(PROMPT_DONE_KEY):
            return False
        if has_verified_contact(user):
            request.session[PROMPT_DONE_KEY] = True
            return False
        return True
