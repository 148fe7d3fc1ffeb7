"""A JSON client for the messenger APIs (standard library only, never following a redirect).

Network trouble is a ``TransientDeliveryError``; an answer of any HTTP status is returned with
its JSON body for the provider's module to read (each speaks in ``errcode`` or ``code``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from messaging import conf
from messaging.sms import http


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
    data = None
    sent = {"Accept": "application/json", "User-Agent": "account-portal"}
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        sent["Content-Type"] = "application/json; charset=utf-8"
    sent.update(headers or {})
    timeout = float(conf.get("MESSENGER_HTTP_TIMEOUT"))
    reply = http.send(method, url, data=data, headers=sent, provider=provider, timeout=timeout)
    return Answer(status=reply.status, headers=reply.headers, data=reply.json())
