"""Contacts shown partly hidden: enough for the owner to recognise, too little to harvest.

One way everywhere (pages, messages, audit, the admin): messaging's (``messaging.recipients``),
which keeps the first letter of an email address and hides the rest of the name behind a fixed
``***`` (its length is not shown), and shows a phone number's first three and last four digits
(``138****8001``; a number outside the portal's region keeps its country code).
"""

from __future__ import annotations

from messaging.recipients import mask_email as _mask_email
from messaging.recipients import mask_messenger_id
from messaging.recipients import mask_phone as _mask_phone


def mask_email(address: str) -> str:
    if not address or "@" not in address:
        return ""
    return _mask_email(address)


def mask_phone(number) -> str:
    """``number``: a ``PhoneNumber`` (the model field's value) or text."""
    as_e164 = getattr(number, "as_e164", None)
    raw = str(as_e164 or number or "")
    return _mask_phone(raw) if raw else ""


def mask_contact(channel: str, address) -> str:
    if channel in {"wecom", "dingtalk", "feishu"}:
        return mask_messenger_id(str(address or ""))
    return mask_email(str(address)) if channel == "email" else mask_phone(address)
