"""Signals other apps listen to about the outbox (a higher app audits its own kinds with them).

Both are sent inside the transaction that records the outcome, so a receiver's audit row commits
with it. ``message_sent``: kwargs ``message`` (the row, as it was claimed). ``message_undelivered``:
kwargs ``message``, ``outcome`` (``"failed"`` or ``"expired"``) and ``error`` (already redacted).
"""

from django.dispatch import Signal

message_sent = Signal()
message_undelivered = Signal()
