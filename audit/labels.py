"""Words for audit events, for the people who read the trail (agents, admins)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EVENT_LABELS = {
    "signin.succeeded": _("Signed in"),
    "signin.failed": _("Sign-in failed"),
    "signin.refused": _("Sign-in refused (locked)"),
    "signin.locked": _("Account locked"),
    "signin.unlocked": _("Account unlocked"),
    "signin.auto_unlocked": _("Lock ended by itself"),
    "signin.ip_unblocked": _("IP address unblocked"),
    "signin.signed_out": _("Signed out"),
    "signin.session_expired": _("Session expired"),
    "account.password_changed": _("Password changed"),
    "account.password_change_refused": _("Password change refused"),
    "account.sessions_ended": _("Other sessions ended"),
    "reset.requested": _("Password reset requested"),
    "reset.code_verified": _("Reset code accepted"),
    "reset.code_failed": _("Wrong reset code"),
    "reset.code_withheld": _("Reset code not sent"),
    "reset.resend_requested": _("Reset code sent again"),
    "reset.second_factor_verified": _("Reset: two-step code accepted"),
    "reset.completed": _("Password reset completed"),
    "reset.refused": _("Reset refused"),
    "reset.blocked": _("Self-service reset blocked"),
    "reset.block_lifted": _("Reset block lifted"),
    "reset.unlock_requested": _("Unlock code requested"),
    "reset.self_unlocked": _("Account unlocked with a code (password kept)"),
    "reset.invite_sent": _("Reset link sent by the helpdesk"),
    "code.sent": _("Code sent"),
    "code.refused": _("Code not sent"),
    "code.verified": _("Code accepted"),
    "contact.change_requested": _("Contact change requested"),
    "contact.changed": _("Recovery contact changed"),
    "contact.change_refused": _("Contact change refused"),
    "contact.code_failed": _("Wrong contact code"),
    "contact.prompt_skipped": _("Add-a-contact prompt skipped"),
    "twostep.enabled": _("Two-step sign-in turned on"),
    "twostep.disabled": _("Two-step sign-in turned off"),
    "twostep.removed": _("Authenticator removed"),
    "twostep.session_failed": _("Wrong two-step code"),
    "messaging.failed": _("Message could not be delivered"),
    "messaging.sms_blocked": _("Text message blocked by the limits"),
    "messaging.messenger_blocked": _("Messenger message blocked by the limits"),
    "messaging.robot_saved": _("Group robot saved"),
    "messaging.robot_tested": _("Group robot test message sent"),
    "messenger.verified": _("Messenger id linked"),
    "messenger.code_failed": _("Wrong messenger code"),
    "messenger.refused": _("Messenger id refused (linked to another account)"),
    "messenger.removed": _("Messenger id removed"),
    "ticket.created": _("Unlock request filed"),
    "ticket.caller_verified": _("Caller verified"),
    "ticket.verify_failed": _("Caller verification failed"),
    "ticket.unlocked": _("Unlocked by the helpdesk"),
    "ticket.reset_link_sent": _("Reset link sent by the helpdesk"),
    "ticket.auto_resolved": _("Request resolved automatically"),
    "ticket.reopened": _("Request reopened"),
    "ticket.rejected": _("Request rejected"),
    "signin.ip_blocked": _("IP address blocked"),
    "signin.lock_storm": _("Lock storm: many accounts locked from one network"),
    "contact.old_not_told": _("Old contact not told of the change"),
    "twostep.admin_verified": _("Two-step code accepted at the admin"),
    "twostep.session_verified": _("Two-step code accepted"),
    "twostep.backup_refused": _("Backup code refused"),
    "twostep.backup_regenerated": _("New backup codes made"),
    "twostep.disable_refused": _("Turning off two-step sign-in refused"),
    "twostep.enroll_failed": _("Authenticator setup failed"),
    "messaging.notice_capped": _("Notice not sent (too many this hour)"),
    "messaging.retry_requested": _("Message retry requested"),
    "notices.notice_created": _("Notice created"),
    "notices.notice_published": _("Notice published"),
    "notices.notice_ended": _("Notice ended"),
    "notices.notice_deleted": _("Notice deleted"),
    "notices.faq_created": _("Help entry created"),
    "notices.faq_deleted": _("Help entry deleted"),
    "notices.lock_status_refused": _("Lock-status request refused"),
    "ticket.claimed": _("Request claimed"),
    "ticket.assigned": _("Request assigned"),
    "ticket.replied": _("Reply to the request"),
    "ticket.info_requested": _("More information asked of the caller"),
    "ticket.message_shared": _("Message shared with the caller"),
    "ticket.resolved": _("Request resolved"),
    "ticket.verify_code_sent": _("Caller verification code sent"),
    "ticket.rate_limited": _("Unlock request refused (too many)"),
    "ticket.spam_blocked": _("Unlock request refused (spam check)"),
    "ticket.unlock_requested": _("Unlock waiting for a second agent"),
    "ticket.unlock_declined": _("Unlock declined by the second agent"),
    "ticket.account_limited": _("Unlock request over the account's limit (nobody messaged)"),
    "sso.token_issued": _("App sign-in: token issued"),
    "sso.token_refused": _("App sign-in: token refused"),
    "sso.token_revoked": _("App sign-in: tokens revoked"),
    "sso.logout_sent": _("App sign-in: logout sent to the app"),
    "sso.logout_failed": _("App sign-in: logout could not be delivered to the app"),
    "sso.agent_signout": _("App sign-in: signed out of apps by an agent"),
    "ticket.app_signout": _("Agent signed the employee out of apps"),
    "ticket.pass_requested": _("Temporary pass asked for (waiting for a second agent)"),
    "ticket.pass_approved": _("Temporary pass approved by a second agent"),
    "ticket.pass_declined": _("Temporary pass declined by the second agent"),
    "ticket.pass_issued": _("Temporary pass issued by the helpdesk"),
    "ticket.pass_revoked": _("Temporary pass revoked by the helpdesk"),
    "access_pass.requested": _("Temporary pass asked for"),
    "access_pass.approved": _("Temporary pass approved"),
    "access_pass.declined": _("Temporary pass declined"),
    "access_pass.issued": _("Temporary pass issued"),
    "access_pass.sent": _("Temporary pass sent"),
    "access_pass.revoked": _("Temporary pass revoked"),
    "access_pass.used": _("Signed in with a temporary pass"),
    "access_pass.failed": _("Wrong temporary pass"),
    "access_pass.expired": _("Temporary pass expired"),
    "access_pass.refused": _("Temporary pass refused (too many wrong ones)"),
    "access_pass.completed": _("New password or passkey set up after a temporary pass"),
    "directory.account_created": _("Account made from the company directory"),
    "directory.account_disabled": _("Account switched off by the company directory"),
    "directory.account_enabled": _("Account switched on again by the company directory"),
    "directory.password_written": _("New password written to the company directory"),
    "directory.unlocked": _("Company directory lock lifted"),
}


def event_label(event: str) -> str:
    """The event in words, or its dotted name when it has none yet."""
    return str(EVENT_LABELS.get(event, event))


def detail_value(value) -> str:
    """One value of an audit row's details, readable: local times, yes/no."""
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and "T" in value:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return ", ".join(detail_value(v) for v in value)
    return str(value)


def details_text(data) -> str:
    """An audit row's data as ``key: value`` pairs (never secrets: audit refuses them)."""
    if not isinstance(data, dict):
        return ""
    return ", ".join(
        f"{key}: {detail_value(value)}"
        for key, value in data.items()
        if value not in ("", None, [], {})
    )
