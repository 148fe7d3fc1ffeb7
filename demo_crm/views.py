"""The demo CRM's pages: home (who is signed in, the claims), sign-in (to the portal's authorize
endpoint), the callback, sign-out (RP-initiated logout) and the back-channel logout endpoint.
Its state lives in its own server-side sessions (demo_crm.store) under its own cookie."""

from __future__ import annotations

import logging
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from demo_crm import conf, oidc, store

logger = logging.getLogger(__name__)


def _base_url(request: HttpRequest) -> str:
    """The portal, at the address this browser used (the demo CRM and the portal are one
    server here; a real app would be configured with the issuer)."""
    return f"{request.scheme}://{request.get_host()}"


def _cookie_key(request: HttpRequest) -> str | None:
    return request.COOKIES.get(conf.get("DEMO_CRM_COOKIE"))


def _with_cookie(request: HttpRequest, response: HttpResponse, key: str | None) -> HttpResponse:
    name = conf.get("DEMO_CRM_COOKIE")
    path = reverse("demo_crm:home")
    if key is None:
        response.delete_cookie(name, path=path, samesite="Lax")
    else:
        response.set_cookie(
            name,
            key,
            max_age=int(conf.get("DEMO_CRM_SESSION_SECONDS")),
            path=path,
            secure=request.is_secure(),
            httponly=True,
            samesite="Lax",
        )
    return response


@never_cache
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    session = store.session_read(key=_cookie_key(request))
    user = session.get("user")
    context = {"person": user}
    if user:
        info = user.get("userinfo") or {}
        context["display_name"] = (
            info.get("name") or info.get("preferred_username") or user.get("sub")
        )
        context["id_token_claims"] = sorted((user.get("id_token_claims") or {}).items())
        context["userinfo_claims"] = sorted(info.items())
    return render(request, "demo_crm/home.html", context)


@never_cache
@require_GET
def sign_in(request: HttpRequest) -> HttpResponse:
    try:
        provider = oidc.provider_discover(base_url=_base_url(request))
    except oidc.SignInError as exc:
        return _failed(request, exc)
    url, pending = oidc.authorization_start(
        provider=provider, redirect_uri=request.build_absolute_uri(reverse("demo_crm:callback"))
    )
    key = _cookie_key(request)
    session = store.session_read(key=key)
    session["pending"] = pending
    key = store.session_write(key=key, data=session)
    return _with_cookie(request, HttpResponseRedirect(url), key)


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    old_key = _cookie_key(request)
    session = store.session_read(key=old_key)
    pending = session.pop("pending", None)
    try:
        provider = oidc.provider_discover(base_url=_base_url(request))
        user = oidc.sign_in_complete(provider=provider, pending=pending, params=request.GET)
    except oidc.SignInError as exc:
        if old_key:
            store.session_write(key=old_key, data=session)
        return _failed(request, exc)
    # A new session key at sign-in (never the one the browser had before).
    store.session_delete(key=old_key)
    key = store.session_write(key=None, data={"user": user})
    store.session_index(key=key, sid=user["sid"], sub=user["sub"])
    logger.info("demo_crm: signed in")
    return _with_cookie(request, HttpResponseRedirect(reverse("demo_crm:home")), key)


@never_cache
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    """End the demo CRM's session, then RP-initiated logout at the portal (its session ends and
    the person's tokens are revoked), back to the demo CRM's home."""
    key = _cookie_key(request)
    user = store.session_read(key=key).get("user")
    store.session_delete(key=key)
    target = reverse("demo_crm:home")
    if user and user.get("id_token"):
        try:
            provider = oidc.provider_discover(base_url=_base_url(request))
        except oidc.SignInError:
            provider = None
        if provider is not None and provider.end_session_endpoint:
            target = oidc.logout_url(
                provider=provider,
                id_token=user["id_token"],
                post_logout_redirect_uri=request.build_absolute_uri(reverse("demo_crm:home")),
            )
    return _with_cookie(request, HttpResponseRedirect(target), None)


@csrf_exempt
@require_POST
def backchannel_logout(request: HttpRequest) -> HttpResponse:
    """OpenID Connect Back-Channel Logout 1.0: the portal POSTs ``logout_token``; a valid one ends
    this demo CRM's sessions of its ``sid`` (or of its ``sub``). 200, or 400 for a bad token."""
    token = request.POST.get("logout_token", "")
    try:
        provider = oidc.provider_discover(base_url=_base_url(request))
        claims = oidc.logout_token_verify(provider=provider, token=token)
    except oidc.SignInError as exc:
        logger.info("demo_crm: logout token refused: %s", exc)
        response = HttpResponse(status=HTTPStatus.BAD_REQUEST)
    else:
        ended = store.sessions_end(sid=claims.get("sid"), sub=claims.get("sub"))
        logger.info("demo_crm: back-channel logout ended %d session(s)", ended)
        response = HttpResponse(status=HTTPStatus.OK)
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store"
    return response


def _failed(request: HttpRequest, exc: oidc.SignInError) -> HttpResponse:
    logger.info("demo_crm: sign-in failed: %s", exc)
    return render(
        request, "demo_crm/failed.html", {"reason": str(exc)}, status=HTTPStatus.BAD_REQUEST
    )
