"""The base of every domain error: a stable ``code`` for programs and a translated sentence
(``str(exc)``) that a view can show."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class PortalError(Exception):
    code = "portal_error"
    default_message = _("This action is not possible right now.")

    def __init__(self, message=None, *, code: str | None = None) -> None:
        self.message = message if message else self.default_message
        if code:
            self.code = code
        super().__init__(str(self.message))

    def __str__(self) -> str:
        return str(self.message)
