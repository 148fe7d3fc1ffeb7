from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Unlock tickets")

    def ready(self) -> None:
        # Imported in ready(): the receivers and checks need the models loaded.
        from signin import signals
        from tickets import checks, receivers  # noqa: F401 (checks register themselves)

        signals.account_locked.connect(receivers.on_account_locked, dispatch_uid="tickets.locked")
        signals.account_unlocked.connect(
            receivers.on_account_unlocked, dispatch_uid="tickets.unlocked"
        )
        # The helpdesk group's robot hears of each new unlock request (docs/messengers.md).
        from django.db.models.signals import post_save

        # Imported in ready(): the receiver and the sender are models' modules.
        from tickets import robot_receivers
        from tickets.models import Ticket

        post_save.connect(
            robot_receivers.on_ticket_saved, sender=Ticket, dispatch_uid="tickets.robot"
        )
        # The admin's home page is the agents' desk (tickets.desk) above the list of models.
        from django.contrib import admin

        admin.site.index_template = "admin/tickets/index.html"
