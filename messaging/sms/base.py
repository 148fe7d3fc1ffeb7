from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SmsMessage:
    """What a backend sends. ``reference`` is the outbox row's UUID (an idempotency key for
    providers that take one); ``params`` are the plain context values for providers that fill
    their own registered templates."""

    to: str
    body: str
    kind: str = ""
    reference: str = ""
    language: str = ""
    params: dict = field(default_factory=dict)


class BaseSmsBackend:
    """Subclasses implement ``send``; they never log the body."""

    def __init__(self, **kwargs) -> None:
        self.options = kwargs

    def send(self, message: SmsMessage) -> str:
        raise NotImplementedError

    @classmethod
    def check_config(cls) -> list[str]:
        """Names of settings this backend needs and lacks (for the system check)."""
        return []
