from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One security-relevant event: who did what to whom, when and from where.

    ``event`` is a dotted name owned by the app that writes it (``signin.failed``,
    ``reset.code_sent``, ``ticket.unlocked``...). ``subject`` keeps what was typed when no account
    matched (an unknown username), so agents can still follow an attack. Never a password, code or
    token in any field.

    ``actor`` and ``user`` are not checked by the database (``db_constraint=False``): a foreign-key
    check on insert is work done only for a row about a real account, and the refusal of a locked
    attempt writes one such row, so it answered measurably later for a real account than for an
    unknown name. Django still empties them when an account is deleted (``SET_NULL``).
    """

    created_at = models.DateTimeField(_("when"), db_index=True)
    event = models.CharField(_("event"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        db_constraint=False,
    )
    subject = models.CharField(_("subject"), max_length=150, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="audit_user_time")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.event}"
