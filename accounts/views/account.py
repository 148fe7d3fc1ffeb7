"""The employee's own security page (/account/): overview, password change. "Sign out all other
sessions" is the sign-in app's (``signin.views_session``), under the same namespace."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import conf, contacts, services, sessions, twostep
from accounts.errors import WrongPassword
from accounts.forms import PasswordChangeForm
from accounts.masking import mask_email, mask_phone
from accounts.passwords import password_rules


def _unlock_requests(user) -> list:
    """The "Unlock requests" section's rows, from the callable ``ACCOUNTS_UNLOCK_REQUESTS`` names
    (the tickets app's reader: a higher layer, so named, never imported); none if it is empty."""
    path = conf.get("ACCOUNTS_UNLOCK_REQUESTS")
    return list(import_string(path)(user=user, limit=10)) if path else []


def _apps_signed_in(user) -> list:
    """The "Apps you are signed in to" section's rows, from the callable
    ``ACCOUNTS_APP_SIGNINS`` names (the single sign-on app's reader); none if it is empty."""
    path = conf.get("ACCOUNTS_APP_SIGNINS")
    return list(import_string(path)(user=user)) if path else []


def _passkeys(user) -> dict | None:
    """The "Passkeys" card's figures, from the callable ``ACCOUNTS_PASSKEYS`` names (the
    passkeys app's reader); None hides the card."""
    path = conf.get("ACCOUNTS_PASSKEYS")
    return import_string(path)(user=user) if path else None


@never_cache
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    user = request.user
    key = request.session.session_key
    signins = sessions.signins_recent(user=user, current_session_key=key)
    open_sessions = sessions.sessions_open(user=user)
    return render(
        request,
        "accounts/overview.html",
        {
            "email_masked": mask_email(user.email),
            "phone_masked": mask_phone(user.phone),
            "has_contact": contacts.has_verified_contact(user),
            "signins": signins,
            "open_sessions": open_sessions,
            "other_sessions": sum(1 for s in open_sessions if s.session_key != key),
            "two_step": twostep.two_step_enabled(user),
            "backup_left": twostep.backup_codes_left(user),
            "tickets": _unlock_requests(user),
            "apps": _apps_signed_in(user),
            "passkeys": _passkeys(user),
        },
    )


@never_cache
@sensitive_post_parameters("current_password", "new_password1", "new_password2")
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    status = HTTPStatus.OK
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid():
            try:
                services.user_password_change(
                    request=request,
                    user=request.user,
                    current_password=form.cleaned_data["current_password"],
                    new_password=form.cleaned_data["new_password1"],
                )
            except WrongPassword as exc:
                form.add_error("current_password", str(exc))
            except ValidationError as exc:
                form.add_error("new_password1", exc)
            else:
                messages.success(
                    request,
                    _("Your password was changed. Every other session was signed out."),
                )
                return redirect("accounts:overview")
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "rules": password_rules()},
        status=status,
    )
