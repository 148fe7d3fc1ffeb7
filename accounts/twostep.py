"""Two-step sign-in (django-otp): enrol an authenticator app, backup codes, turn it off, and
the code checks the sign-in's second step uses (``second_factor_match``). Confirming a signed-in
session with a code (what staff need before /admin/) is the sign-in app's (``signin.twostep``).

One confirmed ``TOTPDevice`` per user ("authenticator") and one ``StaticDevice`` ("backup") with
10 single-use codes. Secrets leave the server only on the enrolment page (QR code drawn here with
segno, inline SVG; the key in groups of four) and backup codes only once, right after they are
made.
"""

from __future__ import annotations

from base64 import b32encode
from urllib.parse import quote, urlencode

import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import conf
from accounts.backup_codes import backup_code_use, backup_codes_replace
from accounts.errors import TwoStepError
from accounts.models import User
from accounts.services import current_password_confirm
from audit.services import audit_record
from messaging.services import messaging_notify_user
from portal.net import client_ip

TOTP_NAME = "authenticator"
BACKUP_NAME = "backup"


# --- reads --------------------------------------------------------------------------------------
def two_step_enabled(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def secret_b32(device: TOTPDevice) -> str:
    return b32encode(device.bin_key).decode().rstrip("=")


def secret_grouped(device: TOTPDevice) -> str:
    raw = secret_b32(device)
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def otpauth_uri(device: TOTPDevice) -> str:
    issuer = str(conf.get("TOTP_ISSUER")).replace(":", "")
    label = f"{issuer}:{device.user.get_username()}"
    params = urlencode(
        {
            "secret": secret_b32(device),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{quote(label)}?{params}"


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth URI as an inline SVG QR code, drawn locally (no image service sees it)."""
    return segno.make(otpauth_uri(device), error="m").svg_inline(
        scale=5, dark="#1a1f29", light="#ffffff", border=2, omitsize=False
    )


# --- token checks -------------------------------------------------------------------------------
def _devices_for_token(user: User, token: str):
    """Six or eight digits: the authenticator; anything else: a backup code."""
    compact = "".join(str(token).split()).replace("-", "")
    if compact.isascii() and compact.isdigit() and len(compact) in (6, 8):
        return compact, TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
    return compact, StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)


def second_factor_match(*, user: User, token: str) -> tuple[object | None, bool]:
    """(the device that accepted ``token`` or None, whether a device is throttled). Call inside a
    transaction: devices are locked, a code is consumed. Backup codes are checked by their
    digests (``accounts.backup_codes``)."""
    value, devices = _devices_for_token(user, token)
    throttled = False
    for device in devices:
        allowed, _info = device.verify_is_allowed()
        if not allowed:
            throttled = True
            continue
        if isinstance(device, StaticDevice):
            if backup_code_use(device=device, code=value):
                return device, throttled
        elif device.verify_token(value):
            return device, throttled
    return None, throttled


def _notify(*, user: User, kind: str, request: HttpRequest) -> None:
    messaging_notify_user(
        user=user,
        kind=kind,
        context={"changed_at": timezone.now(), "ip": client_ip(request)},
    )


def _backup_codes_replace(user: User) -> list[str]:
    return backup_codes_replace(user=user, name=BACKUP_NAME, count=conf.get("BACKUP_CODE_COUNT"))


# --- writes -------------------------------------------------------------------------------------
@transaction.atomic
def totp_enroll_start(*, user: User) -> TOTPDevice:
    """An unconfirmed authenticator device with a fresh key (any earlier unconfirmed one goes)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


@transaction.atomic
def totp_enroll_confirm(*, request: HttpRequest, user: User, code: str) -> list[str]:
    """Confirm the pending device with its first code; returns the 10 new backup codes (shown
    once). This session counts as verified from now on. Raises ``TwoStepError``."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("-pk")
        .first()
    )
    if device is None:
        raise TwoStepError(code="no_pending_device")
    if not device.verify_token(code):
        audit_record(
            event="twostep.enroll_failed", request=request, user=user, subject=user.username
        )
        raise TwoStepError(
            _("That code is not right. Check the time on your phone and try the newest code."),
            code="wrong_code",
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    backup = _backup_codes_replace(user)
    audit_record(
        event="twostep.enabled",
        request=request,
        user=user,
        subject=user.username,
        data={"device": device.persistent_id, "backup_codes": len(backup)},
    )
    _notify(user=user, kind="two_step_enabled", request=request)
    otp_login(request, device)
    return backup


@transaction.atomic
def backup_codes_regenerate(*, request: HttpRequest, user: User, code: str) -> list[str]:
    """New backup codes (the old ones stop working), after a code from the authenticator."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None or not device.verify_token("".join(str(code).split())):
        audit_record(
            event="twostep.backup_refused", request=request, user=user, subject=user.username
        )
        raise TwoStepError(_("That authenticator code is not right."), code="wrong_code")
    backup = _backup_codes_replace(user)
    audit_record(
        event="twostep.backup_regenerated",
        request=request,
        user=user,
        subject=user.username,
        data={"backup_codes": len(backup)},
    )
    return backup


def two_step_disable(*, request: HttpRequest, user: User, password: str, token: str) -> None:
    """Turn two-step sign-in off: needs the password (checked through ``authenticate()``) and a
    code. Staff cannot: the admin requires it. Raises ``WrongPassword`` or ``TwoStepError``."""
    if user.is_staff:
        raise TwoStepError(
            _("Staff accounts must keep two-step sign-in. Ask an administrator."),
            code="staff",
        )
    current_password_confirm(
        request=request,
        user=user,
        password=password,
        refused_event="twostep.disable_refused",
        data={"reason": "wrong_password"},
    )
    with transaction.atomic():
        device, _throttled = second_factor_match(user=user, token=token)
        if device is None:
            audit_record(
                event="twostep.disable_refused",
                request=request,
                user=user,
                subject=user.username,
                data={"reason": "wrong_code"},
            )
    if device is None:
        raise TwoStepError(_("That code is not right."), code="wrong_code")
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit_record(event="twostep.disabled", request=request, user=user, subject=user.username)
        _notify(user=user, kind="two_step_disabled", request=request)


def pending_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
