"""Errors of the messaging layer.

``MessagingError`` and its subclasses are raised by ``messaging_send`` to its caller, before
anything is written: each carries a translated sentence (``str(exc)``) that a view can show and a
stable ``code`` for programs. ``DeliveryError`` is raised by a backend inside the worker: transient
ones are retried with backoff, permanent ones end the message as ``failed``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.errors import PortalError


class MessagingError(PortalError):
    code = "messaging_error"
    default_message = _("The message could not be queued.")


class InvalidRecipient(MessagingError):
    code = "invalid_recipient"
    default_message = _("The recipient's address cannot be used.")


class MessageTooLarge(MessagingError):
    code = "too_large"
    default_message = _("The message is too long to send.")


class SmsBlocked(MessagingError):
    """An SMS refused by the spend and abuse guard (caps, budget, region, or the share of them
    the message's priority may fill). Audited; the caller may fall back to email. ``reason`` is
    one of ``region``, ``number_hour``, ``number_day``, ``account_day``, ``budget_hour``,
    ``budget_day``, ``store_down`` (the caps' cache did not answer)."""

    code = "sms_blocked"
    default_message = _("No text message can be sent to this number right now.")

    def __init__(self, message=None, *, reason: str = "") -> None:
        self.reason = reason
        super().__init__(message)


class MessengerBlocked(SmsBlocked):
    """A messenger message (WeCom, DingTalk, Feishu) refused by its spend guard: the caps per
    messenger id and the messenger budget (``MESSENGER_*``), shared by priority like the SMS
    caps; ``reason`` is ``id_hour``, ``id_day``, ``budget_hour``, ``budget_day`` or
    ``store_down``."""

    code = "messenger_blocked"
    default_message = _("Too many messages were sent to this messenger account. Try another way.")


class NoticeCapped(MessagingError):
    """A notice dropped because its account had its hour's share of notices on this channel
    (``MESSAGING_NOTICES_PER_ACCOUNT_HOUR``, courtesy ones ``MESSAGING_COURTESY_PER_ACCOUNT_HOUR``).
    Audited; ``messaging_notify_user`` skips it, and no other channel is tried for it."""

    code = "notice_capped"
    default_message = _("Too many messages were sent to this account in the last hour.")


class UnknownKind(MessagingError):
    """No template set for this kind and channel: a programming error in the caller."""

    code = "unknown_kind"
    default_message = _("This kind of message does not exist.")


class OutboxStateError(MessagingError):
    """A transition asked of a message in the wrong state (e.g. retrying one already sent)."""

    code = "wrong_state"
    default_message = _("This message cannot be changed in its current state.")


class DeliveryError(Exception):
    """A backend could not deliver. Never holds the body or a code; the text goes to last_error."""

    transient = True
    # False: the attempt was not made (a rate limit), so it does not count toward the cap.
    counts_attempt = True

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message[:480])


class TransientDeliveryError(DeliveryError):
    """Worth another try later: network error, timeout, throttling, provider 5xx."""

    transient = True


class PermanentDeliveryError(DeliveryError):
    """Trying again cannot help: bad number, refused address, rejected credentials or template."""

    transient = False
