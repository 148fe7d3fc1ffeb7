"""Words for states that the admin shows (kept apart so pages and lists say the same)."""

from django.utils.translation import gettext_lazy as _

from tickets import selectors

SLA_LABELS = {
    selectors.SLA_BREACHED: _("breached"),
    selectors.SLA_NEAR: _("near breach"),
    selectors.SLA_OK: _("on time"),
    selectors.SLA_PAUSED: _("paused"),
    selectors.SLA_MET: _("met"),
    selectors.SLA_MISSED: _("missed"),
}
