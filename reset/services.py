"""Writes of the reset app for agents: the reset link an agent sends (the tickets app and the
user admin call it) and lifting a reset pause. Keyword-only, typed, atomic where they write; each
writes its audit row in the same transaction. The self-service journey's writes are
``reset.flow``'s."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import codes
from accounts import conf as accounts_conf
from accounts.masking import mask_contact
from accounts.models import User
from audit.services import audit_record
from messaging.errors import MessagingError
from messaging.recipients import sms_allowed_region
from messaging.services import messaging_send
from portal.net import client_ip
from reset import conf
from reset.errors import ResetInviteRefused
from reset.keys import sha, typed_key
from reset.models import ResetBlock, ResetFlow


def reset_invite_send(*, user: User, channel: str, actor: User, request: HttpRequest | None = None):
    """An agent sends ``user`` a one-time reset link by email or SMS; the agent never sees it.

    The link (``/accounts/password/reset/link/<token>/``) works for RESET_INVITE_TTL_SECONDS and
    for one completed reset; only the SHA-256 of its token is stored. Opening it moves the token
    into that browser's session and redirects to a page without it; the user then presses
    "Continue" (mail scanners that only fetch links change nothing), passes the authenticator
    step if enrolled, and chooses a password. Counts toward the account's 5 reset sends per
    hour. Raises ``ResetInviteRefused``.
    """
    if channel not in codes.CHANNELS:
        raise ValueError("channel must be email or sms")
    address = codes.verified_address(user=user, channel=channel)
    if not user.is_active:
        raise ResetInviteRefused(_("This account is disabled."), code="inactive")
    if not address:
        raise ResetInviteRefused(
            _("This person has no verified contact for this channel."), code="no_contact"
        )
    if channel == "sms" and not sms_allowed_region(address):
        raise ResetInviteRefused(codes.REFUSALS["sms_region"], code="sms_region")
    state = codes.code_sends("reset").state(user.pk, limit=accounts_conf.get("CODE_SENDS_PER_HOUR"))
    if state.retry_at:
        raise ResetInviteRefused(codes.REFUSALS["rate_limited"], code="rate_limited")
    now = timezone.now()
    ttl = conf.get("RESET_INVITE_TTL_SECONDS")
    token = secrets.token_urlsafe(32)
    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("reset:link", args=[token])
    with transaction.atomic():
        flow = ResetFlow.objects.create(
            key_hash=sha(token),
            identifier_key=typed_key(user.get_username()),
            user=user,
            started_by=actor,
            channel=channel,
            created_at=now,
            expires_at=now + timedelta(seconds=ttl),
            code_expires_at=now + timedelta(seconds=ttl),
            last_sent_at=now,
            sends=1,
            dispatched=1,
            ip=client_ip(request) if request is not None else None,
        )
        try:
            with transaction.atomic():
                messaging_send(
                    channel=channel,
                    kind="reset_invite",
                    context={
                        "link": link,
                        "expires_minutes": max(1, ttl // 60),
                        "agent_name": actor.get_full_name() or actor.get_username(),
                    },
                    to_user=user,
                    to_address=address,
                    secret=True,
                    expires_at=flow.expires_at,
                    idempotency_key=f"reset-invite:{flow.pk}",
                )
        except MessagingError as exc:
            raise ResetInviteRefused(str(exc), code=exc.code) from exc
        codes.code_sends("reset").hit(user.pk)
        destination = mask_contact(channel, address)
        audit_record(
            event="reset.invite_sent",
            request=request,
            actor=actor,
            user=user,
            subject=user.get_username(),
            data={"flow": flow.pk, "channel": channel, "to": destination},
        )
    return {"destination": destination, "expires_at": flow.expires_at, "channel": channel}


@transaction.atomic
def reset_block_lift(*, block, actor: User, request: HttpRequest | None = None) -> bool:
    """An agent lifts a self-service reset pause (after checking the caller): this block and,
    for an account, every other active block of that account (on what was typed). False if the
    block was no longer active."""
    block = ResetBlock.objects.select_for_update().get(pk=block.pk)
    now = timezone.now()
    if not block.is_active(now):
        return False
    blocks = ResetBlock.objects.filter(pk=block.pk)
    if block.user_id:
        blocks = ResetBlock.objects.filter(user=block.user, lifted_at__isnull=True, until__gt=now)
    lifted = list(blocks.values_list("pk", flat=True))
    blocks.update(lifted_at=now, lifted_by=actor)
    audit_record(
        event="reset.block_lifted",
        request=request,
        actor=actor,
        user=block.user,
        subject=block.user.get_username() if block.user else "",
        data={"blocks": lifted},
    )
    return True
