"""A request timeline's line in words on the agents' ticket page ("by email, to z***@corp.cn;
the caller was verified"), instead of its details as ``key: value`` pairs."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from audit.sentences import channel_words, joined, local_time

register = template.Library()

LOCK_ENDS = {
    "expired": lambda: _("the lock ran out"),
    "manual": lambda: _("an agent unlocked the account"),
    "reset": lambda: _("the password was reset"),
    "self_unlock": lambda: _("the owner unlocked it with a code"),
}


def event_words(data) -> str:
    """The known details of one ``TicketEvent`` in words; unknown ones are left out."""
    if not isinstance(data, dict):
        return ""
    parts = []
    if data.get("channel"):
        parts.append(_("by %(channel)s") % {"channel": channel_words(data["channel"])})
    if data.get("from"):
        parts.append(_("from %(who)s") % {"who": data["from"]})
    if data.get("to"):
        parts.append(_("to %(who)s") % {"who": data["to"]})
    if data.get("expires_at"):
        parts.append(_("valid until %(time)s") % {"time": local_time(data["expires_at"])})
    if "verified" in data:
        parts.append(
            _("the caller was verified") if data["verified"] else _("the caller was not verified")
        )
    if "was_locked" in data:
        parts.append(
            _("the account was locked") if data["was_locked"] else _("the account was not locked")
        )
    if data.get("locked"):
        text = _("the account locked")
        if data.get("locked_until"):
            text = _("%(text)s until %(time)s") % {
                "text": text,
                "time": local_time(data["locked_until"]),
            }
        if data.get("reference"):
            text = _("%(text)s (%(reference)s)") % {"text": text, "reference": data["reference"]}
        parts.append(text)
    how = data.get("unlocked") or data.get("how")
    if how in LOCK_ENDS:
        parts.append(LOCK_ENDS[how]())
    if data.get("reason") == "relocked":
        parts.append(_("the account locked again"))
    if data.get("automatic"):
        parts.append(_("automatically"))
    if data.get("declined_unlock"):
        parts.append(_("the unlock was declined"))
    return joined(parts) if parts else ""


register.filter("event_words", event_words)
