"""Reads on temporary access passes."""

from __future__ import annotations

from typing import Any

from access_pass.models import LIVE_STATES, AccessPass


def pass_live(*, user: Any) -> AccessPass | None:
    """The account's live pass (waiting, approved or issued), or None."""
    return (
        AccessPass.objects.select_related("requested_by", "approved_by", "issued_by")
        .filter(user=user, state__in=LIVE_STATES)
        .first()
    )


def passes_recent(*, user: Any, limit: int = 5) -> list[AccessPass]:
    """The account's latest passes, newest first (for the ticket page)."""
    return list(
        AccessPass.objects.select_related("requested_by", "approved_by", "issued_by")
        .filter(user=user)
        .order_by("-requested_at", "-id")[:limit]
    )
