"""Signals other apps listen to (tickets, notices). Sent after the change commits.

``account_locked``: kwargs ``username`` (the account's username, or the typed name when no account
matches), ``user`` (or None), ``reference`` (``LK-XXXXX``), ``locked_until``.

``account_unlocked``: kwargs ``username``, ``user``, ``how`` (``"expired"``, ``"manual"``,
``"reset"``).

``sessions_ended``: kwargs ``user``, ``session_ids`` (the ``UserSession`` ids that ended: a
password change, "sign out all other sessions"). The single sign-on app ends the apps' sign-ins
made in them.
"""

from django.dispatch import Signal

account_locked = Signal()
account_unlocked = Signal()
sessions_ended = Signal()
