"""A JSON client for the messenger APIs (standard library only, never following a redirect).

Network trouble is a ``TransientDeliveryError``; an answer of any HTTP status is returned with
its JSON body for the provider's module to read (each speaks in ``errcode`` or ``code``).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from messaging import conf
from messaging.errors import PermanentDeliveryError, TransientDeliveryError
from messaging.sms.http import MAX_REPLY_BYTES


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a messenger API never redirects
        return None


_opener = urllib.request.build_opener(NoRedirect)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    data: dict

    def number(self, name: str) -> int | None:
        """An integer field of the body (``errcode``, ``code``), ``None`` when absent."""
        value = self.data.get(name)
        try:
            return int(value) if value is not None else None
        except (TypeError, ValueError):
            return None


def call(
    method: str,
    url: str,
    *,
    provider: str,
    body: dict | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    if urlsplit(url).scheme not in {"http", "https"}:
        raise PermanentDeliveryError(f"{provider}: the API URL must be http(s)")
    data = None
    sent = {"Accept": "application/json", "User-Agent": "account-portal"}
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        sent["Content-Type"] = "application/json; charset=utf-8"
    sent.update(headers or {})
    request = urllib.request.Request(url, data=data, headers=sent, method=method)  # noqa: S310
    timeout = float(conf.get("MESSENGER_HTTP_TIMEOUT"))
    try:
        with _opener.open(request, timeout=timeout) as response:
            return _answer(response.status, response.headers, response.read(MAX_REPLY_BYTES))
    except urllib.error.HTTPError as exc:
        with exc:
            raw = exc.read(MAX_REPLY_BYTES) if exc.fp else b""
            return _answer(exc.code, exc.headers or {}, raw)
    except TimeoutError as exc:
        raise TransientDeliveryError(f"{provider}: no answer within {timeout:g} s") from exc
    except urllib.error.URLError as exc:
        reason = getattr(exc.reason, "strerror", None) or exc.reason.__class__.__name__
        raise TransientDeliveryError(f"{provider}: unreachable ({reason})") from exc
    except OSError as exc:
        raise TransientDeliveryError(
            f"{provider}: connection error ({exc.__class__.__name__})"
        ) from exc


def _answer(status: int, headers, raw: bytes) -> Answer:
    try:
        data = json.loads(raw.decode("utf-8", "replace") or "{}")
    except ValueError:
        data = {}
    return Answer(
        status=status,
        headers={k.lower(): v for k, v in headers.items()},
        data=data if isinstance(data, dict) else {},
    )
