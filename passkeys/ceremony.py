"""The JSON side of a WebAuthn ceremony, shared by this app's views and the sign-in app's: start
one with django-otp-webauthn's own begin views (their options, their state in the session), and
answer a refusal as the library's views do (``{"detail": ..., "code": ...}`` with a 4xx)."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django_otp_webauthn import exceptions
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
)

from passkeys.errors import PasskeyRefused
from passkeys.services import passkey_assertion_check

AUTH_STATE = "otp_webauthn_authentication_state"  # where the library's begin view keeps it
REGISTER_STATE = "otp_webauthn_register_state"
MAX_BODY = 64 * 1024


class SigninBegin(BeginCredentialAuthenticationView):
    """A sign-in without a username: no passkey is named (discoverable credentials), so the
    options say nothing about any account."""

    def get_user(self):
        return None


@method_decorator(never_cache, name="dispatch")
class SessionBegin(BeginCredentialAuthenticationView):
    """The signed-in person's own passkeys (second step, confirmation)."""

    def check_can_authenticate(self):
        if not self.request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        super().check_can_authenticate()


class RegisterBegin(BeginCredentialRegistrationView):
    """A new passkey for the signed-in person (the library refuses a session that has a second
    step but did not pass it)."""


def state_pop(request: HttpRequest, key: str) -> dict | None:
    """The ceremony's state, taken out before anything is checked (never used twice)."""
    state = request.session.pop(key, None)
    request.session.save()
    return state if isinstance(state, dict) else None


def body_json(request: HttpRequest) -> dict:
    """The JSON object the script posted; a refusal for anything else."""
    if len(request.body) > MAX_BODY:
        raise PasskeyRefused(code="too_large", status=413)
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise PasskeyRefused(code="malformed_request", status=400) from None
    if not isinstance(data, dict):
        raise PasskeyRefused(code="malformed_request", status=400)
    return data


def refused(exc: PasskeyRefused) -> JsonResponse:
    response = JsonResponse({"detail": str(exc), "code": exc.code}, status=exc.status)
    if exc.retry_after:
        response["Retry-After"] = str(exc.retry_after)
    return response


def answer_check(
    request: HttpRequest, *, purpose: str, user=None
) -> tuple[dict, WebAuthnCredential]:
    """The posted answer to this session's authentication ceremony (its state taken out first),
    checked for ``purpose`` (``passkeys.services.passkey_assertion_check``): the posted object
    and the passkey; raises ``PasskeyRefused``."""
    data = body_json(request)
    device = passkey_assertion_check(
        request=request,
        state=state_pop(request, AUTH_STATE),
        data=data,
        purpose=purpose,
        user=user,
    )
    return data, device
