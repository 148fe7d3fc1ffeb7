"""The client IP's limit as the tests read it, through ``portal.limits``."""

from __future__ import annotations

from signin import lockout


def ip_status(*, ip: str) -> tuple[int, str | None]:
    """(failures counted for this client IP in the current window, its block reference)."""
    return lockout.ip_failures().count(ip), lockout.ip_block_reference(ip)
