"""Writes of the messaging layer: queue a message, deliver it, retry, sweep.

``messaging_send`` and ``messaging_notify_user`` are what other apps call, inside their own
transaction. Delivery (``outbox_deliver``), the periodic sweep and the admin's retry live in
``messaging.outbox`` and are re-exported here.

**What a message may spend** (``messaging.spend.message_spend``, before it is queued): the SMS
region and caps, the messengers' caps, every account's hourly notice cap. A code's SMS that the
caps' store cannot count is refused (the caller falls back to email); any other SMS or messenger
message is queued with its caps counted before delivery (``OutboxMessage.spend_pending``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from audit.services import audit_record
from messaging import conf
from messaging.errors import (
    InvalidRecipient,
    MessagingError,
    MessengerBlocked,
    NoticeCapped,
    SmsBlocked,
    UnknownKind,
)
from messaging.kinds import Priority, kind_priority
from messaging.messengers import PERSON_CHANNELS
from messaging.messengers.ids import messenger_id_normalize, messenger_ids_of
from messaging.messengers.robots import robot_save, robot_test_send, robots_notify
from messaging.models import OutboxMessage
from messaging.outbox import (
    enqueue_on_commit,
    outbox_deliver,
    outbox_retry,
    outbox_sweep,
)
from messaging.recipients import (
    email_normalize,
    mask_recipient,
    phone_normalize,
)
from messaging.rendering import kind_channels, language_for, render_message
from messaging.spend import DEFERRED, STORE_DOWN, message_spend

logger = logging.getLogger(__name__)

__all__ = [
    "messaging_notify_user",
    "messaging_post",
    "messaging_send",
    "outbox_deliver",
    "outbox_retry",
    "outbox_sweep",
    "robot_save",
    "robot_test_send",
    "robots_notify",
]

CHANNELS = {
    OutboxMessage.Channel.EMAIL.value,
    OutboxMessage.Channel.SMS.value,
    *PERSON_CHANNELS,
}
URL_MAX_LENGTH = OutboxMessage._meta.get_field("recipient").max_length


def _address(*, channel: str, to_user: Any, to_address: str | None) -> str:
    if to_address is not None:
        raw = to_address
    elif to_user is not None and channel in PERSON_CHANNELS:
        raw = messenger_ids_of(to_user).get(channel)
    elif to_user is not None:
        raw = to_user.email if channel == "email" else to_user.phone
    else:
        raise InvalidRecipient(_("No recipient was given."), code="no_recipient")
    if channel in PERSON_CHANNELS:
        return messenger_id_normalize(raw)
    if channel == "email":
        return email_normalize(raw)
    return phone_normalize(raw)


def _idempotency_key(value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= 128 or not value.isprintable():
        raise MessagingError(_("The idempotency key is not valid."), code="bad_idempotency_key")
    return value


def _guard(*, channel: str, address: str, user: Any, kind: str, priority: Priority) -> str:
    """Audit and refuse what the guards block: a notice over its account's hourly cap
    (``NoticeCapped``) or an SMS the spend guard refuses (``SmsBlocked``). The audit row joins
    the caller's transaction, which the caller keeps when it falls back to email. Returns the
    priority whose caps are still to be counted at delivery (the store did not answer), or ""."""
    user_id = getattr(user, "pk", None)
    refusal = message_spend(channel=channel, address=address, user_id=user_id, priority=priority)
    if refusal is None:
        return ""
    if refusal.reason == DEFERRED:
        return str(priority)
    masked = mask_recipient(channel=channel, address=address)
    if refusal.notice_capped:
        logger.warning(
            "notice dropped (account cap) kind=%s channel=%s user=%s", kind, channel, user_id
        )
        audit_record(
            event="messaging.notice_capped",
            user=user,
            subject=masked,
            data={
                "kind": kind,
                "channel": channel,
                "priority": str(priority),
                "limit": refusal.limit,
            },
        )
        raise NoticeCapped()
    logger.warning(
        "%s blocked reason=%s kind=%s priority=%s to=%s",
        channel,
        refusal.reason,
        kind,
        priority,
        masked,
    )
    messenger = channel in PERSON_CHANNELS
    audit_record(
        event="messaging.messenger_blocked" if messenger else "messaging.sms_blocked",
        user=user,
        subject=masked,
        data={
            "reason": refusal.reason,
            "kind": kind,
            "limit": refusal.limit,
            "priority": str(priority),
        }
        | ({"channel": channel} if messenger else {}),
    )
    if messenger:
        raise MessengerBlocked(reason=refusal.reason)
    if refusal.reason == "region":
        raise SmsBlocked(
            _("Text messages cannot be sent to numbers in this region."), reason="region"
        )
    if refusal.reason == STORE_DOWN:
        raise SmsBlocked(reason=refusal.reason)  # "No text message can be sent ... right now."
    raise SmsBlocked(
        _("Too many text messages were sent to this number or account. Try email instead."),
        reason=refusal.reason,
    )


def messaging_send(
    *,
    channel: str,
    kind: str,
    context: dict,
    to_user: Any = None,
    to_address: str | None = None,
    language: str | None = None,
    secret: bool = False,
    expires_at: datetime | None = None,
    idempotency_key: str | None = None,
    priority: str | None = None,
) -> OutboxMessage:
    """Render ``kind`` for ``channel`` in the recipient's language, write the outbox row in the
    caller's transaction, and queue its delivery once that transaction commits.

    ``to_address`` wins over ``to_user``'s address (e.g. a number being verified). ``secret``
    marks content holding a code or a link token: it is wiped once sent or expired, and never
    shown in the admin. A message still unsent at ``expires_at`` (default: 24 hours) is never
    sent. With an ``idempotency_key`` already used, the existing message is returned and nothing
    is queued again. ``priority`` (``code``, ``security``, ``courtesy``; default: the kind's
    declared class, ``messaging.kinds``) decides which share of the SMS caps the message may use
    and whether it counts against its account's hourly notice cap (everything but codes does).

    Raises ``InvalidRecipient``, ``MessageTooLarge``, ``UnknownKind``, ``SmsBlocked`` or
    ``NoticeCapped`` (all ``MessagingError``) and writes no message when it does (a blocked SMS
    or a dropped notice writes its audit row).
    """
    if channel not in CHANNELS:
        raise MessagingError(_("Unknown channel."), code="unknown_channel")
    klass = kind_priority(kind, priority)
    address = _address(channel=channel, to_user=to_user, to_address=to_address)
    key = _idempotency_key(idempotency_key)
    if key is not None:
        existing = OutboxMessage.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return existing
    lang = language_for(user=to_user, language=language)
    rendered = render_message(
        channel=channel, kind=kind, context=context, user=to_user, language=lang
    )
    spend_pending = _guard(
        channel=channel, address=address, user=to_user, kind=kind, priority=klass
    )
    now = timezone.now()
    if expires_at is None:
        expires_at = now + timedelta(seconds=conf.get("MESSAGING_DEFAULT_TTL_SECONDS"))
    try:
        with transaction.atomic():
            message = OutboxMessage.objects.create(
                channel=channel,
                kind=kind,
                user=to_user if getattr(to_user, "pk", None) else None,
                recipient=address,
                language=lang,
                subject=rendered.subject,
                body_text=rendered.text,
                body_html=rendered.html,
                params=rendered.params if channel == "sms" else {},
                secret=secret,
                spend_pending=spend_pending,
                idempotency_key=key,
                created_at=now,
                updated_at=now,
                next_attempt_at=now,
                expires_at=expires_at,
            )
    except IntegrityError:
        if key is None:
            raise
        # Another transaction used the same key first (it has committed: the unique index
        # made us wait for it).
        return OutboxMessage.objects.get(idempotency_key=key)
    enqueue_on_commit(message.pk)
    return message


def messaging_post(
    *,
    kind: str,
    url: str,
    params: dict,
    user: Any = None,
    expires_at: datetime | None = None,
    idempotency_key: str | None = None,
) -> OutboxMessage:
    """Queue a form POST of ``kind`` to a server's ``url`` (the HTTP channel), written in the
    caller's transaction and delivered after it commits, retried with backoff like every
    message. ``params`` (JSON, no secret) is what the kind's builder (``MESSAGING_HTTP_BODIES``)
    makes the body from at each attempt. No caps apply: a server is not a person's inbox.
    Raises ``InvalidRecipient`` for a URL that is not http(s) or too long."""
    if urlsplit(url).scheme not in {"http", "https"} or not 0 < len(url) <= URL_MAX_LENGTH:
        raise InvalidRecipient(_("The address must be an http(s) URL."), code="bad_url")
    key = _idempotency_key(idempotency_key)
    now = timezone.now()
    if expires_at is None:
        expires_at = now + timedelta(seconds=conf.get("MESSAGING_DEFAULT_TTL_SECONDS"))
    with transaction.atomic():
        if key is not None:
            existing = OutboxMessage.objects.filter(idempotency_key=key).first()
            if existing is not None:
                return existing
        message = OutboxMessage.objects.create(
            channel=OutboxMessage.Channel.HTTP,
            kind=kind,
            user=user if getattr(user, "pk", None) else None,
            recipient=url,
            language="",
            params=params,
            idempotency_key=key,
            created_at=now,
            updated_at=now,
            next_attempt_at=now,
            expires_at=expires_at,
        )
    enqueue_on_commit(message.pk)
    return message


@transaction.atomic
def messaging_notify_user(
    *,
    user: Any,
    kind: str,
    context: dict,
    channels: tuple[str, ...] | list[str] = ("email", "sms", *PERSON_CHANNELS),
    secret: bool = False,
    expires_at: datetime | None = None,
    priority: str | None = None,
) -> list[OutboxMessage]:
    """One message per verified contact of ``user`` on ``channels`` that the kind has templates
    for. An SMS refused by the spend guard is audited and skipped (the email still goes); so is a
    notice over its account's hourly cap on that channel, and an address that cannot be used.
    Returns the messages queued (possibly none)."""
    available = kind_channels(kind)
    if not available:
        raise UnknownKind(_("This kind of message does not exist."))
    verified = {"email": user.has_verified_email, "sms": user.has_verified_phone}
    verified |= dict.fromkeys(messenger_ids_of(user), True)
    queued: list[OutboxMessage] = []
    for channel in dict.fromkeys(channels):
        if channel not in available or not verified.get(channel):
            continue
        try:
            queued.append(
                messaging_send(
                    channel=channel,
                    kind=kind,
                    context=context,
                    to_user=user,
                    secret=secret,
                    expires_at=expires_at,
                    priority=priority,
                )
            )
        except (SmsBlocked, NoticeCapped):  # MessengerBlocked included
            continue
        except InvalidRecipient as exc:
            logger.warning(
                "notify skipped user=%s channel=%s kind=%s: %s", user.pk, channel, kind, exc.code
            )
    return queued
