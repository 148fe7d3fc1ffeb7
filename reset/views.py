"""Self-service password reset pages (/accounts/password/reset/...). Thin: each view reads its
form and hands over to ``reset.flow``; what to show comes back as an ``Outcome``."""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts import codes
from accounts.forms import CodeForm, NewPasswordForm, ResetStartForm, SecondFactorForm
from accounts.models import CodeChannel
from accounts.passwords import password_rules
from directory.services import reset_done_note
from portal.net import client_ip
from reset import conf
from reset import flow as reset
from reset.models import ResetFlow
from reset.outcome import Outcome
from signin import nexts

STEP_URLS = {
    "verify": "reset:verify",
    "second_factor": "reset:second_factor",
    "new_password": "reset:new",
    "login": "signin:login",
}
LIMIT_ERRORS = {"ip_limited", "blocked", "send_limited", "sms_capped", "cooldown", "second_wait"}


def _status(outcome: Outcome) -> int:
    if outcome.error in LIMIT_ERRORS:
        return HTTPStatus.TOO_MANY_REQUESTS
    return HTTPStatus.BAD_REQUEST


def restart_page(request: HttpRequest, error: str) -> HttpResponse:
    """The flow cannot go on: say why, offer to start again. Changes nothing."""
    outcome = Outcome(ok=False, error=error)
    return render(
        request,
        "reset/restart.html",
        {"message": outcome.message, "error": error},
        status=HTTPStatus.BAD_REQUEST,
    )


def _open_flow(
    request: HttpRequest, *, at: str | None = None, purpose: str = ResetFlow.Purpose.RESET
) -> tuple[ResetFlow | None, HttpResponse | None]:
    """The browser's flow, or the response that takes it elsewhere: the restart page when it
    cannot go on, a redirect to its step when it is not at ``at``."""
    flow = reset.flow_from_session(request, purpose=purpose)
    problem = reset.flow_problem(flow)
    if problem:
        return None, restart_page(request, problem)
    if at is not None and flow.state != at:
        return None, redirect(STEP_URLS[reset.step_for(flow)])
    return flow, None


def _next(outcome: Outcome) -> HttpResponse:
    return redirect(STEP_URLS.get(outcome.next_step or "verify", "reset:verify"))


sensitive = method_decorator(
    [never_cache, sensitive_post_parameters("code", "otp_token", "new_password1", "new_password2")],
    name="dispatch",
)


@sensitive
class StartView(View):
    template = "reset/start.html"
    purpose = ResetFlow.Purpose.RESET

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, ResetStartForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ResetStartForm(request.POST)
        if not form.is_valid():
            return self._page(request, form, status=HTTPStatus.BAD_REQUEST)
        outcome = reset.reset_start(
            request=request,
            identifier=form.cleaned_data["identifier"],
            channel=form.cleaned_data["channel"],
            next_url=nexts.next_of(request),
            purpose=self.purpose,
        )
        if outcome.ok:
            return self._next(outcome)
        if outcome.error == "sms_capped":
            form = ResetStartForm(
                initial={"identifier": form.cleaned_data["identifier"], "channel": "email"}
            )
        return self._page(request, form, outcome=outcome, status=_status(outcome))

    def _next(self, outcome: Outcome) -> HttpResponse:
        return _next(outcome)

    def _page(self, request, form, *, outcome: Outcome | None = None, status=HTTPStatus.OK):
        return render(
            request,
            self.template,
            {
                "form": form,
                "outcome": outcome,
                "ttl_minutes": codes.code_ttl_seconds() // 60,
                # An app's sign-in led here (the lock page's "reset"): the reset returns to it.
                "next": nexts.next_of(request),
            },
            status=status,
        )


@sensitive
class VerifyView(View):
    template = "reset/verify.html"
    purpose = ResetFlow.Purpose.RESET

    def get(self, request: HttpRequest) -> HttpResponse:
        flow, elsewhere = _open_flow(request, at=ResetFlow.State.CODE_SENT, purpose=self.purpose)
        if elsewhere:
            return elsewhere
        return self._page(request, flow, CodeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        action = request.POST.get("action", "verify")
        if action in ("resend", "resend_email", "resend_sms"):
            channel = {"resend_email": "email", "resend_sms": "sms"}.get(action)
            outcome = reset.reset_resend(request=request, channel=channel, purpose=self.purpose)
            if outcome.ok:
                messages.info(request, _("A new code is on its way. Earlier codes no longer work."))
                return redirect(request.path)
            return self._refused(request, outcome, CodeForm())
        if action == "continue":
            outcome = reset.reset_invite_accept(request=request)
            return _next(outcome) if outcome.ok else self._refused(request, outcome, CodeForm())
        form = CodeForm(request.POST)
        if not form.is_valid():
            flow, elsewhere = _open_flow(request, purpose=self.purpose)
            if elsewhere:
                return elsewhere
            return self._page(request, flow, form, status=HTTPStatus.BAD_REQUEST)
        outcome = reset.reset_verify(
            flow_key=reset.flow_key_from_session(request, self.purpose),
            code=form.cleaned_data["code"],
            ip=client_ip(request),
            request=request,
        )
        if outcome.ok:
            return self._passed(request, outcome)
        if outcome.error == "already_verified":
            return _next(outcome)
        return self._refused(request, outcome, form)

    def _passed(self, request: HttpRequest, outcome: Outcome) -> HttpResponse:
        return _next(outcome)

    def _refused(self, request, outcome: Outcome, form) -> HttpResponse:
        if outcome.restart:
            return restart_page(request, outcome.error)
        if outcome.error == "already_verified":
            return _next(outcome)
        flow = reset.flow_from_session(request, purpose=self.purpose)
        if flow is None:
            return restart_page(request, "no_flow")
        return self._page(request, flow, form, outcome=outcome, status=_status(outcome))

    def _page(self, request, flow, form, *, outcome: Outcome | None = None, status=HTTPStatus.OK):
        invited = bool(flow.started_by_id)
        return render(
            request,
            "reset/invite.html" if invited else self.template,
            {
                "form": form,
                "flow": flow,
                "outcome": outcome,
                "channel_label": CodeChannel(flow.channel).label,
                "other_channel": "sms" if flow.channel == "email" else "email",
                "ttl_minutes": codes.code_ttl_seconds() // 60,
                "cooldown_seconds": codes.resend_cooldown_seconds(),
                "next": flow.return_to,
                "unlock": flow.purpose == ResetFlow.Purpose.UNLOCK,
            },
            status=status,
        )


@sensitive
class SecondFactorView(View):
    template = "reset/second_factor.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        _flow, elsewhere = _open_flow(request, at=ResetFlow.State.SECOND_FACTOR)
        if elsewhere:
            return elsewhere
        return render(request, self.template, {"form": SecondFactorForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SecondFactorForm(request.POST)
        if not form.is_valid():
            _flow, elsewhere = _open_flow(request)
            if elsewhere:
                return elsewhere
            return render(request, self.template, {"form": form}, status=HTTPStatus.BAD_REQUEST)
        outcome = reset.reset_second_factor(request=request, token=form.cleaned_data["otp_token"])
        if outcome.ok or outcome.error == "already_verified":
            return _next(outcome)
        if outcome.restart:
            return restart_page(request, outcome.error)
        return render(
            request,
            self.template,
            {"form": SecondFactorForm(), "outcome": outcome},
            status=_status(outcome),
        )


@sensitive
class NewPasswordView(View):
    template = "reset/new_password.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        _flow, elsewhere = _open_flow(request, at=ResetFlow.State.READY)
        if elsewhere:
            return elsewhere
        return self._page(request, NewPasswordForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = NewPasswordForm(request.POST)
        if not form.is_valid():
            _flow, elsewhere = _open_flow(request)
            if elsewhere:
                return elsewhere
            return self._page(request, form, status=HTTPStatus.BAD_REQUEST)
        try:
            outcome = reset.reset_complete(
                request=request, new_password=form.cleaned_data["new_password1"]
            )
        except ValidationError as exc:
            form.add_error("new_password1", exc)
            return self._page(request, form, status=HTTPStatus.BAD_REQUEST)
        if not outcome.ok:
            if outcome.restart:
                return restart_page(request, outcome.error)
            return _next(outcome)
        if request.user.is_authenticated:
            logout(request)
        messages.success(
            request,
            _(
                "Your password was changed and every session of your account was signed out. "
                "Sign in with your new password."
            ),
        )
        note = reset_done_note()
        if note:
            messages.info(request, note)
        # The reset began on the way to an app (its checked ``next``, kept on the flow): the
        # sign-in goes on there. Checked again: the client may have been removed meanwhile.
        return redirect(
            nexts.with_next(reverse("signin:login"), nexts.next_checked(request, outcome.return_to))
        )

    def _page(self, request, form, *, status=HTTPStatus.OK):
        return render(
            request,
            self.template,
            {
                "form": form,
                "rules": password_rules(),
                "minutes_left": conf.get("RESET_NEW_PASSWORD_SECONDS") // 60,
            },
            status=status,
        )


@method_decorator(never_cache, name="dispatch")
class LinkView(View):
    """An agent's reset link: the token moves into this browser's session, then a redirect to a
    URL without it (so it never leaks through Referer or history). Opening it changes nothing
    else, so a mail scanner that fetches links cannot use it up."""

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        if not 20 <= len(token) <= 100:
            return restart_page(request, "no_flow")
        flow = reset.flow_by_key(token)
        problem = reset.flow_problem(flow)
        if problem:
            return restart_page(request, problem)
        if not flow.started_by_id:
            return restart_page(request, "no_flow")
        request.session[reset.SESSION_KEY] = token
        return redirect("reset:verify")
