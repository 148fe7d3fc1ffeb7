import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from messaging.recipients import mask_recipient


class OutboxMessage(models.Model):
    """One email or SMS, written in the transaction of the change it reports and delivered by a
    worker after commit. The row is the source of truth: the task only carries its id.

    Life cycle: ``queued`` → ``sending`` (claimed by exactly one worker) → ``sent``; a transient
    provider error puts it back to ``queued`` with a later ``next_attempt_at``; a permanent one or
    too many attempts end it ``failed``; content past ``expires_at`` ends it ``expired``. Secret
    content (a code, a link token) is wiped once sent or expired; the metadata stays.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("email")
        SMS = "sms", _("SMS")
        # A form POST to a server (an app's back-channel logout URI); the body is built at each
        # attempt by the kind's builder (``MESSAGING_HTTP_BODIES``), never stored.
        HTTP = "http", _("HTTP POST")
        # One person on a messenger (messaging/messengers/): the recipient is their user id
        # there, which accounts verifies before anything but its code goes to it.
        WECOM = "wecom", _("WeCom")
        DINGTALK = "dingtalk", _("DingTalk")
        FEISHU = "feishu", _("Feishu")
        # A group robot (``Robot``); the recipient is the robot's id. Never a code.
        ROBOT = "robot", _("group robot")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        EXPIRED = "expired", _("expired")

    reference = models.UUIDField(_("reference"), default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="outbox_messages",
    )
    recipient = models.CharField(_("recipient"), max_length=254)
    language = models.CharField(_("language"), max_length=10)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    params = models.JSONField(_("template parameters"), default=dict, blank=True)
    secret = models.BooleanField(
        _("holds a secret"),
        default=False,
        help_text=_("The content holds a code or a link token; it is wiped once sent or expired."),
    )
    spend_pending = models.CharField(
        _("caps counted at delivery"),
        max_length=16,
        blank=True,
        help_text=_(
            "The priority whose SMS or messenger caps are still to be counted: the caps' store "
            "did not answer when the message was queued, so they are counted before it goes."
        ),
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    provider_message_id = models.CharField(_("provider message ID"), max_length=128, blank=True)
    idempotency_key = models.CharField(
        _("idempotency key"), max_length=128, null=True, blank=True, unique=True
    )
    created_at = models.DateTimeField(_("created"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))
    next_attempt_at = models.DateTimeField(_("next attempt"))
    claimed_at = models.DateTimeField(_("claimed"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    wiped_at = models.DateTimeField(_("content wiped"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox messages")
        ordering = ["-created_at", "-id"]
        permissions = [("retry_outboxmessage", _("Can retry a failed message"))]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_due"),
            models.Index(fields=["user", "-created_at"], name="outbox_user_time"),
            models.Index(
                fields=["expires_at"],
                condition=Q(secret=True, wiped_at__isnull=True),
                name="outbox_secret_unwiped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} #{self.pk} ({self.status})"

    @property
    def masked_recipient(self) -> str:
        return mask_recipient(channel=self.channel, address=self.recipient)

    @property
    def has_content(self) -> bool:
        return self.wiped_at is None


class Robot(models.Model):
    """A group chat's robot (WeCom group robot, DingTalk custom robot, Feishu custom bot) and the
    events it receives. Its webhook URL (which holds the robot's key or token) and its signing
    secret are kept encrypted (``messaging.messengers.vault``: Fernet under a key derived from
    ``SECRET_KEY``), or named from the environment (``MESSENGER_ROBOT_SECRETS``). A robot never
    receives a code: the outbox refuses it whatever the configuration says."""

    class Kind(models.TextChoices):
        WECOM = "wecom", _("WeCom group robot")
        DINGTALK = "dingtalk", _("DingTalk custom robot")
        FEISHU = "feishu", _("Feishu custom bot")

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    webhook_encrypted = models.TextField(_("webhook URL (encrypted)"), blank=True, editable=False)
    secret_encrypted = models.TextField(_("signing secret (encrypted)"), blank=True, editable=False)
    environment_name = models.CharField(
        _("from the environment"),
        max_length=64,
        blank=True,
        help_text=_(
            "Instead of the stored URL and secret: NAME reads MESSENGER_ROBOT_NAME_URL and "
            "MESSENGER_ROBOT_NAME_SECRET from the environment."
        ),
    )
    events = models.JSONField(_("receives"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("group robot")
        verbose_name_plural = _("group robots")
        ordering = ["name"]
        permissions = [("test_robot", _("Can send a robot a test message"))]

    def __str__(self) -> str:
        return self.name
