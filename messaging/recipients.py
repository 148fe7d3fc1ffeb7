"""Recipient addresses: normalising what callers pass, and masking what people see."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from messaging import conf
from messaging.errors import InvalidRecipient

EMAIL_MAX_LENGTH = 254
PHONE_MAX_LENGTH = 32


def _has_control(value: str) -> bool:
    return any(not ch.isprintable() for ch in value)


def email_normalize(raw: object) -> str:
    """A single, well-formed address; anything with a newline or control character is refused
    (header injection), as is anything Django's validator refuses."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidRecipient(_("No email address was given."), code="email_missing")
    if _has_control(raw) or len(raw) > EMAIL_MAX_LENGTH:
        raise InvalidRecipient(_("This email address is not valid."), code="email_invalid")
    value = raw.strip()
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidRecipient(
            _("This email address is not valid."), code="email_invalid"
        ) from None
    local, _at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def phone_parse(raw: object) -> phonenumbers.PhoneNumber:
    """A valid phone number (``+86...`` or national in ``PHONE_DEFAULT_REGION``)."""
    if hasattr(raw, "as_e164"):  # a PhoneNumberField value
        raw = raw.as_e164 if raw.is_valid() else str(raw)
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidRecipient(_("No mobile number was given."), code="phone_missing")
    if _has_control(raw) or len(raw) > PHONE_MAX_LENGTH:
        raise InvalidRecipient(_("This mobile number cannot be read."), code="phone_invalid")
    try:
        number = phonenumbers.parse(raw.strip(), settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise InvalidRecipient(
            _("This mobile number cannot be read."), code="phone_invalid"
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidRecipient(_("This mobile number cannot be read."), code="phone_invalid")
    return number


def phone_normalize(raw: object) -> str:
    return phonenumbers.format_number(phone_parse(raw), phonenumbers.PhoneNumberFormat.E164)


def phone_region(e164: str) -> str:
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or ""


def sms_allowed_region(phone: str) -> bool:
    """May text messages go to this number (E.164)? Only to ``SMS_ALLOWED_REGIONS``; unreadable
    numbers may not."""
    allowed = {r.upper() for r in conf.get("SMS_ALLOWED_REGIONS")}
    try:
        region = phone_region(str(phone))
    except phonenumbers.NumberParseException:
        return False
    return bool(region) and region.upper() in allowed


def _mask_middle(digits: str) -> str:
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) < 8:
        return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]
    return digits[:3] + "****" + digits[-4:]


def mask_phone(e164: str) -> str:
    """``+8613812345678`` → ``138****5678``; other countries keep their prefix:
    ``+14155552671`` → ``+1 415****2671``."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return _mask_middle("".join(ch for ch in e164 if ch.isdigit()))
    national = str(number.national_number)
    masked = _mask_middle(national)
    if phonenumbers.region_code_for_number(number) == settings.PHONENUMBER_DEFAULT_REGION:
        return masked
    return f"+{number.country_code} {masked}"


def mask_email(address: str) -> str:
    """``alice@corp.cn`` → ``a***@corp.cn``."""
    local, at, domain = address.rpartition("@")
    if not at:
        return "***"
    return f"{local[:1]}***@{domain}"


def mask_url(address: str) -> str:
    """``https://crm.example.cn/oidc/logout?x=1`` → ``https://crm.example.cn/oidc/logout``: a
    server's address is no secret, but its query string might be."""
    return address.split("?", 1)[0].split("#", 1)[0]


def mask_messenger_id(value: str) -> str:
    """``zhang.wei`` → ``zh***i``: enough for its owner to recognise, not to read."""
    if len(value) <= 3:
        return value[:1] + "***"
    return f"{value[:2]}***{value[-1]}"


def mask_recipient(*, channel: str, address: str) -> str:
    if channel == "http":
        return mask_url(address)
    if channel == "robot":
        return f"robot #{address}"
    if channel in {"wecom", "dingtalk", "feishu"}:
        return mask_messenger_id(address)
    return mask_phone(address) if channel == "sms" else mask_email(address)
