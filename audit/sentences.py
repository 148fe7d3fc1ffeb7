"""Audit rows as sentences for agents: "5th wrong password at the site sign-in, from 10.2.3.4,
Chrome 156 on Windows, an unknown browser" instead of ``key: value`` pairs.

One phrase builder per event kind reads the row's details it knows; the common tail adds the IP,
the browser in words (``portal.browsers.summary``), whether the browser was one the account knows,
and the agent who acted. Only named details are ever read, and audit rows hold no secrets
(``audit.services`` refuses them); contacts in them are already masked. An event without a
builder reads as its label (``audit.labels``). Everything is in the active language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import reduce
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from audit.labels import event_label
from portal.browsers import summary


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th... (第 1 次... in Chinese)."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    forms = {"st": _("%(n)dst"), "nd": _("%(n)dnd"), "rd": _("%(n)drd"), "th": _("%(n)dth")}
    return forms[suffix] % {"n": n}


def _door(data: Mapping) -> str:
    return {
        "site": _("at the site sign-in"),
        "admin": _("at the admin sign-in"),
    }.get(str(data.get("door") or ""), _("at sign-in"))


def local_time(value: Any) -> str:
    """An ISO time of the details in local time (``2026-11-24 18:00``), or '' if not one."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M")


def _number(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def channel_words(value: Any) -> str:
    return {
        "email": _("email"),
        "sms": _("text message"),
        "wecom": _("WeCom"),
        "dingtalk": _("DingTalk"),
        "feishu": _("Feishu"),
    }.get(str(value or ""), str(value or ""))


def _code(purpose: Any) -> str:
    return {
        "reset": _("Reset code"),
        "unlock": _("Unlock code"),
        "contact_verify": _("Contact check code"),
        "messenger_verify": _("Messenger check code"),
        "caller_verify": _("Caller check code"),
    }.get(str(purpose or ""), _("Code"))


# --- Sign-in ----------------------------------------------------------------------------------
FAILURE_REASONS = {
    "no_password": lambda: _("the account has no password here"),
    "inactive": lambda: _("the account is switched off"),
    "bad_input": lambda: _("unusable input"),
    "bad_code": lambda: _("wrong two-step code"),
    "unknown_account": lambda: _("no such account"),
    "locked": lambda: _("locked"),
    "directory_unavailable": lambda: _("the company directory did not answer"),
    "directory_gone": lambda: _("the company directory no longer has the account"),
    "directory_conflict": lambda: _("the account conflicts with the company directory"),
}


def _signin_failed(data: Mapping) -> str:
    n, door, reason = _number(data.get("failure")), _door(data), str(data.get("reason") or "")
    if reason == "bad_password":
        if n:
            return _("%(nth)s wrong password %(door)s") % {"nth": ordinal(n), "door": door}
        return _("Wrong password %(door)s") % {"door": door}
    why = FAILURE_REASONS.get(reason)
    if n:
        text = _("%(nth)s failed sign-in %(door)s") % {"nth": ordinal(n), "door": door}
    else:
        text = _("Failed sign-in %(door)s") % {"door": door}
    return _("%(text)s: %(why)s") % {"text": text, "why": why()} if why else text


def _signin_succeeded(data: Mapping) -> str:
    step = {
        "totp": _("with an authenticator code"),
        "backup_code": _("with a backup code"),
        "passkey": _("with a passkey"),
    }.get(str(data.get("second_step") or ""))
    text = _("Signed in %(door)s") % {"door": _door(data)}
    return _("%(text)s %(how)s") % {"text": text, "how": step} if step else text


def _signin_refused(data: Mapping) -> str:
    until, ref = local_time(data.get("locked_until")), str(data.get("reference") or "")
    if data.get("scope") == "ip":
        text = _("Sign-in refused %(door)s: the IP address is blocked") % {"door": _door(data)}
    else:
        text = _("Sign-in refused %(door)s: the account is locked") % {"door": _door(data)}
    if until:
        text = _("%(text)s until %(until)s") % {"text": text, "until": until}
    return _("%(text)s (%(reference)s)") % {"text": text, "reference": ref} if ref else text


def _signin_locked(data: Mapping) -> str:
    failures, minutes = _number(data.get("failures")), _number(data.get("minutes"))
    what = {
        "browser": _("One known browser of the account locked"),
        "ip": _("IP address blocked"),
    }.get(str(data.get("scope") or ""), _("Account locked"))
    text = ngettext(
        "%(what)s for %(minutes)d minute",
        "%(what)s for %(minutes)d minutes",
        minutes,
    ) % {"what": what, "minutes": minutes}
    if failures:
        text = ngettext(
            "%(text)s after %(n)d failure", "%(text)s after %(n)d failures", failures
        ) % {"text": text, "n": failures}
    until = local_time(data.get("locked_until"))
    if until:
        text = _("%(text)s, until %(until)s") % {"text": text, "until": until}
    ref = str(data.get("reference") or "")
    return _("%(text)s (%(reference)s)") % {"text": text, "reference": ref} if ref else text


def _signin_unlocked(data: Mapping) -> str:
    refs = ", ".join(str(r) for r in data.get("references") or [])
    text = {
        "manual": _("Unlocked by the helpdesk"),
        "reset": _("Lock lifted by a password reset"),
        "self_unlock": _("Unlocked by the owner with a code"),
    }.get(str(data.get("how") or ""), _("Account unlocked"))
    if refs:
        text = _("%(text)s (%(reference)s)") % {"text": text, "reference": refs}
    return _with_reason(text, data)


def _with_reason(text: str, data: Mapping) -> str:
    reason = str(data.get("reason") or "").strip()
    if not reason:
        return text
    return _("%(text)s; reason: “%(reason)s”") % {"text": text, "reason": reason[:200]}


def _lock_ran_out(data: Mapping) -> str:
    return _("Lock %(reference)s ran out") % {"reference": data.get("reference") or "?"}


def _ip_unblocked(data: Mapping) -> str:
    text = _("IP block %(reference)s lifted") % {"reference": data.get("reference") or "?"}
    return _with_reason(text, data)


def _lock_storm(data: Mapping) -> str:
    n = _number(data.get("accounts"))
    return ngettext(
        "Lock storm: %(n)d account locked from %(network)s within %(minutes)s minutes",
        "Lock storm: %(n)d accounts locked from %(network)s within %(minutes)s minutes",
        n,
    ) % {"n": n, "network": data.get("network") or "?", "minutes": data.get("minutes") or "?"}


# --- Codes and resets -------------------------------------------------------------------------
CODE_REFUSALS = {
    "no_contact": lambda: _("no verified contact"),
    "inactive": lambda: _("the account is switched off"),
    "cooldown": lambda: _("one was sent a moment ago"),
    "rate_limited": lambda: _("too many were asked for"),
    "sms_capped": lambda: _("the text message limit is reached"),
    "sms_region": lambda: _("the number's country or region is not served"),
    "sms_blocked": lambda: _("the number is blocked by the limits"),
    "undeliverable": lambda: _("the address cannot receive it"),
    "messenger_blocked": lambda: _("the messenger limit is reached"),
}


def _code_sent(data: Mapping) -> str:
    text = _("%(code)s sent by %(channel)s") % {
        "code": _code(data.get("purpose")),
        "channel": channel_words(data.get("channel")),
    }
    if data.get("to"):
        text = _("%(text)s to %(to)s") % {"text": text, "to": data["to"]}
    sends = _number(data.get("sends"))
    if sends > 1:
        text = _("%(text)s (the %(nth)s send)") % {"text": text, "nth": ordinal(sends)}
    return text


def _code_refused(data: Mapping) -> str:
    text = _("%(code)s not sent by %(channel)s") % {
        "code": _code(data.get("purpose")),
        "channel": channel_words(data.get("channel")),
    }
    why = CODE_REFUSALS.get(str(data.get("reason") or ""))
    return _("%(text)s: %(why)s") % {"text": text, "why": why()} if why else text


def _code_failed(data: Mapping) -> str:
    code, reason = _code(data.get("purpose")), str(data.get("reason") or "")
    if reason == "too_many_tries":
        return _("%(code)s refused: too many wrong tries") % {"code": code}
    if reason == "no_code":
        return _("%(code)s typed, but none was sent") % {"code": code}
    return _tries_left(_("Wrong %(code)s") % {"code": code.lower()}, data)


def _tries_left(text: str, data: Mapping) -> str:
    if "tries_left" not in data:
        return text
    left = _number(data.get("tries_left"))
    return ngettext("%(text)s, %(n)d try left", "%(text)s, %(n)d tries left", left) % {
        "text": text,
        "n": left,
    }


def _by_channel(label: Callable[[], str]) -> Callable[[Mapping], str]:
    def build(data: Mapping) -> str:
        if not data.get("channel"):
            return label()
        return _("%(text)s by %(channel)s") % {
            "text": label(),
            "channel": channel_words(data.get("channel")),
        }

    return build


def _reset_withheld(data: Mapping) -> str:
    if data.get("reason") == "not_locked":
        return _("Unlock code not sent: the account is not locked")
    return _("Reset code not sent: self-service reset is paused for this account")


def _reset_completed(data: Mapping) -> str:
    if data.get("invited_by"):
        return _("Password reset completed, from a helpdesk link")
    return _("Password reset completed")


def _reset_blocked(data: Mapping) -> str:
    n = _number(data.get("failures"))
    return ngettext(
        "Self-service reset paused after %(n)d wrong code",
        "Self-service reset paused after %(n)d wrong codes",
        n,
    ) % {"n": n}


def _sent_to(label: Callable[[], str]) -> Callable[[Mapping], str]:
    def build(data: Mapping) -> str:
        text = _by_channel(label)(data)
        if data.get("to"):
            text = _("%(text)s to %(to)s") % {"text": text, "to": data["to"]}
        return text

    return build


# --- Contacts, messages, apps, requests -------------------------------------------------------
def _contact_changed(data: Mapping) -> str:
    kind = channel_words("sms" if data.get("kind") == "phone" else data.get("kind"))
    if data.get("from"):
        return _("Recovery %(kind)s changed from %(old)s to %(new)s") % {
            "kind": kind,
            "old": data["from"],
            "new": data.get("to") or "?",
        }
    return _("Recovery %(kind)s set to %(new)s") % {"kind": kind, "new": data.get("to") or "?"}


def _message_failed(data: Mapping) -> str:
    attempts = _number(data.get("attempts"))
    text = ngettext(
        "A %(channel)s could not be delivered after %(n)d attempt",
        "A %(channel)s could not be delivered after %(n)d attempts",
        attempts,
    ) % {"channel": channel_words(data.get("channel")), "n": attempts}
    error = str(data.get("error") or "").strip()
    return _("%(text)s: %(why)s") % {"text": text, "why": error[:120]} if error else text


def _app(label: Callable[[], str]) -> Callable[[Mapping], str]:
    def build(data: Mapping) -> str:
        client = str(data.get("client") or "")
        if not client or client == "*":
            return label()
        return _("%(text)s (%(app)s)") % {"text": label(), "app": client}

    return build


def _ticket(label: Callable[[], str]) -> Callable[[Mapping], str]:
    def build(data: Mapping) -> str:
        text = label()
        if data.get("channel"):
            text = _("%(text)s by %(channel)s") % {
                "text": text,
                "channel": channel_words(data["channel"]),
            }
        if data.get("reference"):
            text = _("%(text)s (%(reference)s)") % {"text": text, "reference": data["reference"]}
        return _with_reason(text, data)

    return build


SENTENCES: dict[str, Callable[[Mapping], str]] = {
    "signin.failed": _signin_failed,
    "signin.succeeded": _signin_succeeded,
    "signin.refused": _signin_refused,
    "signin.locked": _signin_locked,
    "signin.ip_blocked": _signin_locked,
    "signin.unlocked": _signin_unlocked,
    "signin.lock_storm": _lock_storm,
    "signin.auto_unlocked": _lock_ran_out,
    "signin.ip_unblocked": _ip_unblocked,
    "code.sent": _code_sent,
    "code.refused": _code_refused,
    "code.failed": _code_failed,
    "code.verified": lambda data: _("%(code)s accepted") % {"code": _code(data.get("purpose"))},
    "reset.requested": lambda data: (
        _("Password reset asked for, with a code by %(channel)s")
        % {"channel": channel_words(data.get("channel"))}
    ),
    "reset.resend_requested": _by_channel(lambda: _("Reset code asked for again")),
    "reset.code_failed": lambda data: _tries_left(_("Wrong reset code"), data),
    "reset.code_withheld": _reset_withheld,
    "reset.completed": _reset_completed,
    "reset.blocked": _reset_blocked,
    "reset.self_unlocked": lambda data: (
        _("Unlocked by the owner with a code sent by %(channel)s; the password is kept")
        % {"channel": channel_words(data.get("channel"))}
    ),
    "reset.invite_sent": _sent_to(lambda: _("Reset link sent by the helpdesk")),
    "contact.changed": _contact_changed,
    "contact.code_failed": lambda data: _tries_left(_("Wrong contact check code"), data),
    "messenger.code_failed": lambda data: _tries_left(_("Wrong messenger check code"), data),
    "messaging.failed": _message_failed,
    "sso.token_issued": _app(lambda: _("Signed in to an app")),
    "sso.token_revoked": _app(lambda: _("App sign-in ended: tokens revoked")),
    "sso.agent_signout": _app(lambda: _("Signed out of apps by an agent")),
    "sso.logout_sent": _app(lambda: _("App told of the sign-out")),
    "sso.logout_failed": _app(lambda: _("App could not be told of the sign-out")),
}
for _event in (
    "ticket.created",
    "ticket.caller_verified",
    "ticket.verify_failed",
    "ticket.verify_code_sent",
    "ticket.unlocked",
    "ticket.unlock_requested",
    "ticket.unlock_declined",
    "ticket.reset_link_sent",
    "ticket.rejected",
    "ticket.reopened",
    "ticket.resolved",
    "ticket.auto_resolved",
    "ticket.claimed",
    "ticket.assigned",
):
    SENTENCES[_event] = _ticket(lambda event=_event: event_label(event))

KNOWN_BROWSER_EVENTS = ("signin.failed", "signin.succeeded")


def event_sentence(row: Any) -> str:
    """One audit row (``AuditEvent``) in words: what, where from, with what, by whom."""
    data = row.data if isinstance(row.data, dict) else {}
    build = SENTENCES.get(row.event)
    parts = [build(data) if build else event_label(row.event)]
    if row.ip:
        parts.append(_("from %(ip)s") % {"ip": row.ip})
    if row.user_agent:
        parts.append(summary(row.user_agent))
    if row.event in KNOWN_BROWSER_EVENTS and "known_browser" in data:
        parts.append(_("a known browser") if data["known_browser"] else _("an unknown browser"))
    if row.actor_id and row.actor_id != row.user_id and row.actor is not None:
        parts.append(_("by %(agent)s") % {"agent": row.actor.get_username()})
    return joined(parts)


def joined(parts: list[str]) -> str:
    """Parts of one sentence, comma-separated ("，" in Chinese)."""
    return reduce(lambda text, more: _("%(text)s, %(more)s") % {"text": text, "more": more}, parts)
