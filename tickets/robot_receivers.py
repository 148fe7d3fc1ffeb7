"""The helpdesk robot's receivers: one line each, the work is in ``tickets.robots``."""

from __future__ import annotations

from tickets.robots import robots_ticket_new


def on_ticket_saved(sender, *, instance, created: bool = False, raw: bool = False, **kwargs):
    if created and not raw:
        robots_ticket_new(ticket=instance)
