"""Roles and the exact permissions each needs. ``roles_sync`` makes the groups match this file.

Each app that gives agents something to do lists its permissions here ("app_label.codename").
Agents see and act on tickets and locks only; they never edit users, groups or notices.
"""

HELPDESK_AGENTS = "Helpdesk agents"

ROLE_PERMISSIONS: dict[str, list[str]] = {
    HELPDESK_AGENTS: [
        "audit.view_auditevent",
        "tickets.view_ticket",
        "tickets.change_ticket",
        "tickets.unlock_account",
        "tickets.approve_unlock",
        "signin.view_lock",
        "signin.unlock_account",
        "messaging.view_outboxmessage",  # delivery state in the ticket timeline
        "notices.view_notice",
        "notices.view_faqentry",
        "reset.view_resetflow",  # follow up a caller's reset (state, counts; no keys)
        "reset.view_resetblock",  # resets paused after 20 wrong codes
        "reset.change_resetblock",  # lift one after checking the caller
        "access_pass.view_accesspass",  # the temporary passes (who issued, used, ended; no digest)
    ],
}
