"""Unlock requests and their timelines.

A ticket is reached by the employee only through its status link
``/tickets/status/<token>/``, which moves the token into the browser's session at its first visit
and redirects to ``/tickets/status/``. The token is 256 bits of randomness (HMAC of a one-time form
nonce, so a double-clicked submission derives the same token and finds the same ticket); only its
SHA-256 hash is stored (``token_hash``), so a copy of the database opens no status page. Agents
never see the token.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING = "waiting", _("Waiting for the employee")
    APPROVAL = "approval", _("Waiting for a second approval")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Rejected")


OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING,
    TicketStatus.APPROVAL,
)
CLOSED_STATUSES = (TicketStatus.RESOLVED, TicketStatus.REJECTED)


class Resolution(models.TextChoices):
    UNLOCKED = "unlocked", _("Unlocked by an agent")
    LOCK_EXPIRED = "lock_expired", _("The lock ended by itself")
    PASSWORD_RESET = "password_reset", _("The employee reset the password")
    UNLOCKED_ELSEWHERE = "unlocked_elsewhere", _("Unlocked from the locked accounts list")
    ACCESS_PASS = "access_pass", _("Back in with a temporary access pass")
    SOLVED = "solved", _("Solved by an agent")
    REJECTED = "rejected", _("Rejected")


AUTO_RESOLUTIONS = (
    Resolution.LOCK_EXPIRED,
    Resolution.PASSWORD_RESET,
    Resolution.UNLOCKED_ELSEWHERE,
)


class ProblemSince(models.TextChoices):
    NOW = "now", _("Just now (less than 15 minutes ago)")
    HOUR = "hour", _("Within the last hour")
    TODAY = "today", _("Earlier today")
    YESTERDAY = "yesterday", _("Yesterday")
    DAYS = "days", _("Several days ago")


class Tried(models.TextChoices):
    """What the employee already tried: the steps the help pages suggest."""

    WAITED = "waited", _("Waited for the automatic unlock")
    RESET = "reset", _("Tried to reset the password")
    OTHER_BROWSER = "other_browser", _("Tried another browser or device")
    CLEARED_CACHE = "cleared_cache", _("Cleared the browser cache and cookies")
    NETWORK = "network", _("Checked the network connection")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")


class Ticket(models.Model):
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    resolution = models.CharField(
        _("resolution"), max_length=24, choices=Resolution.choices, blank=True
    )

    # What the employee typed, and the account it matched (if any).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="unlock_tickets",
    )
    username = models.CharField(_("username typed"), max_length=150, db_index=True)
    # The sign-in app's lock key: the account's username when known, else the name typed (both
    # case-folded), so the queue can read "locked now" in the same query and lock signals find
    # the requests of unknown names too.
    account_key = models.CharField(max_length=150, db_index=True, editable=False)
    account_unknown = models.BooleanField(
        _("no such account"),
        default=False,
        help_text=_("No account matched what was typed. The employee was not told."),
    )
    lock_reference = models.CharField(_("lock reference"), max_length=16, blank=True)
    locked_when_filed = models.BooleanField(_("locked when filed"), null=True)
    contact_given = models.CharField(_("contact given"), max_length=254, blank=True)
    contact_match = models.CharField(
        _("contact matches"),
        max_length=8,
        choices=Channel.choices,
        blank=True,
        help_text=_(
            "The contact typed in the form matches this verified contact of the account. "
            "A contact that matches nothing is never used."
        ),
    )
    receipt_channel = models.CharField(
        _("confirmation by"),
        max_length=8,
        choices=Channel.choices,
        default=Channel.EMAIL,
        help_text=_(
            "How the employee asked to be told the request arrived: email unless they chose SMS "
            "(always to the account's verified contacts)."
        ),
    )
    over_account_limit = models.BooleanField(
        _("over the account's request limit"),
        default=False,
        help_text=_(
            "More requests named this account, under any spelling, than its limit allows. "
            "Nobody is messaged about this request; whoever filed it saw the usual answer."
        ),
    )
    problem_since = models.CharField(
        _("problem began"), max_length=12, choices=ProblemSince.choices
    )
    tried = models.JSONField(_("already tried"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    not_maintenance = models.BooleanField(
        _("said it is not the maintenance"),
        default=False,
        help_text=_("A maintenance notice was active and the employee said it is not the cause."),
    )
    language = models.CharField(_("language"), max_length=10, default="", blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)

    # Handling.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_unlock_tickets",
        db_index=False,  # the (assignee, due_at, -id) index below serves every lookup
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caller verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    verified_at = models.DateTimeField(_("caller verified at"), null=True, blank=True)
    verified_how = models.CharField(
        _("caller verified by code sent by"), max_length=8, choices=Channel.choices, blank=True
    )
    unlock_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("unlock requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unlock_requested_at = models.DateTimeField(_("unlock requested at"), null=True, blank=True)
    unlock_reason = models.TextField(_("reason to unlock without verification"), blank=True)
    unlock_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("unlock approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unlock_approved_at = models.DateTimeField(_("unlock approved at"), null=True, blank=True)

    # SLA. ``due_at`` is the next deadline while open (first response, then resolution) and is
    # what the queue sorts on; it is empty while the request waits for the employee and when
    # closed.
    first_response_due = models.DateTimeField(_("first response due"))
    first_responded_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"))
    due_at = models.DateTimeField(_("next deadline"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("waiting since"), null=True, blank=True)

    created_at = models.DateTimeField(_("filed at"))
    updated_at = models.DateTimeField(_("updated at"))
    resolved_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    received_notice_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("unlock request")
        verbose_name_plural = _("unlock requests")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("unlock_account", _("Can unlock an account from an unlock request")),
            ("approve_unlock", _("Can approve another agent's unlock of a privileged account")),
        ]
        indexes = [
            # The queue's order (see TicketAdmin.ordering), alone and per status / assignee.
            models.Index(fields=["due_at", "-id"], name="ticket_queue_due"),
            models.Index(fields=["status", "due_at", "-id"], name="ticket_status_due"),
            models.Index(fields=["assignee", "due_at", "-id"], name="ticket_assignee_due"),
            models.Index(fields=["created_at", "id"], name="ticket_created"),
            models.Index(fields=["user", "created_at"], name="ticket_user_time"),
            models.Index(fields=["lock_reference"], name="ticket_lock_ref"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in CLOSED_STATUSES])
                | Q(resolved_at__isnull=True),
                name="ticket_open_has_no_close_time",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_privileged(self) -> bool:
        return bool(self.user and (self.user.is_staff or self.user.is_superuser))


class TicketSequence(models.Model):
    """The last reference number handed out per year (``UNL-<year>-<number>``)."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("reference counter")
        verbose_name_plural = _("reference counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class EventKind(models.TextChoices):
    CREATED = "created", _("Request filed")
    STATUS = "status", _("Status changed")
    MESSAGE = "message", _("Message to the employee")
    NOTE = "note", _("Internal note")
    REPLY = "reply", _("Reply from the employee")
    ASSIGNED = "assigned", _("Assigned")
    VERIFY_SENT = "verify_sent", _("Verification code sent")
    VERIFIED = "verified", _("Caller verified")
    VERIFY_FAILED = "verify_failed", _("Wrong verification code")
    UNLOCK_REQUESTED = "unlock_requested", _("Unlock waiting for approval")
    UNLOCKED = "unlocked", _("Account unlocked")
    RESET_SENT = "reset_sent", _("Password reset link sent")
    LOCK = "lock", _("Lock state changed")
    PASS_REQUESTED = "pass_requested", _("Temporary pass waiting for approval")
    PASS_APPROVED = "pass_approved", _("Temporary pass approved")
    PASS_DECLINED = "pass_declined", _("Temporary pass declined")
    PASS_ISSUED = "pass_issued", _("Temporary pass issued")
    PASS_REVOKED = "pass_revoked", _("Temporary pass revoked")
    PASS_USED = "pass_used", _("Signed in with the temporary pass")
    PASS_COMPLETED = "pass_completed", _("New sign-in method set up after the pass")


class TicketEvent(models.Model):
    """One line of a ticket's timeline. ``public`` lines show on the employee's status page."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(_("when"))
    kind = models.CharField(_("what"), max_length=20, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    public = models.BooleanField(_("shown to the employee"), default=False)
    body = models.TextField(_("text"), blank=True)
    status_from = models.CharField(max_length=16, choices=TicketStatus.choices, blank=True)
    status_to = models.CharField(max_length=16, choices=TicketStatus.choices, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("request event")
        verbose_name_plural = _("request events")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="ticketevent_ticket_time")]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"
