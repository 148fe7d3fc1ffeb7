"""Reads on accounts."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User, UserSession, normalize_identifier


def user_find_by_identifier(*, identifier: str) -> User | None:
    """The active or inactive user a typed username, email or phone number points at, or None.

    Usernames and emails compare case- and whitespace-insensitively; phone numbers are parsed in
    the default region. Never raises on garbage input.
    """
    value = normalize_identifier(identifier)
    if not value or len(value) > 254:
        return None
    query = Q(username__iexact=value) | Q(email__iexact=value)
    phone = _as_e164(value)
    if phone:
        query |= Q(phone=phone)
    matches = list(User.objects.filter(query)[:2])
    if len(matches) != 1:
        return None
    return matches[0]


def _as_e164(value: str) -> str | None:
    import phonenumbers
    from django.conf import settings

    if not any(ch.isdigit() for ch in value):
        return None
    try:
        number = phonenumbers.parse(value, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def sessions_open_for_user(*, user: User) -> QuerySet[UserSession]:
    return UserSession.objects.filter(user=user, ended_at__isnull=True).order_by("-last_seen_at")
