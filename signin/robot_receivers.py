"""The security robot's receiver: one line, the work is in ``signin.lock_storm``."""

from __future__ import annotations

from signin.lock_storm import lock_storm_count


def on_account_locked(sender, *, reference=None, **kwargs) -> None:
    if reference:
        lock_storm_count(reference=reference)
