"""The lock page's "I know my password: unlock with a code" (/accounts/unlock/code/...): the
reset journey's start and code pages with ``purpose="unlock"`` (``reset.unlock``). 404 when
``SELF_UNLOCK_ENABLED`` is off."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.forms import ResetStartForm
from reset import views
from reset.models import ResetFlow
from reset.outcome import Outcome
from reset.unlock import self_unlock_enabled
from signin import nexts


class _Enabled:
    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not self_unlock_enabled():
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class UnlockStartView(_Enabled, views.StartView):
    template = "reset/unlock_start.html"
    purpose = ResetFlow.Purpose.UNLOCK

    def get(self, request: HttpRequest) -> HttpResponse:
        # The lock page passes the name that was typed (as its helpdesk link does).
        typed = request.GET.get("username", "")[:254]
        return self._page(request, ResetStartForm(initial={"identifier": typed}))

    def _next(self, outcome: Outcome) -> HttpResponse:
        return redirect("reset:unlock_verify")


class UnlockVerifyView(_Enabled, views.VerifyView):
    purpose = ResetFlow.Purpose.UNLOCK

    def _passed(self, request: HttpRequest, outcome: Outcome) -> HttpResponse:
        request.session.pop(views.reset.UNLOCK_SESSION_KEY, None)
        messages.success(
            request, _("Your account is unlocked. Sign in with your password, which is unchanged.")
        )
        # Back to the app the sign-in was for (kept on the flow, checked again now).
        return redirect(
            nexts.with_next(reverse("signin:login"), nexts.next_checked(request, outcome.return_to))
        )
