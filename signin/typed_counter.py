"""The failures typed as one text: what the sign-in page's "attempts left" counts.

The lock comes from the account's counter (``signin.lockout``), which counts every spelling of
an account alike (its username, email address and phone number, in any case or format), so that
mixing them never buys more guesses. A warning read from that counter would tell an outsider
which spellings belong to one account: two failures as a username and a third as an email
address would warn "2 attempts left" only when the address is that username's. So the warning
counts the failures typed as the same text in its canonical form (``Identity.typed_key``), one
counter per text for real and unknown names alike, by the account counter's rules: a run with
no failure for the cool-off starts again, attempts refused unchecked are not counted, and an
ended lock (reset, agent) starts it again. For a name without an account it counts exactly what
the account counter does.

A failure is counted here when it happens (one statement, in the failure's transaction), not in
advance: nothing is held back by this counter, so concurrent failures need no slack.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache

from django.db import connection

from accounts.identifiers import identifier_canonical
from signin import conf
from signin.models import TYPED, FailureCounter


def typed_count(*, typed_key: str, now: datetime) -> int:
    """Count one failure typed as ``typed_key``; returns its place in the run."""
    stale = now - conf.cooloff()
    with connection.cursor() as cursor:
        cursor.execute(_count_sql(), [TYPED, typed_key, now, now, stale, stale, now, now])
        (number,) = cursor.fetchone()
    return number


def typed_counts_end(*, typed_keys: Iterable[str]) -> None:
    """Start these texts' runs again (a lock on their account ended early)."""
    FailureCounter.objects.filter(
        scope=TYPED, key__in=sorted(set(typed_keys)), failures__gt=0
    ).update(failures=0, window_started_at=None)


def typed_keys_of(user) -> set[str]:
    """The texts an account is typed as, canonical: its username, email address, phone number."""
    spellings = (user.get_username(), user.email, user.phone)
    return {identifier_canonical(str(text)) for text in spellings if text}


@lru_cache(maxsize=2)
def _count_sql() -> str:
    table = connection.ops.quote_name(FailureCounter._meta.db_table)
    # Only our own table name is interpolated; values are parameters.
    return f"""
INSERT INTO {table} (scope, key, browser, failures, window_started_at, last_failure_at,
                     last_lock_minutes)
VALUES (%s, %s, '', 1, %s, %s, 0)
ON CONFLICT (scope, key, browser) DO UPDATE SET
  failures = CASE WHEN {table}.last_failure_at <= %s THEN 1 ELSE {table}.failures + 1 END,
  window_started_at = CASE
    WHEN {table}.last_failure_at <= %s OR {table}.failures = 0 THEN %s
    ELSE {table}.window_started_at END,
  last_failure_at = %s
RETURNING failures
"""  # noqa: S608
