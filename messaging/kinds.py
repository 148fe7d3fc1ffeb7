"""Each message kind's priority class, which decides what it may spend.

- ``code``: a code or one-time link someone is waiting for right now (reset, verification).
  May use every SMS cap whole; never counted against the per-account notice cap (the codes
  module caps codes itself).
- ``security``: tells the owner something happened to the account (a lock, a new sign-in, a
  changed password or contact, a blocked reset). Stops at ``SMS_SHARE_SECURITY_PERCENT`` of each
  SMS cap, so codes always keep the rest.
- ``courtesy``: everything else (ticket receipts and updates, reminders). Stops at
  ``SMS_SHARE_COURTESY_PERCENT`` of each SMS cap and at ``MESSAGING_COURTESY_PER_ACCOUNT_HOUR``
  notices per account, so a flood of them leaves room for both classes above.

A kind's templates live in its app (``messages/<kind>/``); its class is declared here, in
``KIND_PRIORITIES`` (a deployment may add to it with the ``MESSAGING_KIND_PRIORITIES`` setting),
or passed by the caller (``priority=``, which wins). A kind declared nowhere is courtesy: a new
kind can never eat what codes need by being forgotten (``manage.py check`` warns about it).
"""

from __future__ import annotations

from enum import StrEnum

from messaging import conf


class Priority(StrEnum):
    CODE = "code"
    SECURITY = "security"
    COURTESY = "courtesy"


KIND_PRIORITIES: dict[str, Priority] = {
    # accounts
    "reset_code": Priority.CODE,
    "verification_code": Priority.CODE,
    "contact_code": Priority.CODE,
    "reset_invite": Priority.CODE,  # an agent's one-time reset link
    "unlock_code": Priority.CODE,  # reset: the lock page's unlock with a code
    "account_password_changed": Priority.SECURITY,
    "contact_changed": Priority.SECURITY,
    "reset_blocked": Priority.SECURITY,
    "account_self_unlocked": Priority.SECURITY,  # reset: unlocked with a code
    "two_step_enabled": Priority.SECURITY,
    "two_step_disabled": Priority.SECURITY,
    # passkeys: the owner told of each passkey added or removed
    "passkey_added": Priority.SECURITY,
    "passkey_removed": Priority.SECURITY,
    # access_pass: the helpdesk's temporary access pass, and the owner's notice of it
    "access_pass_code": Priority.CODE,
    "access_pass_notice": Priority.SECURITY,
    # signin
    "signin_locked": Priority.SECURITY,
    "signin_unlocked": Priority.SECURITY,
    "signin_new_browser": Priority.SECURITY,
    "password_expiry_reminder": Priority.COURTESY,
    # sso: a back-channel logout token POSTed to an app (no SMS, no notice cap)
    "sso_backchannel_logout": Priority.SECURITY,
    # tickets
    "ticket_received": Priority.COURTESY,
    "ticket_update": Priority.COURTESY,
    # messaging
    "messaging_test": Priority.COURTESY,
    # accounts: the code that verifies a messenger id (WeCom, DingTalk, Feishu)
    "messenger_code": Priority.CODE,
    # group robots (messaging.messengers.robots; never a code)
    "robot_test": Priority.COURTESY,
    "robot_unlock_request": Priority.COURTESY,
    "robot_sla_breach": Priority.COURTESY,
    "robot_notice_published": Priority.COURTESY,
    "robot_notice_started": Priority.COURTESY,
    "robot_notice_changed": Priority.COURTESY,
    "robot_notice_ended": Priority.COURTESY,
    "robot_lock_storm": Priority.SECURITY,
}


def declared_priorities() -> dict[str, Priority]:
    extra = {kind: Priority(value) for kind, value in conf.get("MESSAGING_KIND_PRIORITIES").items()}
    return {**KIND_PRIORITIES, **extra}


def kind_priority(kind: str, priority: str | None = None) -> Priority:
    """The class ``kind`` is sent with: the caller's ``priority`` if given, else its declared
    one, else courtesy. An unknown ``priority`` is a programming error (``ValueError``)."""
    if priority is not None:
        try:
            return Priority(priority)
        except ValueError:
            raise ValueError(f"unknown message priority {priority!r}") from None
    return declared_priorities().get(kind, Priority.COURTESY)
