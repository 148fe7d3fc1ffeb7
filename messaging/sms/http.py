"""A small HTTP client for the SMS providers and the messengers (standard library only).

Network trouble (refused, reset, DNS, timeout) is a ``TransientDeliveryError``; an HTTP reply of
any status is returned for the provider to interpret.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

from messaging import conf
from messaging.errors import PermanentDeliveryError, TransientDeliveryError

MAX_REPLY_BYTES = 64 * 1024


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        try:
            data = json.loads(self.body.decode("utf-8", "replace") or "{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    def retry_after(self) -> float | None:
        """Seconds from a ``Retry-After`` header (delta or HTTP date), if any."""
        raw = self.headers.get("retry-after", "").strip()
        if not raw:
            return None
        if raw.isdigit():
            return float(raw)
        try:
            from django.utils import timezone

            return max((parsedate_to_datetime(raw) - timezone.now()).total_seconds(), 0.0)
        except (TypeError, ValueError):
            return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a provider API never redirects a POST
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(
    url: str, *, data: bytes, headers: dict[str, str], provider: str, timeout: float | None = None
) -> Reply:
    return send("POST", url, data=data, headers=headers, provider=provider, timeout=timeout)


def send(
    method: str,
    url: str,
    *,
    data: bytes | None,
    headers: dict[str, str],
    provider: str,
    timeout: float | None = None,
) -> Reply:
    """One request, never redirected (the messengers' JSON client sends through it too)."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise PermanentDeliveryError(f"{provider}: the API URL must be http(s)")
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
    if timeout is None:
        timeout = float(conf.get("SMS_HTTP_TIMEOUT"))
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Reply(
                status=response.status,
                headers={k.lower(): v for k, v in response.headers.items()},
                body=response.read(MAX_REPLY_BYTES),
            )
    except urllib.error.HTTPError as exc:
        with exc:
            return Reply(
                status=exc.code,
                headers={k.lower(): v for k, v in (exc.headers or {}).items()},
                body=exc.read(MAX_REPLY_BYTES) if exc.fp else b"",
            )
    except TimeoutError as exc:
        raise TransientDeliveryError(f"{provider}: no answer within {timeout:g} s") from exc
    except urllib.error.URLError as exc:
        reason = getattr(exc.reason, "strerror", None) or exc.reason.__class__.__name__
        raise TransientDeliveryError(f"{provider}: unreachable ({reason})") from exc
    except OSError as exc:
        raise TransientDeliveryError(
            f"{provider}: connection error ({exc.__class__.__name__})"
        ) from exc
