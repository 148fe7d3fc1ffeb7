"""Handing one outbox row to its channel: Django's email backend, the SMS backend, an HTTP
form POST to a server (the single sign-on app's back-channel logout), or a messenger
(``messaging.messengers``: one person on WeCom, DingTalk or Feishu, or a group robot).

Each function calls the provider exactly once and turns what went wrong into a
``TransientDeliveryError`` (retry later) or a ``PermanentDeliveryError`` (give up).
"""

from __future__ import annotations

import smtplib
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.mail import BadHeaderError, EmailMultiAlternatives, get_connection
from django.utils.module_loading import import_string

from messaging import conf, sms
from messaging.errors import PermanentDeliveryError, TransientDeliveryError
from messaging.kinds import Priority
from messaging.messengers import delivery as messengers
from messaging.models import OutboxMessage
from messaging.sms import http
from messaging.spend import DEFERRED, message_spend


def _message_id(message: OutboxMessage) -> str:
    host = urlsplit(settings.PORTAL_BASE_URL).hostname or "portal.local"
    return f"<{message.reference}@{host}>"


def _smtp_error(exc: smtplib.SMTPException) -> Exception:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        detail = ", ".join(str(c) for c in codes)
        if codes and all(code >= 500 for code in codes):
            return PermanentDeliveryError(f"SMTP refused the recipient ({detail})")
        return TransientDeliveryError(f"SMTP deferred the recipient ({detail})")
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        # Wrong credentials: an operator fixes them; keep the message for the next attempts.
        return TransientDeliveryError(f"SMTP authentication failed ({exc.smtp_code})")
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"SMTP {exc.smtp_code}"
        if exc.smtp_code >= 500:
            return PermanentDeliveryError(f"{text}: message refused")
        return TransientDeliveryError(f"{text}: try again later")
    return TransientDeliveryError(f"SMTP error ({exc.__class__.__name__})")


def email_deliver(message: OutboxMessage) -> str:
    message_id = _message_id(message)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        headers={
            # The same id on a resend lets mail clients fold a duplicate away.
            "Message-ID": message_id,
            "Auto-Submitted": "auto-generated",
            "X-Auto-Response-Suppress": "All",
            "X-Portal-Reference": str(message.reference),
            "Content-Language": message.language,
        },
        connection=get_connection(fail_silently=False),
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    try:
        email.send(fail_silently=False)
    except (BadHeaderError, ValueError, UnicodeError) as exc:
        raise PermanentDeliveryError(
            f"message cannot be encoded ({exc.__class__.__name__})"
        ) from exc
    except smtplib.SMTPException as exc:
        raise _smtp_error(exc) from exc
    except OSError as exc:  # refused, unreachable, timed out, TLS
        raise TransientDeliveryError(f"SMTP server unreachable ({exc.__class__.__name__})") from exc
    return message_id.strip("<>")


def sms_deliver(message: OutboxMessage) -> str:
    backend = sms.get_backend()
    return backend.send(
        sms.SmsMessage(
            to=message.recipient,
            body=message.body_text,
            kind=message.kind,
            reference=str(message.reference),
            language=message.language,
            params=dict(message.params or {}),
        )
    )


# Answers of a server worth another try: timeout, too early, throttled, and every 5xx.
HTTP_TRANSIENT = {408, 425, 429}


def http_body(message: OutboxMessage) -> bytes:
    """The form body: the kind's builder (``MESSAGING_HTTP_BODIES``) at this attempt, or the
    row's text as it is."""
    builder = conf.get("MESSAGING_HTTP_BODIES").get(message.kind)
    if not builder:
        return message.body_text.encode("utf-8")
    return urlencode(import_string(builder)(message=message)).encode("ascii")


def http_deliver(message: OutboxMessage) -> str:
    """POST the form once, never following a redirect: a 2xx is delivered; a timeout, 408,
    425, 429 or 5xx is tried again later (``Retry-After`` respected); any other answer, a 3xx
    included, fails the message."""
    body = http_body(message)
    reply = http.post(
        message.recipient,
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cache-Control": "no-cache",
            "User-Agent": "account-portal",
            "Idempotency-Key": str(message.reference),
        },
        provider="HTTP",
        timeout=float(conf.get("MESSAGING_HTTP_TIMEOUT")),
    )
    if 200 <= reply.status < 300:
        return f"http-{reply.status}"
    if reply.status in HTTP_TRANSIENT or reply.status >= 500:
        raise TransientDeliveryError(f"HTTP {reply.status}", retry_after=reply.retry_after())
    raise PermanentDeliveryError(f"HTTP {reply.status}")


def spend_settle(message: OutboxMessage) -> None:
    """Count the caps of a message queued while their store did not answer
    (``spend_pending``), once, before it goes: a store still away waits (retried), a cap now
    full gives up (the message fails, audited with the cap's reason)."""
    if not message.spend_pending:
        return
    refusal = message_spend(
        channel=message.channel,
        address=message.recipient,
        user_id=message.user_id,
        priority=Priority(message.spend_pending),
    )
    if refusal is not None and refusal.reason == DEFERRED:
        raise TransientDeliveryError("the caps' store did not answer: not counted yet")
    if refusal is not None:
        raise PermanentDeliveryError(f"refused by the spend guard ({refusal.reason})")
    OutboxMessage.objects.filter(pk=message.pk).update(spend_pending="")
    message.spend_pending = ""


def deliver(message: OutboxMessage) -> str:
    """Count what is still to be counted (``spend_settle``), then call the provider once;
    return its message id."""
    spend_settle(message)
    if message.channel == OutboxMessage.Channel.EMAIL:
        return email_deliver(message)
    if message.channel == OutboxMessage.Channel.HTTP:
        return http_deliver(message)
    if message.channel == OutboxMessage.Channel.ROBOT:
        return messengers.robot_deliver(message)
    if message.channel in messengers.PROVIDERS:
        return messengers.person_deliver(message)
    return sms_deliver(message)
