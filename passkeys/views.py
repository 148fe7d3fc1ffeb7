"""The security page's passkeys (/account/passkeys/...): list, add, rename, remove. Thin: the
ceremonies' checks and every write are ``passkeys.services``'."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.errors import WrongPassword
from accounts.views.contacts import safe_next
from passkeys import ceremony, conf, selectors, services
from passkeys.errors import NotConfirmed, PasskeyRefused
from passkeys.forms import PasskeyNameForm, PasskeyRemoveForm

register_begin = login_required(ceremony.RegisterBegin.as_view())
confirm_begin = login_required(ceremony.SessionBegin.as_view())


@never_cache
@login_required
def passkeys_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "passkeys/list.html",
        {
            "passkeys": list(selectors.passkeys_of(user_id=user.pk)),
            "staff_required": user.is_staff and conf.get("SIGNIN_STAFF_PASSKEY_REQUIRED"),
            "name_max": conf.get("PASSKEYS_NAME_MAX_LENGTH"),
        },
    )


@never_cache
@login_required
def passkey_add(request: HttpRequest) -> HttpResponse:
    """The "add a passkey" page (``passkeys:register``); ``?next=`` where to go afterwards."""
    target = safe_next(request, default=reverse("passkeys:list"))
    return render(
        request,
        "passkeys/add.html",
        {
            "next": target,
            "form": PasskeyNameForm(),
            "staff_required": request.user.is_staff
            and conf.get("SIGNIN_STAFF_PASSKEY_REQUIRED")
            and not selectors.user_has_passkey(user_id=request.user.pk),
        },
    )


@never_cache
@login_required
@require_POST
def register_complete(request: HttpRequest) -> JsonResponse:
    try:
        data = ceremony.body_json(request)
        state = ceremony.state_pop(request, ceremony.REGISTER_STATE)
        if state is None:
            raise PasskeyRefused(_("This page waited too long. Please try again."), code="no_state")
        credential = data.get("credential")
        if not isinstance(credential, dict):
            raise PasskeyRefused(code="malformed_request")
        device = services.passkey_register(
            request=request,
            user=request.user,
            state=state,
            data=credential,
            name=str(data.get("name") or ""),
        )
    except PasskeyRefused as exc:
        return ceremony.refused(exc)
    messages.success(request, _("Passkey “%(name)s” added.") % {"name": device.name})
    target = safe_next(request, default=reverse("passkeys:list"))
    return JsonResponse({"id": device.pk, "redirect_url": target})


@never_cache
@login_required
@require_POST
def confirm_complete(request: HttpRequest) -> JsonResponse:
    """A passkey of the signed-in person confirms it is them (before a removal)."""
    try:
        ceremony.answer_check(request, purpose="confirm", user=request.user)
    except PasskeyRefused as exc:
        return ceremony.refused(exc)
    return JsonResponse({"confirmed": True})


@never_cache
@login_required
@require_POST
def passkey_rename(request: HttpRequest, pk: int) -> HttpResponse:
    form = PasskeyNameForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the passkey a name."))
        return redirect("passkeys:list")
    try:
        device = services.passkey_rename(
            request=request, user=request.user, passkey_id=pk, name=form.cleaned_data["name"]
        )
    except PasskeyRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Passkey renamed to “%(name)s”.") % {"name": device.name})
    return redirect("passkeys:list")


@never_cache
@sensitive_post_parameters("current_password")
@login_required
def passkey_remove(request: HttpRequest, pk: int) -> HttpResponse:
    device = selectors.passkey_of(user_id=request.user.pk, passkey_id=pk)
    if device is None:
        raise Http404
    form = PasskeyRemoveForm(request.POST if request.method == "POST" else None)
    status = HTTPStatus.OK
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid():
            try:
                services.passkey_remove(
                    request=request,
                    user=request.user,
                    passkey_id=pk,
                    password=form.cleaned_data["current_password"],
                )
            except WrongPassword as exc:
                form.add_error("current_password", str(exc))
            except (NotConfirmed, PasskeyRefused) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Passkey “%(name)s” removed.") % {"name": device.name})
                return redirect("passkeys:list")
    return render(
        request,
        "passkeys/remove.html",
        {"passkey": device, "form": form, "has_password": request.user.has_usable_password()},
        status=status,
    )
