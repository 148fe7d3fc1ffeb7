"""What a messenger answer means for the outbox, beyond the base delivery errors."""

from __future__ import annotations

from messaging.errors import TransientDeliveryError


class Throttled(TransientDeliveryError):
    """Not sent now because of a rate limit, ours (pacing) or the provider's answer: the row
    goes back to the queue for ``retry_after`` seconds without using one of its attempts (its
    expiry still bounds how long it waits)."""

    counts_attempt = False


class TokenRejected(TransientDeliveryError):
    """The provider refused the access token (expired, invalid): fetch a new one and try once
    more at once."""
