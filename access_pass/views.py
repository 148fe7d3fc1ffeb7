"""/accounts/pass/: sign in with a temporary access pass; /accounts/pass/enrol/: what to set up
now; /accounts/pass/password/: the new password. Thin: ``door`` and ``enrol`` do the work."""

from __future__ import annotations

import math
from http import HTTPStatus

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from access_pass import door, enrol
from access_pass.forms import PassSigninForm
from access_pass.middleware import passkey_url
from accounts.forms import NewPasswordForm
from accounts.passwords import password_rules
from portal.times import retry_after_seconds
from signin import nexts
from signin.door_guard import door_guard


@door_guard
@sensitive_post_parameters("access_pass")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def signin_view(request: HttpRequest) -> HttpResponse:
    next_url = nexts.next_of(request)
    if request.user.is_authenticated and door.ENROL not in request.session:
        return redirect(nexts.safe_next(request, next_url))
    initial = {"username": request.GET.get("username", "")[:254]}
    form = PassSigninForm(request.POST or None, initial=initial)
    status = HTTPStatus.OK
    if request.method == "POST" and not form.is_valid():
        status = HTTPStatus.BAD_REQUEST
    elif request.method == "POST":
        outcome = door.pass_signin(
            request=request,
            typed=form.cleaned_data["username"],
            secret=form.cleaned_data["access_pass"],
            next_url=next_url,
        )
        if outcome.user is not None:
            return redirect("access_pass:enrol")
        if outcome.error == "limited":
            seconds = retry_after_seconds(outcome.retry_at, now=timezone.now())
            form.add_error(
                None,
                _("Too many wrong passes. Try again in %(minutes)d minutes, or call the helpdesk.")
                % {"minutes": max(1, math.ceil(seconds / 60))},
            )
            status = HTTPStatus.TOO_MANY_REQUESTS
        else:
            form.add_error(
                None,
                _(
                    "The username or pass is not right, or the pass was already used or has "
                    "expired. Check it with the helpdesk."
                ),
            )
    return render(
        request, "access_pass/signin.html", {"form": form, "next": next_url}, status=status
    )


@never_cache
@require_http_methods(["GET", "HEAD"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    state = enrol.enrol_pending(request)
    if state is None or not request.user.is_authenticated:
        return redirect("signin:login")
    # Back here once registered: the guard then sees the new passkey and lets the person go on.
    context = {"passkey_url": nexts.with_next(passkey_url(), reverse("access_pass:enrol"))}
    return render(request, "access_pass/enrol.html", context)


@sensitive_post_parameters("new_password1", "new_password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_view(request: HttpRequest) -> HttpResponse:
    state = enrol.enrol_pending(request)
    if state is None or not request.user.is_authenticated:
        return redirect("signin:login")
    form = NewPasswordForm(request.POST or None)
    status = HTTPStatus.OK
    if request.method == "POST" and form.is_valid():
        try:
            enrol.enrol_password(request=request, new_password=form.cleaned_data["new_password1"])
        except ValidationError as exc:
            form.add_error("new_password1", exc)
        else:
            messages.success(
                request,
                _("Your new password is set. Every other session of your account was signed out."),
            )
            return redirect(enrol.enrol_next(request, state))
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
    context = {"form": form, "rules": password_rules()}
    return render(request, "access_pass/password.html", context, status=status)
