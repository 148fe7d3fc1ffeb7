"""Contacts shown partly hidden: enough for the owner to recognise, too little to harvest."""

from __future__ import annotations

import phonenumbers


def mask_email(address: str) -> str:
    if not address or "@" not in address:
        return ""
    local, _, domain = address.rpartition("@")
    keep = 1 if len(local) <= 3 else 2
    return f"{local[:keep]}{'*' * max(3, len(local) - keep)}@{domain}"


def mask_phone(number) -> str:
    raw = str(number or "")
    if not raw:
        return ""
    try:
        parsed = phonenumbers.parse(raw, None)
        country = f"+{parsed.country_code} "
        national = str(parsed.national_number)
    except phonenumbers.NumberParseException:
        country, national = "", raw
    if len(national) <= 7:
        return country + "*" * max(0, len(national) - 4) + national[-4:]
    return f"{country}{national[:3]}{'*' * (len(national) - 7)}{national[-4:]}"


def mask_contact(channel: str, address) -> str:
    return mask_email(str(address)) if channel == "email" else mask_phone(address)
