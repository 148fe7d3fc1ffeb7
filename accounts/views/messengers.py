"""The person's messenger ids on the security page (/account/messengers/...)."""

from __future__ import annotations

from http import HTTPStatus

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts import messenger_ids
from accounts.errors import ContactChangeError
from accounts.forms import CodeForm
from accounts.masking import mask_contact
from accounts.models import CodeChannel, MessengerId


class MessengerIdForm(forms.Form):
    provider = forms.ChoiceField(label=gettext_lazy("Messenger"), choices=())
    value = forms.CharField(
        label=gettext_lazy("Your user id there"),
        max_length=64,
        help_text=gettext_lazy(
            "The account id your company's WeCom, DingTalk or Feishu admin gave you (not your "
            "display name). A code is sent there to check it."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )

    def __init__(self, *args, providers: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [(p, CodeChannel(p).label) for p in providers]


@never_cache
@login_required
def messengers_edit(request: HttpRequest) -> HttpResponse:
    providers = messenger_ids.configured_messengers()
    form = MessengerIdForm(request.POST or None, providers=providers)
    status = HTTPStatus.OK
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid():
            try:
                issue = messenger_ids.messenger_id_start(
                    request=request,
                    user=request.user,
                    provider=form.cleaned_data["provider"],
                    value=form.cleaned_data["value"],
                )
            except ContactChangeError as exc:
                form.add_error("value", str(exc))
            else:
                if issue.sent:
                    return redirect("accounts:messenger_verify")
                form.add_error("value", str(issue.message))
                status = HTTPStatus.TOO_MANY_REQUESTS
    linked = [
        {
            "provider": row.provider,
            "label": CodeChannel(row.provider).label,
            "masked": mask_contact(row.provider, row.external_id),
            "verified_at": row.verified_at,
        }
        for row in MessengerId.objects.filter(user=request.user).order_by("provider")
    ]
    return render(
        request,
        "accounts/messengers.html",
        {"form": form, "linked": linked, "providers": providers},
        status=status,
    )


@never_cache
@sensitive_post_parameters("code")
@login_required
def messenger_verify(request: HttpRequest) -> HttpResponse:
    change = messenger_ids.pending(request)
    if change is None:
        return redirect("accounts:messengers")
    form = CodeForm(request.POST or None)
    status = HTTPStatus.OK
    if request.method == "POST":
        status = HTTPStatus.BAD_REQUEST
        if form.is_valid():
            try:
                messenger_ids.messenger_id_confirm(
                    request=request, user=request.user, code=form.cleaned_data["code"]
                )
            except ContactChangeError as exc:
                if exc.code in {"failed", "taken"}:
                    messages.error(request, str(exc))
                    return redirect("accounts:messengers")
                form.add_error("code", str(exc))
            else:
                messages.success(
                    request,
                    _("Your %(messenger)s id is verified.")
                    % {"messenger": CodeChannel(change["provider"]).label},
                )
                return redirect("accounts:messengers")
    return render(
        request,
        "accounts/messenger_verify.html",
        {
            "form": form,
            "messenger": CodeChannel(change["provider"]).label,
            "destination": mask_contact(change["provider"], change["value"]),
        },
        status=status,
    )


@require_POST
@login_required
def messenger_remove(request: HttpRequest) -> HttpResponse:
    provider = request.POST.get("provider", "")
    if provider in messenger_ids.PROVIDERS and messenger_ids.messenger_id_remove(
        request=request, user=request.user, provider=provider
    ):
        messages.success(request, _("The messenger id was removed."))
    return redirect("accounts:messengers")
