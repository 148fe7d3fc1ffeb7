"""Recovery contacts on the security page (/account/contacts/...)."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import conf, contacts
from accounts.errors import ContactChangeError, WrongPassword
from accounts.forms import CodeForm, ContactForm
from accounts.masking import mask_contact, mask_email, mask_phone
from accounts.models import CodeChannel
from portal.redirects import safe_next_url


def safe_next(request: HttpRequest, default: str = "/account/") -> str:
    candidate = request.POST.get("next") or request.GET.get("next")
    return safe_next_url(request, candidate, default=default)


def _kind(request: HttpRequest) -> str:
    kind = request.POST.get("kind") or request.GET.get("kind") or CodeChannel.EMAIL
    return kind if kind in (CodeChannel.EMAIL, CodeChannel.SMS) else CodeChannel.EMAIL


@never_cache
@sensitive_post_parameters("current_password")
@login_required
def contacts_edit(request: HttpRequest) -> HttpResponse:
    user = request.user
    kind = _kind(request)
    needs_password = contacts.password_needed(user=user, kind=kind)
    form = ContactForm(
        request.POST or None, initial={"kind": kind}, password_required=needs_password
    )
    status = HTTPStatus.OK
    issue = None
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid() and form.cleaned_data.get("value"):
            try:
                issue = contacts.contact_change_start(
                    request=request,
                    user=user,
                    kind=form.cleaned_data["kind"],
                    value=form.cleaned_data["value"],
                    current_password=form.cleaned_data.get("current_password") or "",
                )
            except WrongPassword as exc:
                form.add_error("current_password", str(exc))
            except ContactChangeError as exc:
                form.add_error("value", str(exc))
            else:
                if issue.sent:
                    query = urlencode({"next": safe_next(request)})
                    return redirect(f"{reverse('accounts:contact_verify')}?{query}")
                form.add_error("value", str(issue.message))
                status = HTTPStatus.TOO_MANY_REQUESTS
    return render(
        request,
        "accounts/contacts.html",
        {
            "form": form,
            "kind": kind,
            "needs_password": needs_password,
            "email_masked": mask_email(user.email),
            "phone_masked": mask_phone(user.phone),
            "sms_regions": ", ".join(settings.SMS_ALLOWED_REGIONS),
            "next": safe_next(request),
        },
        status=status,
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def contact_verify(request: HttpRequest) -> HttpResponse:
    change = contacts.pending(request)
    if change is None:
        messages.info(request, _("There is no change waiting for a code."))
        return redirect("accounts:contacts")
    form = CodeForm(request.POST or None)
    status = HTTPStatus.OK
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid():
            try:
                kind = contacts.contact_change_confirm(
                    request=request, user=request.user, code=form.cleaned_data["code"]
                )
            except ContactChangeError as exc:
                if exc.code in ("failed", "taken"):
                    messages.error(request, str(exc))
                    return redirect("accounts:contacts")
                form.add_error("code", str(exc))
            else:
                messages.success(
                    request,
                    _("Your recovery email address is verified.")
                    if kind == CodeChannel.EMAIL
                    else _("Your recovery mobile number is verified."),
                )
                return redirect(safe_next(request))
    return render(
        request,
        "accounts/contact_verify.html",
        {
            "form": form,
            "destination": mask_contact(change["kind"], change["value"]),
            "kind": change["kind"],
            "next": safe_next(request),
        },
        status=status,
    )


@never_cache
@login_required
def contact_prompt(request: HttpRequest) -> HttpResponse:
    user = request.user
    target = safe_next(request)
    if contacts.has_verified_contact(user):
        return redirect(target)
    skips_left = max(0, conf.get("CONTACT_PROMPT_SKIPS") - user.contact_prompt_skips)
    if request.method == "POST" and request.POST.get("action") == "later":
        if contacts.contact_prompt_skip(request=request, user=user):
            return redirect(target)
        messages.error(request, _("Please add a recovery contact now."))
    return render(
        request,
        "accounts/contact_prompt.html",
        {"skips_left": skips_left, "next": target},
    )
