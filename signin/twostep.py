"""Confirm a signed-in session with a two-step code (django-otp login): what staff need before
/admin/ (``/account/two-step/verify/``). The code is counted on the sign-in lockout counters
before it is checked, as at sign-in (``signin.flow.code_check``)."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login

from accounts.models import User
from audit.services import audit_record
from signin.attempt import attempt_of
from signin.flow import code_check


def session_verify(*, request: HttpRequest, user: User, token: str) -> bool:
    """Confirm this signed-in session with an authenticator or backup code (django-otp login).
    The code is counted on the sign-in lockout counters before it is checked, as at sign-in
    (``signin.flow.code_check``): a wrong one is a failure, and none is checked while the account
    (or this browser) is locked; ``attempt_of(request).locked_out`` then says so."""
    device = code_check(request=request, user=user, code=token)
    with transaction.atomic():
        if device is not None:
            otp_login(request, device)
        audit_record(
            event="twostep.session_verified" if device else "twostep.session_failed",
            request=request,
            user=user,
            subject=user.username,
            data={"device": device.persistent_id}
            if device
            else {"locked": attempt_of(request).locked_out},
        )
    return device is not None
