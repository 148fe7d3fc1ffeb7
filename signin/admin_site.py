"""The portal's admin site: staff reach /admin/ only in a session confirmed by two-step sign-in.

``PortalAdminSite`` is django-otp's ``OTPAdminSite`` (``has_permission`` also requires
``request.user.is_verified()``) installed as the default site through
``accounts.apps.PortalAdminConfig`` (which names it by its dotted path), so every app's
``@admin.register`` lands on it.

The admin login keeps checking the password through ``authenticate()`` (Django's
``AuthenticationForm``), so django-axes and the sign-in app's lockout count every wrong password
typed there, and it asks for the authenticator or backup code on the same page; the code is
counted on the same lockout before it is checked (``signin.flow.code_check``). Staff without an
authenticator sign in with the password, are not let in, and are sent to set one up
(``accounts:two_step_enroll``); staff signed in on the site but not yet confirmed are sent to
``accounts:two_step_verify`` (a code or a passkey). A passkey is both steps at once: the login
page's "Sign in with a passkey" (``signin.views_passkey``) opens the admin too. With
``SIGNIN_STAFF_PASSKEY_REQUIRED``, staff without a passkey are sent to add one
(``passkeys:register``) before any admin page.
"""

from __future__ import annotations

from functools import update_wrapper
from urllib.parse import urlencode

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

from audit.services import audit_record
from passkeys import conf
from passkeys.selectors import user_has_passkey
from signin import flow
from signin.attempt import attempt_of
from signin.flow import code_check, has_second_step, release_pending


class AdminOTPAuthenticationForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        label=_("Code from your authenticator app, or a backup code"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none"}),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "otp_required": _("Enter the code from your authenticator app, or a backup code."),
        "otp_invalid": _("That code is not right."),
        "password_expired": _("Your password has expired. Choose a new one to continue."),
    }

    def clean(self):
        cleaned = super().clean()  # authenticate(): the lockout counts a wrong password here
        user = self.get_user()
        # Whenever the site's sign-in would ask for a second step (backup codes count too).
        if user is None or not has_second_step(user):
            self._expired_password_check(user)
            return cleaned  # signed in without OTP: the site sends them to set it up
        token = "".join((cleaned.get("otp_token") or "").split())
        if not token:
            raise forms.ValidationError(self.error_messages["otp_required"], code="otp_required")
        # The password was right: its count is given back now, as the site does before its code
        # step. The code is counted before it is checked; a wrong one is a failure.
        release_pending(self.request)
        device = code_check(request=self.request, user=user, code=token)
        audit_record(
            event="twostep.admin_verified" if device else "twostep.admin_failed",
            request=self.request,
            user=user,
            subject=user.get_username(),
        )
        if device is None:
            raise forms.ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
        self._expired_password_check(user, device=device)
        user.otp_device = device  # django-otp marks the session verified on user_logged_in
        return cleaned

    def _expired_password_check(self, user, device=None) -> None:
        """An expired password (``PASSWORD_MAX_AGE_DAYS``) that was right leads to the forced
        change, as on the site, never into the admin: the rest of the sign-in waits in the
        session (with the code already passed) and the site's change page finishes it."""
        if user is None or not flow.password_expired(user):
            return
        flow.release_pending(self.request)  # right, so not a failure
        target = self.request.POST.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
        flow.pending_start(
            request=self.request,
            user=user,
            steps=[flow.PASSWORD],
            next_url=flow.safe_next(self.request, target),
            device=device,
            door="admin",
        )
        attempt_of(self.request).admin_password_expired = True
        raise forms.ValidationError(self.error_messages["password_expired"], code="expired")


class PortalAdminSite(OTPAdminSite):
    site_header = _("Account Portal administration")
    site_title = _("Account Portal admin")
    index_title = _("Helpdesk and administration")
    login_form = AdminOTPAuthenticationForm
    login_template = "signin/admin_login.html"

    def __init__(self, name: str = "admin"):
        super().__init__(name)

    def admin_view(self, view, cacheable=False):
        """Every admin page; with ``SIGNIN_STAFF_PASSKEY_REQUIRED`` a confirmed staff session
        without a passkey is sent to add one first (then back here)."""
        inner = super().admin_view(view, cacheable)

        def wrapper(request, *args, **kwargs):
            if self._passkey_missing(request):
                query = urlencode({"next": request.get_full_path()})
                return redirect(f"{reverse('passkeys:register')}?{query}")
            return inner(request, *args, **kwargs)

        return update_wrapper(wrapper, inner)

    def _passkey_missing(self, request) -> bool:
        if not conf.get("SIGNIN_STAFF_PASSKEY_REQUIRED") or not self.has_permission(request):
            return False
        return not user_has_passkey(user_id=request.user.pk)

    def login(self, request, extra_context=None):
        user = request.user
        if (
            request.method == "GET"
            and user.is_authenticated
            and user.is_active
            and user.is_staff
            and not user.is_verified()
        ):
            target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
            return redirect(f"{reverse('accounts:two_step_verify')}?{urlencode({'next': target})}")
        response = super().login(request, extra_context)
        if attempt_of(request).admin_password_expired:
            return redirect("signin:password_expired")
        return response
