"""Sign in with a passkey (/accounts/login/passkey/...), use one instead of the code after the
password (/accounts/login/code/passkey/) and confirm a signed-in session with one
(/account/two-step/passkey/..., staff before /admin/): the JSON ends of the ceremonies the pages'
passkey buttons run (``passkeys/static/passkeys``).

A passkey sign-in never goes through ``authenticate()``: there is no password to count, so the
password's lockout (axes and ``signin.lockout``, about guessed passwords) neither refuses it nor
counts it; a failed passkey answer counts on the passkeys app's own counter instead
(``passkeys.services.passkey_assertion_check``). The passkey is both steps: the session is
verified (django-otp) as after a password and a code.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from passkeys import ceremony
from passkeys.errors import PasskeyRefused
from signin import flow
from signin.door_guard import door_guard
from signin.views import STEP_URLS

signin_begin = door_guard(csrf_protect(ceremony.SigninBegin.as_view()))
verify_begin = login_required(ceremony.SessionBegin.as_view())


@door_guard
@csrf_protect
@never_cache
@require_POST
def signin_complete(request: HttpRequest) -> JsonResponse:
    try:
        data, device = ceremony.answer_check(request, purpose="signin")
    except PasskeyRefused as exc:
        return ceremony.refused(exc)
    next_url = flow.safe_next(request, str(data.get("next") or ""))
    flow.complete(request=request, user=device.user, device=device)
    return JsonResponse({"redirect_url": next_url})


@door_guard
@csrf_protect
@never_cache
@require_POST
def code_complete(request: HttpRequest) -> JsonResponse:
    """A passkey of the person whose password was right, instead of the code (the sign-in's
    second step page, ``signin:code``)."""
    pending = flow.pending_get(request)
    try:
        if pending is None or pending.step != flow.CODE:
            raise PasskeyRefused(
                _("Your sign-in took too long or was interrupted. Please start again."),
                code="no_pending",
            )
        _data, device = ceremony.answer_check(request, purpose="second_step", user=pending.user)
    except PasskeyRefused as exc:
        return ceremony.refused(exc)
    step = flow.step_done(request=request, pending=pending, device=device)
    if step is not None:
        return JsonResponse({"redirect_url": reverse(STEP_URLS[step])})
    return JsonResponse({"redirect_url": flow.safe_next(request, pending.next_url)})


@never_cache
@login_required
@require_POST
def verify_complete(request: HttpRequest) -> JsonResponse:
    """The signed-in person's passkey confirms this session (django-otp login): the admin's
    second step."""
    try:
        data, device = ceremony.answer_check(request, purpose="verify", user=request.user)
    except PasskeyRefused as exc:
        return ceremony.refused(exc)
    with transaction.atomic():
        otp_login(request, device)
    return JsonResponse({"redirect_url": flow.safe_next(request, str(data.get("next") or ""))})
