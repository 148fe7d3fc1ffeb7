"""Receivers of the sign-in app's lock signals and the access pass's: one line each, the work is
in the services."""

from __future__ import annotations

from django.dispatch import receiver

from access_pass.signals import pass_completed, pass_used
from tickets.services import tickets_auto_resolve, tickets_relock
from tickets.services.passes import ticket_pass_completed, ticket_pass_used


def on_account_locked(sender, *, username, user=None, reference=None, locked_until=None, **kw):
    tickets_relock(username=username, user=user, reference=reference, locked_until=locked_until)


def on_account_unlocked(sender, *, username, user=None, how="", **kwargs):
    tickets_auto_resolve(username=username, user=user, how=how)


@receiver(pass_used, dispatch_uid="tickets.pass_used")
def on_pass_used(sender, *, access_pass, **kwargs):
    ticket_pass_used(access_pass=access_pass)


@receiver(pass_completed, dispatch_uid="tickets.pass_completed")
def on_pass_completed(sender, *, access_pass, how="", **kwargs):
    ticket_pass_completed(access_pass=access_pass, how=how)
