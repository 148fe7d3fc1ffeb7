"""The guard around the sign-in door's views, named by a setting (``SIGNIN_DOOR_GUARD``).

A higher app provides it (the notices app's maintenance guard stops sign-in while a notice
blocks it), so the sign-in app never imports that app: the dotted name is resolved on the first
request, once. An empty setting leaves the views unguarded.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, wraps

from django.http import HttpRequest, HttpResponse
from django.utils.module_loading import import_string

from signin import conf

View = Callable[..., HttpResponse]


@cache
def _guard() -> Callable[[View], View] | None:
    path = conf.get("SIGNIN_DOOR_GUARD")
    return import_string(path) if path else None


def door_guard(view: View) -> View:
    """``view`` wrapped by the configured guard (resolved lazily, then kept)."""
    wrapped: list[View] = []

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not wrapped:
            guard = _guard()
            wrapped.append(guard(view) if guard is not None else view)
        return wrapped[0](request, *args, **kwargs)

    return guarded
