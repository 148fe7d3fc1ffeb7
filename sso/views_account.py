"""What the employee does about their app sign-ins on the security page (/account/)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from sso import services
from sso.models import Client


@never_cache
@require_POST
@login_required
def app_signout(request: HttpRequest, client_pk: int) -> HttpResponse:
    """ "Sign out of this app": the person's tokens at it are revoked and it is sent a
    back-channel logout; the portal session stays."""
    client = get_object_or_404(Client, pk=client_pk)
    services.app_signout(user=request.user, client=client, request=request)
    messages.success(
        request,
        _("You are signed out of %(app)s.") % {"app": str(client)},
    )
    return redirect("accounts:overview")
