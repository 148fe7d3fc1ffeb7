"""The self-service reset's rows: one ``ResetFlow`` per reset (its code device, an accounts
``ContactCodeDevice``, names it by id), and ``ResetBlock``, a pause after too many wrong codes.
Both tables keep the names the accounts app gave them."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import CodeChannel


class ResetFlow(models.Model):
    """One self-service password reset, bound to the browser that started it.

    The browser's session holds the flow key; only its SHA-256 sits here. A flow exists for every
    request, whether or not the typed identifier matched an account (``user`` is then empty), so
    that every step writes, counts and answers the same way for both.
    """

    class State(models.TextChoices):
        CODE_SENT = "code_sent", _("waiting for the code")
        SECOND_FACTOR = "second_factor", _("waiting for the authenticator code")
        READY = "ready", _("choosing a new password")
        DONE = "done", _("password changed")
        FAILED = "failed", _("stopped after too many wrong codes")

    class Purpose(models.TextChoices):
        RESET = "reset", _("password reset")
        UNLOCK = "unlock", _("unlock with a code (password kept)")

    key_hash = models.CharField(max_length=64, unique=True)
    identifier_key = models.CharField(_("typed identifier (keyed hash)"), max_length=64)
    typed = models.CharField(
        _("what was typed"),
        max_length=254,
        blank=True,
        help_text=_("Kept until the worker has looked the account up, then cleared."),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reset_flows",
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    purpose = models.CharField(
        _("purpose"),
        max_length=8,
        choices=Purpose.choices,
        default=Purpose.RESET,
        help_text=_("A reset ends with a new password; an unlock lifts the lock and keeps it."),
    )
    channel = models.CharField(_("channel"), max_length=8, choices=CodeChannel.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.CODE_SENT
    )
    created_at = models.DateTimeField(_("started at"))
    expires_at = models.DateTimeField(_("expires at"))
    code_expires_at = models.DateTimeField(_("code expires at"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last code sent at"), null=True, blank=True)
    sends = models.PositiveSmallIntegerField(_("codes requested"), default=0)
    dispatched = models.PositiveSmallIntegerField(_("codes handed to the outbox"), default=0)
    failures = models.PositiveSmallIntegerField(_("wrong codes"), default=0)
    verified_at = models.DateTimeField(_("code verified at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    return_to = models.CharField(
        _("returns to"),
        max_length=2048,
        blank=True,
        help_text=_(
            "Where the sign-in after this reset goes (an app's authorization request, checked "
            "when the reset started and again at the sign-in)."
        ),
    )
    known_browser = models.BooleanField(
        _("from a known browser"),
        default=False,
        help_text=_(
            "Started in a browser that signed in with what was typed: a pause after strangers' "
            "wrong codes does not stop it."
        ),
    )

    class Meta:
        # The table the accounts app created: the model moved to reset, its rows stayed.
        db_table = "accounts_resetflow"
        verbose_name = _("password reset")
        verbose_name_plural = _("password resets")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="resetflow_user_time"),
            models.Index(fields=["expires_at"], name="resetflow_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.pk} {self.state}"

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class ResetBlock(models.Model):
    """Self-service reset stopped after too many consecutive wrong codes.

    ``key`` names what is blocked: ``account:<id>`` or ``typed:<keyed hash of what was typed>``,
    so an identifier that matches nothing is blocked at the same count as a real account.
    """

    key = models.CharField(max_length=80)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reset_blocks",
    )
    created_at = models.DateTimeField(_("blocked at"))
    until = models.DateTimeField(_("blocked until"))
    failures = models.PositiveSmallIntegerField(_("consecutive wrong codes"), default=0)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        db_table = "accounts_resetblock"  # as for ResetFlow
        verbose_name = _("reset block")
        verbose_name_plural = _("reset blocks")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["key", "-until"], name="resetblock_key_until")]

    def __str__(self) -> str:
        return f"{self.key} until {self.until:%Y-%m-%d %H:%M}"

    def is_active(self, now=None) -> bool:
        return self.lifted_at is None and (now or timezone.now()) < self.until
