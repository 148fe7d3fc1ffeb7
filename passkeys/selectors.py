"""Reads on passkeys (django-otp-webauthn's ``WebAuthnCredential`` rows)."""

from __future__ import annotations

from django.db.models import F, QuerySet
from django_otp_webauthn.models import WebAuthnCredential


def user_has_passkey(*, user_id: int) -> bool:
    """Whether the user has at least one usable (confirmed) passkey. One query."""
    return WebAuthnCredential.objects.filter(user_id=user_id, confirmed=True).exists()


def passkeys_count(*, user_id: int) -> int:
    """How many usable (confirmed) passkeys the user has. One query."""
    return WebAuthnCredential.objects.filter(user_id=user_id, confirmed=True).count()


def passkeys_of(*, user_id: int) -> QuerySet[WebAuthnCredential]:
    """The user's passkeys, the most recently used first, then the newest."""
    return WebAuthnCredential.objects.filter(user_id=user_id).order_by(
        F("last_used_at").desc(nulls_last=True), "-created_at", "-pk"
    )


def passkey_of(*, user_id: int, passkey_id: int) -> WebAuthnCredential | None:
    """One of the user's passkeys, or None (another person's id is the same as no id)."""
    return WebAuthnCredential.objects.filter(user_id=user_id, pk=passkey_id).first()


def passkeys_summary(*, user) -> dict:
    """What the security page's "Passkeys" card shows (``ACCOUNTS_PASSKEYS`` names this)."""
    rows = list(passkeys_of(user_id=user.pk)[:20])
    return {"count": len(rows), "rows": rows}
