"""Failure counters and locks.

django-axes keeps its own records (``AccessAttempt`` per username, IP and browser, ``AccessLog``
per sign-in); our handler writes those too. The lockout *decision* rests on the two models here,
because the policy needs what axes cannot express: one counter per account for unknown browsers and
one per known browser, a per-IP counter across usernames, locks with a fixed end, a reference and a
history (doubling on recurrence).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    ACCOUNT = "account", _("account")
    BROWSER = "browser", _("known browser of an account")
    IP = "ip", _("IP address")


# A counter of the failures typed as one text (``signin.typed_counter``): it never locks, only the
# page's "attempts left" reads it.
TYPED = "typed"


class UnlockHow(models.TextChoices):
    EXPIRED = "expired", _("ran out")
    MANUAL = "manual", _("unlocked by an agent")
    RESET = "reset", _("password reset")
    SELF_UNLOCK = "self_unlock", _("unlocked by its owner with a code")


class Lock(models.Model):
    """One lock: an account (for browsers it does not know), one known browser of an account, or
    a client IP. Its end is fixed when it starts; attempts during the lock never move it."""

    reference = models.CharField(_("reference"), max_length=8, unique=True)
    scope = models.CharField(_("what is locked"), max_length=8, choices=Scope.choices)
    key = models.CharField(_("account key"), max_length=255, db_index=True)
    username = models.CharField(_("typed username"), max_length=255, blank=True)
    # What was typed, normalised as a counter key is: an attempt typing it again while the lock
    # holds is refused from this row (signin.refusals), account or not.
    typed_key = models.CharField(max_length=255, blank=True, default="", db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signin_locks",
    )
    browser = models.CharField(_("browser ID"), max_length=32, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    locked_at = models.DateTimeField(_("locked since"))
    locked_until = models.DateTimeField(_("locked until"))
    minutes = models.PositiveIntegerField(_("length in minutes"))
    failures = models.PositiveIntegerField(_("failures"))
    sources = models.JSONField(_("IPs and browsers involved"), default=list, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_how = models.CharField(
        _("how it ended"), max_length=16, choices=UnlockHow.choices, blank=True
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("unlocked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    notified_at = models.DateTimeField(_("owner notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("locked account")
        verbose_name_plural = _("locked accounts")
        ordering = ["-locked_at", "-id"]
        indexes = [
            models.Index(fields=["ended_at", "locked_until"], name="signin_lock_open"),
            models.Index(fields=["user", "-locked_at"], name="signin_lock_user"),
        ]
        permissions = [("unlock_account", _("Can unlock locked accounts"))]

    def __str__(self) -> str:
        return f"{self.reference} {self.scope} {self.key}"

    def is_active(self, now=None) -> bool:
        now = now or timezone.now()
        return self.ended_at is None and self.locked_until > now


class FailureCounter(models.Model):
    """Consecutive failures of one account (unknown browsers), one known browser of an account,
    one client IP, or one typed text (``TYPED``, for the warning only). Rows are updated under
    ``select_for_update`` or by one conditional statement; see ``signin.lockout``."""

    scope = models.CharField(
        max_length=8, choices=[*Scope.choices, (TYPED, _("what was typed (warning only)"))]
    )
    key = models.CharField(max_length=255)
    browser = models.CharField(max_length=32, blank=True, default="")
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    lock = models.ForeignKey(
        Lock, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    locked_until = models.DateTimeField(null=True, blank=True)
    last_lock_minutes = models.PositiveIntegerField(default=0)
    last_lock_ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("failure counter")
        verbose_name_plural = _("failure counters")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key", "browser"], name="signin_counter_unique"
            )
        ]
        indexes = [models.Index(fields=["key"], name="signin_counter_key")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key} {self.browser} = {self.failures}"


class ExpiryReminder(models.Model):
    """A password-expiry reminder that went out, so each is sent once per password."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    password_set_at = models.DateTimeField()
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField()

    class Meta:
        verbose_name = _("password expiry reminder")
        verbose_name_plural = _("password expiry reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "password_set_at", "days_before"], name="signin_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} -{self.days_before}d"


class UserSession(models.Model):
    """One signed-in browser session of a user, so a user can see and end them and a password
    change can end every other one. The session data itself stays in Django's session store."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_sessions"
    )
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("signed in at"))
    last_seen_at = models.DateTimeField(_("last seen"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    known_browser = models.BooleanField(_("known browser"), default=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        # The table the accounts app created: the model moved to sign-in, its rows stayed.
        db_table = "accounts_usersession"
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "ended_at"], name="usersession_user_open")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"
