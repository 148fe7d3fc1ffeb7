"""Signals other apps listen to (the single sign-on app ends the person's app sign-ins).
Sent after the change commits.

``password_changed``: kwargs ``user``, ``reason`` (``"reset"``, ``"change"``, ``"expired"``, ...:
the flow that set it, as ``user_password_set`` was told).
"""

from django.dispatch import Signal

password_changed = Signal()
