"""Temporary access passes: one-time passes a helpdesk agent issues to a verified caller.

A pass is kept only as a keyed digest (``access_pass.secret``); the pass itself exists once, on
the agent's screen or in the message that carries it. One live pass per account: issuing a new
one revokes the one before. For a privileged account the pass is first *requested* by one agent
and *approved* by another; only then can it be issued (by someone other than the approver).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class PassState(models.TextChoices):
    APPROVAL = "approval", _("Waiting for a second agent")
    APPROVED = "approved", _("Approved, not issued yet")
    ACTIVE = "active", _("Issued, not used yet")
    USED = "used", _("Used")
    REVOKED = "revoked", _("Revoked")
    EXPIRED = "expired", _("Expired")
    FAILED = "failed", _("Too many wrong tries")
    DECLINED = "declined", _("Declined by the second agent")


LIVE_STATES = (PassState.APPROVAL, PassState.APPROVED, PassState.ACTIVE)


class Delivery(models.TextChoices):
    SHOWN = "shown", _("Shown to the agent, read out on the call")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom")
    DINGTALK = "dingtalk", _("DingTalk")
    FEISHU = "feishu", _("Feishu")


class AccessPass(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="access_passes",
    )
    state = models.CharField(_("state"), max_length=12, choices=PassState.choices)
    digest = models.CharField(max_length=64, blank=True, editable=False)
    # What it was issued for (an unlock request's reference): the tickets app follows it.
    reference = models.CharField(_("request"), max_length=20, blank=True)
    delivery = models.CharField(_("given by"), max_length=10, choices=Delivery.choices, blank=True)
    delivered_to = models.CharField(_("sent to"), max_length=80, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    failures = models.PositiveSmallIntegerField(_("wrong tries"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    used_ip = models.GenericIPAddressField(_("used from"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("ended by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # After the sign-in: how the person chose to sign in from then on (password, passkey).
    completed_how = models.CharField(_("then set up"), max_length=10, blank=True)
    completed_at = models.DateTimeField(_("set up at"), null=True, blank=True)

    class Meta:
        verbose_name = _("temporary access pass")
        verbose_name_plural = _("temporary access passes")
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["user", "state"], name="access_pass_user_state")]
        constraints = [
            # One live pass (waiting, approved or issued) per account.
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(state__in=[s.value for s in LIVE_STATES]),
                name="access_pass_one_live",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.state} {self.requested_at:%Y-%m-%d %H:%M}"
