"""What a reset step tells the browser: an ``Outcome`` and its sentence.

Every sentence depends only on what was typed, the browser's flow and the client address, never
on whether an account matched: an unknown identifier reads exactly the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Every sentence the browser can see. The same words whatever the identifier matched.
MESSAGES = {
    "ip_limited": _(
        "Too many reset requests came from your network. Please try again after %(time)s."
    ),
    "blocked": _(
        "Self-service password reset is paused for this account after too many wrong codes, "
        "until %(time)s. A browser you have signed in with before can still use it now."
    ),
    "send_limited": _(
        "Too many codes were requested for this account. Please try again after %(time)s."
    ),
    "sms_capped": _(
        "No more text messages can be sent for this account right now. Please choose email."
    ),
    "cooldown": _("You can ask for a new code at %(time)s."),
    "no_flow": _(
        "There is no password reset in progress in this browser (or it was opened in another "
        "browser). Please start again."
    ),
    "expired": _("This password reset has expired. Please start again."),
    "failed": _("Too many wrong codes: this reset has stopped for your security. Start again."),
    "done": _("This password reset is already finished. You can sign in with your new password."),
    "too_late": _("The time to choose a new password has run out. Please start again."),
    "code_expired": _("This code has expired. Ask for a new code below."),
    "wrong_code": _("That code is not right, or it was replaced by a newer one."),
    "wrong_second": _("That authenticator code or backup code is not right."),
    "second_wait": _("Too many wrong authenticator codes. Wait a minute, then try again."),
    "already_verified": _("The code was already accepted."),
}
RESTART_ERRORS = {"no_flow", "expired", "failed", "done", "too_late"}


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str | None = None
    next_step: str | None = None  # "verify", "second_factor", "new_password", "login"
    retry_at: datetime | None = None
    tries_left: int | None = None
    return_to: str = ""  # the finished reset's checked ``next``: the sign-in after it goes there

    @property
    def restart(self) -> bool:
        return self.error in RESTART_ERRORS

    @property
    def message(self) -> str:
        if not self.error:
            return ""
        text = MESSAGES[self.error]
        if "%(time)s" in str(text):
            when = timezone.localtime(self.retry_at) if self.retry_at else timezone.localtime()
            return text % {"time": when.strftime("%H:%M")}
        return str(text)
