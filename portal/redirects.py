"""Where may a `next` parameter send the browser? Only to a path on this site."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next_url(request: HttpRequest, candidate: str | None, *, default: str) -> str:
    """``candidate`` when it is a local absolute path (``/...``, never ``//host``), else
    ``default``. Anything else (other hosts, schemes, bare words that ``redirect()`` would try
    to reverse as a view name, control characters) falls back."""
    if (
        candidate
        and candidate.startswith("/")
        and not candidate.startswith(("//", "/\\"))
        and candidate.isprintable()
        and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return candidate
    return default
