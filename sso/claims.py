"""What a client learns about a person: ``sub`` and the standard claims of the scopes granted
(django-oauth-toolkit filters them by ``oidc_claim_scope``: profile, email, phone).

``sub`` is stable and never the database id: the person's random UUID (``sso.Subject``) or, with
``SSO_SUBJECT = "employee_id"``, the employee number (a person without one gets no token).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from sso import conf
from sso.models import Subject

CLAIM_NAMES = (
    "preferred_username",
    "name",
    "locale",
    "zoneinfo",
    "updated_at",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
)

# The portal's language codes as BCP 47 tags.
LOCALES = {"zh-hans": "zh-Hans", "en": "en"}


def subject_of(user) -> str | None:
    if conf.get("SSO_SUBJECT") == "employee_id":
        return (user.employee_id or "").strip() or None
    return str(_subject_row(user).subject)


def _subject_row(user) -> Subject:
    try:
        return user.sso_subject  # the reverse accessor keeps the row on this instance
    except Subject.DoesNotExist:
        pass
    try:
        with transaction.atomic():
            return Subject.objects.create(user=user)
    except IntegrityError:  # made at the same moment by another request
        return Subject.objects.get(user=user)


def claims_of(user) -> dict:
    """Every claim this portal can state about ``user``; claims it has no value for are left
    out (an empty email is no email)."""
    values = {
        "sub": subject_of(user),
        "preferred_username": user.get_username(),
        "name": user.get_full_name() or user.get_username(),
        "locale": LOCALES.get(user.language, user.language),
        "zoneinfo": settings.TIME_ZONE,
        "updated_at": int(_updated_at(user).timestamp()),
    }
    if user.email:
        values["email"] = user.email
        values["email_verified"] = bool(user.email_verified_at)
    if user.phone:
        values["phone_number"] = user.phone.as_e164
        values["phone_number_verified"] = bool(user.phone_verified_at)
    return values


def _updated_at(user) -> datetime:
    """The last time something a claim says changed, as far as the portal records it."""
    known = [
        user.date_joined,
        user.password_changed_at,
        user.email_verified_at,
        user.phone_verified_at,
    ]
    return max(moment for moment in known if moment is not None)
