"""Writes on unlock requests: one guarded service per transition (keyword-only, typed, atomic,
each with an audit row). Split by concern:

- ``intake``: the employee files and replies (``ticket_create``, ``ticket_reply``);
- ``workflow``: claim, assign, ask for information, messages, resolve, reject, reopen;
- ``access``: verify the caller, unlock (dual control), send a password reset link;
- ``automatic``: lock-aware resolution and reopening from the sign-in signals.
"""

from tickets.services.access import (
    ticket_reset_send,
    ticket_unlock,
    ticket_unlock_approve,
    ticket_unlock_decline,
    ticket_verify_check,
    ticket_verify_send,
)
from tickets.services.automatic import (
    tickets_auto_resolve,
    tickets_reconcile_locks,
    tickets_relock,
)
from tickets.services.intake import (
    Filed,
    form_nonce_new,
    status_token_for,
    ticket_create,
    ticket_notify_received,
    ticket_reply,
    tickets_received_catch_up,
    token_hash,
)
from tickets.services.workflow import (
    ticket_ask_info,
    ticket_assign,
    ticket_claim,
    ticket_message,
    ticket_reject,
    ticket_reopen,
    ticket_resolve,
)

__all__ = [
    "Filed",
    "form_nonce_new",
    "status_token_for",
    "ticket_ask_info",
    "ticket_assign",
    "ticket_claim",
    "ticket_create",
    "ticket_message",
    "ticket_notify_received",
    "ticket_reject",
    "ticket_reopen",
    "ticket_reply",
    "ticket_reset_send",
    "ticket_resolve",
    "ticket_unlock",
    "ticket_unlock_approve",
    "ticket_unlock_decline",
    "ticket_verify_check",
    "ticket_verify_send",
    "tickets_auto_resolve",
    "tickets_received_catch_up",
    "tickets_reconcile_locks",
    "tickets_relock",
    "token_hash",
]
