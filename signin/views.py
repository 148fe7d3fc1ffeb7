"""Sign-in pages: /accounts/login/ (+ code and expired-password steps), /accounts/logout/,
/accounts/locked/. Thin: forms check input, ``authenticate()`` and ``signin.flow`` do the work."""

from __future__ import annotations

import math
from functools import wraps
from http import HTTPStatus
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.passwords import password_rules
from accounts.services import user_password_set
from directory.conf import enabled as directory_enabled
from directory.selectors import directory_lock_view
from passkeys.selectors import user_has_passkey
from portal.net import client_ip
from portal.times import retry_after_seconds
from signin import browsers, conf, flow, nexts
from signin.attempt import Refusal, attempt_of
from signin.door_guard import door_guard
from signin.forms import CodeForm, ExpiredPasswordForm, SigninForm
from signin.identity import identity_resolve
from signin.lockout import refusal_check
from signin.models import Scope
from signin.selectors import lock_get
from signin.services import signin_failed

STEP_URLS = {flow.CODE: "signin:code", flow.PASSWORD: "signin:password_expired"}


# --- Sign in --------------------------------------------------------------------------------
@door_guard
@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = flow.safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method != "POST":
        if request.user.is_authenticated:
            return redirect(next_url)
        return _form_page(request, SigninForm(), next_url)
    form = SigninForm(request.POST)
    if not form.is_valid():
        if form.carries_attempt:  # refused input still counts against the client IP
            attempt_of(request).reason = "bad_input"
            signin_failed(request=request, typed=request.POST.get("username", "")[:254])
            if attempt_of(request).locked_out:
                return locked_now(request)
        return _form_page(request, form, next_url, status=HTTPStatus.BAD_REQUEST)
    user = authenticate(
        request, username=form.cleaned_data["username"], password=form.cleaned_data["password"]
    )
    if attempt_of(request).locked_out:
        return locked_now(request)
    if user is None:
        form.add_error(None, _failure_message(request))
        return _form_page(request, form, next_url)
    step = flow.password_ok(request=request, user=user, next_url=next_url)
    return _after_step(step, next_url)


def _after_step(step: str | None, next_url: str) -> HttpResponse:
    return redirect(STEP_URLS[step] if step is not None else next_url)


def _form_page(request, form, next_url, *, status=HTTPStatus.OK) -> HttpResponse:
    context = {
        "form": form,
        "next": next_url,
        "reset_url": reverse("reset:start"),
        "heading": _next_heading(next_url),
    }
    return render(request, "signin/login.html", context, status=status)


def _next_heading(next_url: str) -> str | None:
    """The heading a higher app gives this sign-in (``SIGNIN_NEXT_HEADING``, e.g. "Sign in to
    销售易 CRM" at a client's authorize step), or None."""
    path = conf.get("SIGNIN_NEXT_HEADING")
    return import_string(path)(next_url) if path else None


def _failure_message(request: HttpRequest, message: str | None = None) -> str:
    """The failure, and from the SIGNIN_WARN_FROM_FAILURE-th on, what comes next (counted as
    ``Counted.shown_number`` says: for a password, the failures typed as the same text, which
    tells an outsider nothing about which names and addresses belong to one account)."""
    message = message or _("The username or password is not right.")
    counted = attempt_of(request).counted
    if counted is None or counted.shown_number < int(conf.get("SIGNIN_WARN_FROM_FAILURE")):
        return message
    left = counted.attempts_left
    warning = ngettext(
        "%(left)d attempt left before sign-in is locked for %(minutes)d minutes.",
        "%(left)d attempts left before sign-in is locked for %(minutes)d minutes.",
        left,
    ) % {"left": left, "minutes": conf.cooloff_minutes()}
    return f"{message} {warning}"


# --- Second step and expired password -------------------------------------------------------
@door_guard
@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def code_view(request: HttpRequest) -> HttpResponse:
    pending = flow.pending_get(request)
    if pending is None or pending.step != flow.CODE:
        return _start_again(request)
    form = CodeForm(request.POST or None)
    status = HTTPStatus.OK
    if request.method == "POST" and not form.is_valid():
        status = HTTPStatus.BAD_REQUEST
    elif request.method == "POST":
        device = flow.code_check(request=request, user=pending.user, code=form.cleaned_data["code"])
        if attempt_of(request).locked_out:
            flow.pending_drop(request)
            return locked_now(request)
        if device is not None:
            step = flow.step_done(request=request, pending=pending, device=device)
            return _after_step(step, flow.safe_next(request, pending.next_url))
        form.add_error(
            "code", _failure_message(request, _("That code is not right, or it was already used."))
        )
    context = {"form": form, "has_passkey": user_has_passkey(user_id=pending.user.pk)}
    return render(request, "signin/code.html", context, status=status)


def _maintenance_guard_unless_from_admin(view):
    """The sign-in block stops the site's steps, not staff at /admin/login/ (never guarded, so an
    admin can always get in to end a notice): a forced change that began there goes on."""
    guarded = door_guard(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if flow.pending_door(request) == "admin":
            return view(request, *args, **kwargs)
        return guarded(request, *args, **kwargs)

    return wrapper


@_maintenance_guard_unless_from_admin
@sensitive_post_parameters("new_password1", "new_password2")
@csrf_protect
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def password_expired_view(request: HttpRequest) -> HttpResponse:
    pending = flow.pending_get(request)
    if pending is None or pending.step != flow.PASSWORD:
        return _start_again(request)
    form = ExpiredPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user_password_set(
                user=pending.user,
                raw_password=form.cleaned_data["new_password1"],
                reason="expired",
                request=request,
            )
        except ValidationError as exc:
            form.add_error("new_password1", exc)
        else:
            pending.user.refresh_from_db()
            messages.success(request, _("Your password was changed."))
            step = flow.step_done(request=request, pending=pending)
            return _after_step(step, flow.safe_next(request, pending.next_url))
    status = HTTPStatus.BAD_REQUEST if request.method == "POST" else HTTPStatus.OK
    context = {
        "form": form,
        "rules": password_rules(),
        "max_age": conf.get("PASSWORD_MAX_AGE_DAYS"),
    }
    return render(request, "signin/password_expired.html", context, status=status)


def _start_again(request: HttpRequest) -> HttpResponse:
    messages.info(request, _("Your sign-in took too long or was interrupted. Please start again."))
    return redirect("signin:login")


# --- Sign out -------------------------------------------------------------------------------
logout_view = auth_views.LogoutView.as_view()


# --- Locked ---------------------------------------------------------------------------------
def lockout_response(
    request: HttpRequest, original_response=None, credentials=None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the lock page for any door (site, admin, second step)."""
    refusal: Refusal | None = attempt_of(request).refusal
    if refusal is None or refusal.lock is None:
        typed = (credentials or {}).get("username") or request.POST.get("username", "")
        refusal = refusal_check(identity=identity_resolve(typed=typed), ip=client_ip(request))
    if refusal is None or refusal.lock is None:
        return redirect("signin:login")
    # Nothing is stored (no session for a client that is being refused): the page links to
    # /accounts/locked/?ref=... to look again later.
    return _lock_page(request, refusal.lock, username=refusal.identity.typed)


def locked_now(request: HttpRequest) -> HttpResponse:
    """The lock page for an attempt this request refused (any door that checks a password or
    a code)."""
    response = lockout_response(request)
    attempt_of(request).locked_out = False  # answered: axes' middleware need not render it again
    return response


@never_cache
@require_http_methods(["GET", "HEAD"])
def locked_view(request: HttpRequest) -> HttpResponse:
    """/accounts/locked/?ref=LK-XXXXX: the lock page again, or "it has ended"; without a known
    reference, the ways out in general."""
    lock = lock_get(reference=request.GET.get("ref", "")[:32])
    if lock is not None and lock.is_active():
        return _lock_page(request, lock, username="")
    next_url = nexts.next_of(request)  # the app the sign-in was for: the journey goes back there
    context = {
        "lock": lock,
        "login_url": nexts.with_next(reverse("signin:login"), next_url),
        "reset_url": nexts.with_next(reverse("reset:start"), next_url),
    }
    return render(request, "signin/unlocked.html", context)


def _directory_lock(request: HttpRequest, lock):
    """The company directory's lock on the account, shown only to a browser the account knows
    (its owner's): to anyone else the page stays the same for every name."""
    # Looked for only with a directory and a known-browser cookie: a browser without one (an
    # attacker's, usually) gets a page made by the same work for every name.
    if not directory_enabled() or not browsers.cookie_present(request):
        return None
    if lock.scope == Scope.IP or lock.user_id is None:
        return None
    if not browsers.known_browser_id(request, lock.user):
        return None
    return directory_lock_view(user=lock.user)


def _self_unlock_url(*, username: str, next_url: str) -> str:
    """The reset app's "unlock with a code" (named by a setting), or "" when it is off."""
    offered = conf.get("SIGNIN_SELF_UNLOCK_OFFERED")
    if not offered or not import_string(offered)():
        return ""
    query = ({"username": username} if username else {}) | ({"next": next_url} if next_url else {})
    return reverse("reset:unlock_start") + ("?" + urlencode(query) if query else "")


def _lock_page(request: HttpRequest, lock, *, username: str) -> HttpResponse:
    now = timezone.now()
    seconds = retry_after_seconds(lock.locked_until, now=now)
    unlock_query = {"ref": lock.reference}
    if username and lock.scope != Scope.IP:
        unlock_query = {"username": username, "ref": lock.reference}
    # The sign-in was for an app (an authorization request, checked): every way out returns there.
    next_url = nexts.next_of(request)
    if next_url:
        unlock_query["next"] = next_url
    again_query = {"ref": lock.reference} | ({"next": next_url} if next_url else {})
    context = {
        "lock": lock,
        "is_ip": lock.scope == Scope.IP,
        "username": username,
        "locked_until": lock.locked_until,
        "minutes_left": math.ceil(seconds / 60),
        "reference": lock.reference,
        "reset_url": nexts.with_next(reverse("reset:start"), next_url),
        "unlock_url": reverse("tickets:unlock") + "?" + urlencode(unlock_query),
        "login_url": nexts.with_next(reverse("signin:login"), next_url),
        "again_url": reverse("signin:locked") + "?" + urlencode(again_query),
        "directory_lock": _directory_lock(request, lock),
        "self_unlock_url": _self_unlock_url(username=username, next_url=next_url),
        # The helpdesk's temporary access pass (the access_pass app's page, by its URL name).
        "pass_url": nexts.with_next(
            reverse("access_pass:signin")
            + ("?" + urlencode({"username": username}) if username else ""),
            next_url,
        ),
    }
    response = render(request, "signin/locked.html", context, status=HTTPStatus.TOO_MANY_REQUESTS)
    response["Retry-After"] = str(seconds)
    add_never_cache_headers(response)
    return response
