"""Two-step sign-in on the security page (/account/two-step/...)."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import twostep
from accounts.errors import TwoStepError, WrongPassword
from accounts.forms import TotpConfirmForm, TwoStepDisableForm
from accounts.views.contacts import safe_next

BACKUP_SESSION_KEY = "accounts.backup_codes_once"


@never_cache
@login_required
def two_step(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/two_step.html",
        {
            "enabled": twostep.two_step_enabled(user),
            "backup_left": twostep.backup_codes_left(user),
            "verified": user.is_verified(),
            "next": safe_next(request, default=""),
        },
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_step_enroll(request: HttpRequest) -> HttpResponse:
    """GET: a fresh key and its QR code. POST: the first code confirms it."""
    user = request.user
    if twostep.two_step_enabled(user) and request.method == "GET":
        messages.info(request, _("Two-step sign-in is already on."))
        return redirect("accounts:two_step")
    status = HTTPStatus.OK
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid():
            try:
                codes = twostep.totp_enroll_confirm(
                    request=request, user=user, code=form.cleaned_data["code"]
                )
            except TwoStepError as exc:
                if exc.code == "no_pending_device":
                    return redirect("accounts:two_step_enroll")
                form.add_error("code", str(exc))
            else:
                request.session[BACKUP_SESSION_KEY] = codes
                messages.success(request, _("Two-step sign-in is on."))
                return redirect(f"{reverse('accounts:two_step_backup')}?{_next_query(request)}")
        device = twostep.pending_device(user)
    else:
        device = twostep.totp_enroll_start(user=user)
    if device is None:
        return redirect("accounts:two_step_enroll")
    return render(
        request,
        "accounts/two_step_enroll.html",
        {
            "form": form,
            "qr_svg": mark_safe(twostep.qr_svg(device)),  # noqa: S308 (segno's own SVG)
            "secret": twostep.secret_grouped(device),
            "next": safe_next(request, default=""),
        },
        status=status,
    )


@never_cache
@login_required
def two_step_backup(request: HttpRequest) -> HttpResponse:
    """The backup codes just made, shown once (they leave the session as they are shown)."""
    codes = request.session.pop(BACKUP_SESSION_KEY, None)
    if not codes:
        messages.info(request, _("Backup codes are shown only once. Make new ones if needed."))
        return redirect("accounts:two_step")
    return render(
        request,
        "accounts/two_step_backup.html",
        {"codes": codes, "next": safe_next(request, default="")},
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_step_backup_new(request: HttpRequest) -> HttpResponse:
    form = TotpConfirmForm(request.POST or None)
    status = HTTPStatus.OK
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid():
            try:
                codes = twostep.backup_codes_regenerate(
                    request=request, user=request.user, code=form.cleaned_data["code"]
                )
            except TwoStepError as exc:
                form.add_error("code", str(exc))
            else:
                request.session[BACKUP_SESSION_KEY] = codes
                return redirect("accounts:two_step_backup")
    return render(request, "accounts/two_step_backup_new.html", {"form": form}, status=status)


@never_cache
@sensitive_post_parameters("current_password", "otp_token")
@login_required
def two_step_disable(request: HttpRequest) -> HttpResponse:
    form = TwoStepDisableForm(request.POST or None)
    status = HTTPStatus.OK
    if request.user.is_staff:
        messages.error(request, _("Staff accounts must keep two-step sign-in."))
        return redirect("accounts:two_step")
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid():
            try:
                twostep.two_step_disable(
                    request=request,
                    user=request.user,
                    password=form.cleaned_data["current_password"],
                    token=form.cleaned_data["otp_token"],
                )
            except WrongPassword as exc:
                form.add_error("current_password", str(exc))
            except TwoStepError as exc:
                form.add_error("otp_token", str(exc))
            else:
                messages.success(request, _("Two-step sign-in is off."))
                return redirect("accounts:two_step")
    return render(request, "accounts/two_step_disable.html", {"form": form}, status=status)


def _next_query(request: HttpRequest) -> str:
    target = safe_next(request, default="")
    return urlencode({"next": target}) if target else ""
