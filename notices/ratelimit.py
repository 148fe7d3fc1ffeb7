"""Fixed-window counters in the shared cache (Redis in production), never per process."""

from __future__ import annotations

import logging
import time

from django.core.cache import cache

logger = logging.getLogger(__name__)


def _key(name: str, window: int) -> str:
    return f"notices:rl:{name}:{int(time.time() // window)}"


def ratelimit_hit(*, name: str, limit: int, window: int) -> bool:
    """Count one hit; True while the window's count stays within ``limit``."""
    key = _key(name, window)
    try:
        if cache.add(key, 1, window + 5):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, window + 5)
                count = 1
    except Exception:
        logger.warning("notices: rate-limit cache unavailable; allowing the request")
        return True
    return count <= limit


def ratelimit_count(*, name: str, window: int) -> int:
    try:
        return int(cache.get(_key(name, window)) or 0)
    except Exception:
        return 0
