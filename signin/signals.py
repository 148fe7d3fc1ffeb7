"""Signals other apps listen to (tickets, notices). Sent after the change commits.

``account_locked``: kwargs ``username`` (the account's username, or the typed name when no account
matches), ``user`` (or None), ``reference`` (``LK-XXXXX``), ``locked_until``.

``account_unlocked``: kwargs ``username``, ``user``, ``how`` (``"expired"``, ``"manual"``,
``"reset"``).

``sessions_ended``: kwargs ``user``, ``session_ids`` (the ``UserSession`` ids that ended: a
password change, "sign out all other sessions"). The single sign-on app ends the apps' sign-ins
made in them.
"""

import logging

from django.dispatch import Signal

log = logging.getLogger(__name__)

account_locked = Signal()
account_unlocked = Signal()
sessions_ended = Signal()


def lock_signal_send(signal, **kwargs) -> None:
    """Send ``account_locked`` or ``account_unlocked``: a receiver that fails is logged, the
    others still run."""
    # Imported here: sso.apps imports this module before the models are ready.
    from signin.models import Lock

    for receiver, result in signal.send_robust(sender=Lock, **kwargs):
        if isinstance(result, Exception):
            log.error("signin: receiver %s of a lock signal failed: %r", receiver, result)
