"""Writes on passkeys: register, rename, remove (after a confirmation), and the one check of a
passkey's answer (sign-in, the admin's second step, a confirmation), with its own failure counter.

A passkey is django-otp-webauthn's ``WebAuthnCredential`` (a django-otp device): the library's
helper (``passkeys.helpers``) runs py_webauthn's checks; this module decides what a result means,
counts failures in the shared store (``portal.limits``: per client IP and per passkey, never on
the password's lockout, which is about guessed passwords) and audits every outcome.
"""

from __future__ import annotations

import hashlib
import time

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp_webauthn.exceptions import OTPWebAuthnApiError
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.utils import rewrite_exceptions
from webauthn import base64url_to_bytes
from webauthn.helpers.exceptions import WebAuthnException

from accounts.models import User
from accounts.services import current_password_confirm
from audit.services import audit_record
from messaging.services import messaging_notify_user
from passkeys import conf, selectors
from passkeys.errors import NotConfirmed, PasskeyRefused, StaleCounter
from portal import limits
from portal.net import client_ip

CONFIRMED_AT = "passkeys.confirmed_at"  # session: when a passkey last confirmed it is the owner
IP_SCOPE, PASSKEY_SCOPE = "passkeys:fail-ip", "passkeys:fail-passkey"
BAD_INPUT = (OTPWebAuthnApiError, WebAuthnException, KeyError, ValueError, TypeError)


# --- register, rename, remove -------------------------------------------------------------------
def passkey_register(
    *, request: HttpRequest, user: User, state: dict, data: dict, name: str
) -> WebAuthnCredential:
    """Check the browser's answer to the registration ceremony (``state``: what its start kept)
    and keep the new passkey under ``name``; audited. Raises ``PasskeyRefused``."""
    helper = WebAuthnCredential.get_webauthn_helper(request=request)
    try:
        with transaction.atomic():
            with rewrite_exceptions():
                device = helper.register_complete(user=user, state=state, data=data)
            device.name = _clean_name(name) or _default_name()
            device.save(update_fields=["name"])
            audit_record(
                event="passkeys.registered",
                request=request,
                actor=user,
                user=user,
                subject=user.get_username(),
                data=_facts(device),
            )
            _notify(request=request, user=user, kind="passkey_added", passkey=device.name)
            # As the library's own view and the authenticator's enrolment do: a session that
            # has passed no second step counts the new passkey as its step (one that has keeps
            # the device it used).
            if not user.is_verified():
                otp_login(request, device)
    except IntegrityError:
        _register_failed(request=request, user=user, reason="already_registered")
        raise PasskeyRefused(
            _("This passkey is already registered."), code="already_registered", status=409
        ) from None
    except BAD_INPUT as exc:
        reason = getattr(exc, "code", "") or "bad_response"
        _register_failed(request=request, user=user, reason=reason)
        raise PasskeyRefused(
            _("The passkey could not be registered. Please try again."), code=reason, status=422
        ) from None
    return device


def _register_failed(*, request: HttpRequest, user: User, reason: str) -> None:
    with transaction.atomic():
        audit_record(
            event="passkeys.register_failed",
            request=request,
            actor=user,
            user=user,
            subject=user.get_username(),
            data={"reason": reason},
        )


@transaction.atomic
def passkey_rename(
    *, request: HttpRequest, user: User, passkey_id: int, name: str
) -> WebAuthnCredential:
    device = selectors.passkey_of(user_id=user.pk, passkey_id=passkey_id)
    cleaned = _clean_name(name)
    if device is None or not cleaned:
        raise PasskeyRefused(_("Give the passkey a name."), code="bad_name")
    old, device.name = device.name, cleaned
    device.save(update_fields=["name"])
    audit_record(
        event="passkeys.renamed",
        request=request,
        actor=user,
        user=user,
        subject=user.get_username(),
        data={"passkey": device.pk, "from": old, "to": cleaned},
    )
    return device


def passkey_remove(
    *, request: HttpRequest, user: User, passkey_id: int, password: str = ""
) -> None:
    """Remove one of the user's passkeys once it is confirmed to be them: ``password`` (checked
    through ``authenticate()``, so a wrong one counts toward the lockout) or a passkey confirmation
    in the last ``PASSKEYS_CONFIRM_SECONDS``. Staff keep their last passkey while
    ``SIGNIN_STAFF_PASSKEY_REQUIRED`` is on. Raises ``WrongPassword``, ``NotConfirmed`` or
    ``PasskeyRefused``."""
    device = selectors.passkey_of(user_id=user.pk, passkey_id=passkey_id)
    if device is None:
        raise PasskeyRefused(_("That passkey is not one of yours."), code="not_found", status=404)
    how = "password"
    if password:
        current_password_confirm(
            request=request,
            user=user,
            password=password,
            refused_event="passkeys.remove_refused",
            data={"passkey": device.pk},
        )
    elif passkey_confirmed_recently(request):
        how = "passkey"
    else:
        raise NotConfirmed()
    if (
        user.is_staff
        and conf.get("SIGNIN_STAFF_PASSKEY_REQUIRED")
        and selectors.passkeys_of(user_id=user.pk).count() <= 1
    ):
        raise PasskeyRefused(_("Staff accounts must keep at least one passkey."), code="last")
    with transaction.atomic():
        facts = _facts(device) | {"confirmed_by": how}
        device.delete()
        audit_record(
            event="passkeys.removed",
            request=request,
            actor=user,
            user=user,
            subject=user.get_username(),
            data=facts,
        )
        _notify(request=request, user=user, kind="passkey_removed", passkey=facts["name"])
    request.session.pop(CONFIRMED_AT, None)  # one confirmation, one removal


@transaction.atomic
def passkeys_remove_by_agent(*, request: HttpRequest, passkeys: list[WebAuthnCredential]) -> None:
    """An agent removes passkeys in the admin (a lost phone): audited, the owner told."""
    for device in passkeys:
        user, facts = device.user, _facts(device) | {"confirmed_by": "agent"}
        device.delete()
        audit_record(
            event="passkeys.removed",
            request=request,
            actor=request.user,
            user=user,
            subject=user.get_username(),
            data=facts,
        )
        _notify(request=request, user=user, kind="passkey_removed", passkey=facts["name"])


def _notify(*, request: HttpRequest, user: User, kind: str, passkey: str) -> None:
    """The owner hears of every passkey added or removed (an outbox row in this transaction)."""
    messaging_notify_user(
        user=user,
        kind=kind,
        context={"changed_at": timezone.now(), "ip": client_ip(request), "passkey": passkey},
    )


def passkey_confirmed_mark(*, request: HttpRequest) -> None:
    request.session[CONFIRMED_AT] = int(time.time())


def passkey_confirmed_recently(request: HttpRequest) -> bool:
    at = request.session.get(CONFIRMED_AT)
    age = int(time.time()) - at if isinstance(at, int) else -1
    return 0 <= age <= int(conf.get("PASSKEYS_CONFIRM_SECONDS"))


# --- the check of a passkey's answer ------------------------------------------------------------
def passkey_assertion_check(
    *, request: HttpRequest, state: dict | None, data: dict, purpose: str, user: User | None = None
) -> WebAuthnCredential:
    """Check the browser's answer to an authentication ceremony: ``purpose`` "signin" (no user:
    the passkey says whose it is), "second_step" (instead of the code after the password),
    "verify" (a signed-in session's second step) or "confirm" (before a removal), ``user`` then
    the one whose passkey it must be. Returns the passkey; raises
    ``PasskeyRefused`` (audited, counted) otherwise. Waits (429) once the client IP, or this
    passkey, failed too often."""
    ip = client_ip(request)
    passkey_key = _passkey_key(data)
    wait = limits.peek(IP_SCOPE, ip, conf.get("PASSKEYS_FAILURES_PER_IP"))
    if not wait and passkey_key:
        wait = limits.peek(PASSKEY_SCOPE, passkey_key, conf.get("PASSKEYS_FAILURES_PER_PASSKEY"))
    if wait:
        _failed(request=request, purpose=purpose, reason="too_many", user=user, counted=False)
        raise PasskeyRefused(
            _("Too many passkey attempts failed. Try again in a few minutes."),
            code="too_many",
            status=429,
            retry_after=wait,
        )
    if not state:
        raise PasskeyRefused(
            _("This page waited too long. Please try again."), code="no_state", status=400
        )
    helper = WebAuthnCredential.get_webauthn_helper(request=request)
    try:
        with rewrite_exceptions():
            device = helper.authenticate_complete(user=user, state=state, data=data)
    except StaleCounter as exc:
        limits.hit(PASSKEY_SCOPE, passkey_key, conf.get("PASSKEYS_FAILURES_PER_PASSKEY"))
        _failed(
            request=request,
            purpose=purpose,
            reason="stale_counter",
            user=exc.device.user,
            data={"passkey": exc.device.pk, "stored": exc.device.sign_count, "sent": exc.counted},
        )
        raise PasskeyRefused(
            _(
                "This passkey could not be used: it may have been copied to another device. "
                "Sign in another way and tell your helpdesk."
            ),
            code="stale_counter",
            status=403,
        ) from None
    except BAD_INPUT as exc:
        reason = getattr(exc, "code", "") or "bad_response"
        _failed(request=request, purpose=purpose, reason=reason, user=user)
        if reason == "credential_not_found":
            raise PasskeyRefused(
                _(
                    "This passkey is not registered with the portal (it may have been removed). "
                    "Sign in another way."
                ),
                code=reason,
                status=403,
            ) from None
        raise PasskeyRefused(code=reason, status=403) from None
    if not device.confirmed or not device.user.is_active:
        _failed(request=request, purpose=purpose, reason="disabled", user=device.user)
        raise PasskeyRefused(code="disabled", status=403)
    if purpose == "confirm":
        passkey_confirmed_mark(request=request)
    if purpose != "signin":  # a sign-in's own row is signin.succeeded
        with transaction.atomic():
            audit_record(
                event=f"passkeys.{purpose}_ok",
                request=request,
                actor=device.user,
                user=device.user,
                subject=device.user.get_username(),
                data={"passkey": device.pk},
            )
    return device


def _failed(
    *,
    request: HttpRequest,
    purpose: str,
    reason: str,
    user: User | None,
    data: dict | None = None,
    counted: bool = True,
) -> None:
    if counted:
        limits.hit(IP_SCOPE, client_ip(request), conf.get("PASSKEYS_FAILURES_PER_IP"))
    with transaction.atomic():
        audit_record(
            event="passkeys.clone_suspected" if reason == "stale_counter" else "passkeys.failed",
            request=request,
            user=user,
            subject=user.get_username() if user is not None else "",
            data={"purpose": purpose, "reason": reason, **(data or {})},
        )


def _passkey_key(data: dict) -> str:
    """The hash the library keys a passkey by (of the raw id the browser sent), or ""."""
    try:
        raw = base64url_to_bytes(str(data.get("rawId") or data.get("id") or ""))
    except (ValueError, TypeError, AttributeError):
        return ""
    return hashlib.sha256(raw).hexdigest() if raw else ""


def _clean_name(name: str) -> str:
    cleaned = " ".join(str(name or "").split())
    return cleaned[: int(conf.get("PASSKEYS_NAME_MAX_LENGTH"))]


def _default_name() -> str:
    return _("Passkey")


def _facts(device: WebAuthnCredential) -> dict:
    return {
        "passkey": device.pk,
        "name": device.name,
        "backup_eligible": device.backup_eligible,
        "backed_up": device.backup_state,
        "discoverable": device.discoverable,
        "aaguid": device.aaguid,
    }
