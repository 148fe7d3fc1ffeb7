"""Domain errors of the notices app."""

from __future__ import annotations

from portal.errors import PortalError


class NoticeError(PortalError):
    """A notice is not in the state the requested change needs."""

    code = "wrong_state"
