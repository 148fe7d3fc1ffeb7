"""Confirm a signed-in session with a two-step code (/account/two-step/verify/, staff before
/admin/) and sign out every other session (/account/sessions/end-others/). Served under the
security page's URL namespace (``accounts:two_step_verify``, ``accounts:sessions_end_others``):
``accounts/urls_self.py`` includes ``signin.urls_session`` by its dotted name."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.forms import SecondFactorForm
from accounts.twostep import two_step_enabled
from accounts.views.contacts import safe_next
from passkeys.selectors import user_has_passkey
from signin import session_records
from signin.attempt import attempt_of
from signin.twostep import session_verify
from signin.views import locked_now


@never_cache
@sensitive_post_parameters("otp_token")
@login_required
def two_step_verify(request: HttpRequest) -> HttpResponse:
    """Confirm this session with a code (staff before /admin/). Without a device: enrol first."""
    user = request.user
    target = safe_next(request)
    if user.is_verified():
        return redirect(target)
    has_code = two_step_enabled(user)
    has_passkey = user_has_passkey(user_id=user.pk)
    if not has_code and not has_passkey:
        messages.info(request, _("Set up two-step sign-in first."))
        return redirect(f"{reverse('accounts:two_step_enroll')}?{_next_query(request)}")
    form = SecondFactorForm(request.POST or None)
    status = HTTPStatus.OK
    if request.method == "POST" and has_code:
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid():
            if session_verify(request=request, user=user, token=form.cleaned_data["otp_token"]):
                return redirect(target)
            if attempt_of(request).locked_out:
                return locked_now(request)
            form.add_error("otp_token", _("That code is not right."))
    context = {"form": form, "next": target, "has_code": has_code, "has_passkey": has_passkey}
    return render(request, "signin/two_step_verify.html", context, status=status)


def _next_query(request: HttpRequest) -> str:
    target = safe_next(request, default="")
    return urlencode({"next": target}) if target else ""


@login_required
@require_POST
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    """The security page's "Sign out all other sessions"; this browser stays signed in."""
    ended = session_records.sessions_end_others(request=request, user=request.user)
    messages.success(
        request,
        ngettext(
            "Signed out %(count)d other session. This browser stays signed in.",
            "Signed out %(count)d other sessions. This browser stays signed in.",
            ended,
        )
        % {"count": ended},
    )
    return redirect("accounts:overview")
