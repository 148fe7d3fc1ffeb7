"""One-time codes sent by email or SMS: issue one, check one. Usable by every app.

Contract (other workstreams call these):

``code_issue(*, user, channel, purpose, request=None, actor=None) -> CodeIssue``
    Draws a 6-digit code from ``secrets``, keeps only its HMAC on the user's
    ``ContactCodeDevice`` for ``purpose``, and queues it through the outbox to the user's
    **verified** email or phone (``channel`` is ``"email"`` or ``"sms"``). Valid 10 minutes, 5
    wrong tries across resends, a resend after 60 s, at most 5 sends per account and purpose per
    hour and 3 SMS per account per hour. Never raises for a refusal: ``CodeIssue.sent`` is False
    and ``reason`` says why (``no_contact``, ``inactive``, ``cooldown``, ``rate_limited``,
    ``sms_capped``, ``sms_region``, ``sms_blocked``, ``undeliverable``); ``str(issue.message)`` is
    a translated sentence for the page. Audits ``code.sent`` / ``code.refused``. Call it inside or
    outside a transaction: the outbox row is written with the device, delivery runs on commit.

``code_verify(*, user, purpose, code, request=None) -> bool``
    True exactly once for the latest code of that user and purpose, within its 10 minutes and
    its 5 tries. Compared in constant time under a row lock (concurrent checks of one code give
    one success). Letters, spaces, full-width digits are normalised; anything that is not 6
    digits is refused without counting a try. Audits ``code.verified`` / ``code.failed``.

The agent or program calling these never sees the code. Purposes in use: ``reset`` (the
self-service reset, one device per flow, see ``reset.flow``), ``contact_verify`` (a new
email or phone on the security page), ``caller_verify`` (helpdesk agents, tickets app).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts import conf
from accounts.masking import mask_contact
from accounts.models import CodeChannel, ContactCodeDevice, User
from audit.services import audit_record
from messaging.errors import MessagingError, MessengerBlocked, SmsBlocked
from messaging.recipients import sms_allowed_region
from messaging.services import messaging_send
from portal import limits

if TYPE_CHECKING:
    from django.utils.functional import Promise

CODE_LENGTH = 6
CHANNELS = {channel.value for channel in CodeChannel}  # email, sms and the messengers
MESSENGERS = CHANNELS - {CodeChannel.EMAIL.value, CodeChannel.SMS.value}
PURPOSE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")

# Which message template set carries the code, per purpose (messages/<kind>/ in accounts).
MESSAGE_KINDS = {
    "reset": "reset_code",
    "unlock": "unlock_code",  # the lock page's unlock with a code (reset.unlock)
    "contact_verify": "contact_code",
    "messenger_verify": "messenger_code",
}
DEFAULT_MESSAGE_KIND = "verification_code"

REFUSALS: dict[str, Promise] = {
    "no_contact": _("There is no verified contact to send a code to."),
    "inactive": _("This account is disabled; no code can be sent."),
    "cooldown": _("A code was sent a moment ago. You can ask for a new one shortly."),
    "rate_limited": _("Too many codes were requested. Please try again later."),
    "sms_capped": _("No more text messages can be sent for now. Please use email instead."),
    "sms_region": _("Text messages cannot be sent to numbers in this country or region."),
    "sms_blocked": _("No text message can be sent to this number right now. Use email instead."),
    "undeliverable": _("The code could not be sent to this address."),
    "messenger_blocked": _("No more messages can be sent to this messenger account for now."),
}


# --- knobs (read lazily) ------------------------------------------------------------------------
# The codes sent to an account in the last hour, per purpose and by SMS (a rolling window each).
CODE_SMS = limits.Rolling("code-sms", seconds=3600)


def code_sends(purpose: str) -> limits.Rolling:
    return limits.Rolling(f"code-sends-{purpose}", seconds=3600)


def code_ttl_seconds() -> int:
    return conf.get("CODE_TTL_SECONDS")


def code_max_tries() -> int:
    return conf.get("CODE_MAX_TRIES")


def resend_cooldown_seconds() -> int:
    return conf.get("CODE_RESEND_COOLDOWN_SECONDS")


def tries_window_seconds() -> int:
    return conf.get("CODE_TRIES_WINDOW_SECONDS")


# --- the code itself ----------------------------------------------------------------------------
def code_generate(length: int = CODE_LENGTH) -> str:
    """``length`` decimal digits from ``secrets`` (6 digits: about 20 bits)."""
    return f"{secrets.randbelow(10**length):0{length}d}"


_SEPARATORS = re.compile(r"[\s\-‐‑‒–—·.]+")


def code_normalize(raw: object, length: int = CODE_LENGTH) -> str | None:
    """What the user typed, as ``length`` ASCII digits, or None.

    Full-width digits (typed with a Chinese input method) become ASCII, spaces and dashes go;
    anything else (letters, NUL, 10 kB of text) is not a code.
    """
    if not isinstance(raw, str) or len(raw) > 64:
        return None
    value = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw))
    if len(value) != length or not value.isascii() or not value.isdigit():
        return None
    return value


# --- results ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CodeIssue:
    sent: bool
    channel: str
    reason: str | None = None
    destination: str = ""  # masked, for "we sent a code to zh***@corp.example.cn"
    expires_at: datetime | None = None
    retry_at: datetime | None = None
    device_id: int | None = None

    @property
    def message(self):
        return REFUSALS.get(self.reason or "", "")


# --- addresses ----------------------------------------------------------------------------------
def verified_address(*, user: User, channel: str) -> str | None:
    if channel == CodeChannel.EMAIL and user.has_verified_email:
        return user.email
    if channel == CodeChannel.SMS and user.has_verified_phone:
        return str(user.phone)
    if channel in MESSENGERS:
        return (
            user.messenger_ids.filter(provider=channel)
            .values_list("external_id", flat=True)
            .first()
        )
    return None


# --- devices ------------------------------------------------------------------------------------
def _device_for(
    *, user: User, purpose: str, flow_id: int | None, lock: bool
) -> ContactCodeDevice | None:
    qs = ContactCodeDevice.objects.all()
    if lock:
        qs = qs.select_for_update()
    if flow_id is not None:
        return qs.filter(flow=flow_id).first()
    return qs.filter(user=user, purpose=purpose, flow__isnull=True).first()


def _device_get_or_create(
    *, user: User, purpose: str, channel: str, address: str, flow_id: int | None
) -> ContactCodeDevice:
    device = _device_for(user=user, purpose=purpose, flow_id=flow_id, lock=True)
    if device is None:
        device = ContactCodeDevice.objects.create(
            user=user,
            name=purpose,
            purpose=purpose,
            channel=channel,
            address=address,
            flow=flow_id,
            confirmed=False,
        )
        # Lock the fresh row as well, so two first sends cannot both pass the cooldown.
        device = ContactCodeDevice.objects.select_for_update().get(pk=device.pk)
    return device


def device_deliver(*, device: ContactCodeDevice, context: dict | None = None):
    """Generate a fresh code on ``device`` and queue it to ``device.address``; returns the outbox
    row. The plain code exists only in the message (``secret=True``: wiped after delivery)."""
    code = device.generate_token(valid_secs=code_ttl_seconds(), commit=False)
    kind = MESSAGE_KINDS.get(device.purpose, DEFAULT_MESSAGE_KIND)
    minutes = max(1, code_ttl_seconds() // 60)
    # The outbox refuses (SmsBlocked, InvalidRecipient...) before writing anything but its own
    # audit row; the device is saved only once the message is queued.
    message = messaging_send(
        channel=device.channel,
        kind=kind,
        context={
            "code": code,
            "expires_minutes": minutes,
            "purpose": device.purpose,
            **(context or {}),
        },
        to_user=device.user,
        to_address=device.address,
        secret=True,
        expires_at=device.valid_until,
        idempotency_key=f"code:{device.pk}:{device.sends}",
    )
    device.save()
    return message


def _refuse(
    *,
    reason: str,
    user: User,
    channel: str,
    purpose: str,
    request: HttpRequest | None,
    actor,
    retry_at: datetime | None = None,
    extra: dict | None = None,
) -> CodeIssue:
    audit_record(
        event="code.refused",
        request=request,
        actor=actor,
        user=user,
        subject=user.get_username(),
        data={"purpose": purpose, "channel": channel, "reason": reason, **(extra or {})},
    )
    return CodeIssue(sent=False, channel=channel, reason=reason, retry_at=retry_at)


def code_issue(
    *,
    user: User,
    channel: str,
    purpose: str,
    request: HttpRequest | None = None,
    actor: User | None = None,
    address: str | None = None,
    flow_id: int | None = None,
    context: dict | None = None,
) -> CodeIssue:
    """Send ``user`` a fresh code for ``purpose`` by ``channel`` (see the module docstring).

    ``address`` (internal use) sends to a contact being verified instead of a verified one;
    ``flow_id`` binds the device to one flow of a higher app (a password reset, by its id).
    """
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {sorted(CHANNELS)}, not {channel!r}")
    if not PURPOSE.match(purpose or ""):
        raise ValueError(f"purpose must be a short lower-case word, not {purpose!r}")

    common = {"user": user, "channel": channel, "purpose": purpose, "request": request}
    with transaction.atomic():
        if not user.is_active:
            return _refuse(reason="inactive", actor=actor, **common)
        target = address or verified_address(user=user, channel=channel)
        if not target:
            return _refuse(reason="no_contact", actor=actor, **common)
        if channel == CodeChannel.SMS and not sms_allowed_region(target):
            return _refuse(reason="sms_region", actor=actor, **common)
        device = _device_get_or_create(
            user=user, purpose=purpose, channel=channel, address=target, flow_id=flow_id
        )
        # A reset flow enforces its own resend delay in the request; its task may run late.
        allowed, info = device.generate_is_allowed() if flow_id is None else (True, None)
        if not allowed:
            return _refuse(
                reason="cooldown", actor=actor, retry_at=info.get("next_generation_at"), **common
            )
        sends = code_sends(purpose).state(user.pk, limit=conf.get("CODE_SENDS_PER_HOUR"))
        if sends.retry_at:
            return _refuse(reason="rate_limited", actor=actor, retry_at=sends.retry_at, **common)
        if channel == CodeChannel.SMS:
            sms = CODE_SMS.state(user.pk, limit=conf.get("CODE_SMS_PER_HOUR"))
            if sms.retry_at:
                return _refuse(reason="sms_capped", actor=actor, retry_at=sms.retry_at, **common)
        device.channel, device.address = channel, target
        try:
            device.generate_challenge(extra_context=context)
        except MessengerBlocked as exc:
            return _refuse(
                reason="messenger_blocked", actor=actor, extra={"detail": exc.reason}, **common
            )
        except SmsBlocked as exc:
            return _refuse(
                reason="sms_blocked", actor=actor, extra={"detail": exc.reason}, **common
            )
        except MessagingError as exc:
            return _refuse(
                reason="undeliverable", actor=actor, extra={"detail": exc.code}, **common
            )
        code_sends(purpose).hit(user.pk)
        if channel == CodeChannel.SMS:
            CODE_SMS.hit(user.pk)
        destination = mask_contact(channel, target)
        audit_record(
            event="code.sent",
            request=request,
            actor=actor,
            user=user,
            subject=user.get_username(),
            data={
                "purpose": purpose,
                "channel": channel,
                "to": destination,
                "device": device.pk,
                "sends": device.sends,
            },
        )
        return CodeIssue(
            sent=True,
            channel=channel,
            destination=destination,
            expires_at=device.valid_until,
            device_id=device.pk,
        )


def device_check(*, device: ContactCodeDevice, code: object, count_failure: bool = True) -> bool:
    """Check ``code`` on a device the caller has locked (select_for_update). No audit."""
    normalized = code_normalize(code)
    if normalized is None:
        return False
    return device.verify_token(normalized, count_failure=count_failure)


def address_code_check(
    *, user: User, purpose: str, code: object, address: str, channel: str | None = None
) -> tuple[bool, int]:
    """Check ``code`` on the latest code of ``user`` and ``purpose``, right only if it was sent to
    ``address`` (and on ``channel``, when given); the device is locked. Returns (right, tries
    left). No audit: call it inside the transaction that audits the outcome."""
    normalized = code_normalize(code)
    device = _device_for(user=user, purpose=purpose, flow_id=None, lock=True)
    ok = bool(
        device is not None
        and normalized is not None
        and device.address == address
        and (channel is None or device.channel == channel)
        and device.verify_token(normalized)
    )
    return ok, device.tries_left if device is not None else 0


def code_verify(
    *,
    user: User,
    purpose: str,
    code: object,
    request: HttpRequest | None = None,
    actor: User | None = None,
) -> bool:
    """True once for the latest code of ``user`` and ``purpose`` (see the module docstring)."""
    normalized = code_normalize(code)
    with transaction.atomic():
        device = _device_for(user=user, purpose=purpose, flow_id=None, lock=True)
        if device is None or normalized is None:
            ok = False
            reason = "no_code" if device is None else "malformed"
        else:
            allowed, _info = device.verify_is_allowed()
            ok = allowed and device.verify_token(normalized)
            reason = "" if ok else ("too_many_tries" if not allowed else "wrong_or_expired")
        data = {"purpose": purpose}
        if not ok:
            data["reason"] = reason
            if device is not None:
                data["tries_left"] = device.tries_left
        audit_record(
            event="code.verified" if ok else "code.failed",
            request=request,
            actor=actor,
            user=user,
            subject=user.get_username(),
            data=data,
        )
    return ok
