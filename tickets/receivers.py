"""Receivers of the sign-in app's lock signals: one line each, the work is in the services."""

from __future__ import annotations

from tickets.services import tickets_auto_resolve, tickets_relock


def on_account_locked(sender, *, username, user=None, reference=None, locked_until=None, **kw):
    tickets_relock(username=username, user=user, reference=reference, locked_until=locked_until)


def on_account_unlocked(sender, *, username, user=None, how="", **kwargs):
    tickets_auto_resolve(username=username, user=user, how=how)
