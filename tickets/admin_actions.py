"""The ticket page's action buttons: each a small form posted to ``.../act/<action>/`` that calls
one service. Errors of the service (wrong status, missing verification, same agent) come back
to the page as messages; nothing here decides anything."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access_pass import conf as access_pass_conf
from access_pass.selectors import pass_live
from directory.selectors import directory_lock_view
from sso.selectors import app_signins_for_user, apps_signed_in_for_user
from tickets import conf, selectors, services
from tickets.errors import TicketError
from tickets.forms import (
    AppSignoutForm,
    AssignForm,
    ChannelForm,
    CodeForm,
    MessageForm,
    PassIssueForm,
    RequiredTextForm,
    TextForm,
    UnlockForm,
)
from tickets.labels import SLA_LABELS
from tickets.models import Ticket
from tickets.services import passes
from tickets.services._common import ALLOWED_FROM
from tickets.services.apps import ticket_app_signout


@dataclass(frozen=True)
class Action:
    form: type[forms.Form] | None
    perm: str
    call: Any  # (ticket, agent, cleaned_data, request) -> Ticket
    done: Any  # success message


ACTIONS: dict[str, Action] = {
    "claim": Action(
        None,
        "tickets.change_ticket",
        lambda t, a, d, r: services.ticket_claim(ticket=t, agent=a),
        gettext_lazy("The request is yours."),
    ),
    "assign": Action(
        AssignForm,
        "tickets.change_ticket",
        lambda t, a, d, r: services.ticket_assign(ticket=t, agent=a, assignee=d["assignee"]),
        gettext_lazy("The request was assigned."),
    ),
    "verify_send": Action(
        ChannelForm,
        "tickets.change_ticket",
        lambda t, a, d, r: services.ticket_verify_send(
            ticket=t, agent=a, channel=d["channel"], request=r
        ),
        gettext_lazy("A code is on its way. Ask the caller to read it out to you."),
    ),
    "verify_check": Action(
        CodeForm,
        "tickets.change_ticket",
        lambda t, a, d, r: services.ticket_verify_check(
            ticket=t, agent=a, code=d["code"], request=r
        ),
        gettext_lazy("The caller is verified."),
    ),
    "unlock": Action(
        UnlockForm,
        "tickets.unlock_account",
        lambda t, a, d, r: services.ticket_unlock(ticket=t, agent=a, reason=d["reason"], request=r),
        None,  # depends on dual control, see _done()
    ),
    "approve": Action(
        None,
        "tickets.approve_unlock",
        lambda t, a, d, r: services.ticket_unlock_approve(ticket=t, agent=a, request=r),
        gettext_lazy("Approved: the account is unlocked and the request resolved."),
    ),
    "decline": Action(
        RequiredTextForm,
        "tickets.approve_unlock",
        lambda t, a, d, r: services.ticket_unlock_decline(ticket=t, agent=a, reason=d["text"]),
        gettext_lazy("The unlock was declined; the request is back in progress."),
    ),
    "reset": Action(
        ChannelForm,
        "tickets.change_ticket",
        lambda t, a, d, r: services.ticket_reset_send(
            ticket=t, agent=a, channel=d["channel"], request=r
        ),
        gettext_lazy("A password reset link was sent to the employee."),
    ),
    "ask_info": Action(
        RequiredTextForm,
        "tickets.change_ticket",
        lambda t, a, d, r: services.ticket_ask_info(ticket=t, agent=a, message=d["text"]),
        gettext_lazy("Your question was sent; the request waits for the employee."),
    ),
    "message": Action(
        MessageForm,
        "tickets.change_ticket",
        lambda t, a, d, r: services.ticket_message(
            ticket=t, agent=a, body=d["text"], public=d["public"]
        ),
        gettext_lazy("Added."),
    ),
    "resolve": Action(
        TextForm,
        "tickets.change_ticket",
        lambda t, a, d, r: services.ticket_resolve(ticket=t, agent=a, note=d["text"]),
        gettext_lazy("The request is resolved."),
    ),
    "reject": Action(
        RequiredTextForm,
        "tickets.change_ticket",
        lambda t, a, d, r: services.ticket_reject(ticket=t, agent=a, reason=d["text"]),
        gettext_lazy("The request is rejected."),
    ),
    "app_signout": Action(
        AppSignoutForm,
        "tickets.change_ticket",
        lambda t, a, d, r: ticket_app_signout(ticket=t, agent=a, client_pk=d["app"], request=r),
        gettext_lazy("Signed out: the apps were told and their tokens revoked."),
    ),
    "pass_issue": Action(
        PassIssueForm,
        "tickets.unlock_account",
        lambda t, a, d, r: passes.ticket_pass_issue(
            ticket=t, agent=a, delivery=d["delivery"], request=r
        ),
        None,  # shown, sent or waiting for approval: see pass_done()
    ),
    "pass_approve": Action(
        None,
        "tickets.approve_unlock",
        lambda t, a, d, r: passes.ticket_pass_approve(ticket=t, agent=a, request=r),
        gettext_lazy("Approved: the other agent can now issue the pass."),
    ),
    "pass_decline": Action(
        RequiredTextForm,
        "tickets.approve_unlock",
        lambda t, a, d, r: passes.ticket_pass_decline(
            ticket=t, agent=a, reason=d["text"], request=r
        ),
        gettext_lazy("The temporary pass was declined."),
    ),
    "pass_revoke": Action(
        None,
        "tickets.unlock_account",
        lambda t, a, d, r: passes.ticket_pass_revoke(ticket=t, agent=a, request=r),
        gettext_lazy("The temporary pass was revoked: it no longer works."),
    ),
    "reopen": Action(
        TextForm,
        "tickets.change_ticket",
        lambda t, a, d, r: services.ticket_reopen(ticket=t, agent=a, note=d["text"]),
        gettext_lazy("The request is open again."),
    ),
}


def _done(action: str, ticket: Ticket) -> str:
    if action == "unlock" and ticket.status == "approval":
        return _("This account is privileged: another agent must now approve the unlock.")
    if action == "unlock":
        return _("The account is unlocked and the request resolved.")
    return str(ACTIONS[action].done)


def act(model_admin, request, object_id, action: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    spec = ACTIONS.get(action)
    ticket = model_admin.get_object(request, object_id)
    if ticket is None:
        return model_admin._get_obj_does_not_exist_redirect(request, model_admin.opts, object_id)
    if spec is None or not model_admin.has_change_permission(request, ticket):
        raise PermissionDenied
    if not request.user.has_perm(spec.perm):
        raise PermissionDenied
    back = HttpResponseRedirect(
        reverse(
            "admin:tickets_ticket_change", args=[ticket.pk], current_app=model_admin.admin_site.name
        )
    )
    data: dict = {}
    if spec.form is not None:
        form = spec.form(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return back
        data = form.cleaned_data
    try:
        ticket = spec.call(ticket, request.user, data, request)
    except TicketError as exc:
        messages.error(request, str(exc))
        return back
    if action == "pass_issue":
        return pass_done(model_admin, request, back, *ticket)
    messages.success(request, _done(action, ticket))
    return back


def pass_done(model_admin, request, back, ticket: Ticket, issued):
    """A pass shown to the agent is on this one page, never stored, never cached; a sent one, or
    one waiting for approval, is a message on the ticket page."""
    if issued is None:
        messages.success(
            request, _("This account is privileged: another agent must now approve the pass.")
        )
        return back
    if issued.secret is None:
        messages.success(
            request,
            _("The pass was sent to %(to)s. It works once, until %(until)s.")
            % {
                "to": issued.access_pass.delivered_to,
                "until": localtime(issued.access_pass.expires_at).strftime("%H:%M"),
            },
        )
        return back
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "ticket": ticket,
        "title": ticket.reference,
        "secret": issued.secret,
        "access_pass": issued.access_pass,
        "back_url": back.url,
    }
    response = TemplateResponse(request, "admin/tickets/ticket/pass_shown.html", context)
    add_never_cache_headers(response)
    return response


def page_context(request, ticket: Ticket, model_admin) -> dict:
    """Everything the ticket page shows: the request, its timeline, the account timeline, the
    lock now, and which actions this agent may take in the current status."""
    user = request.user
    can_change = model_admin.has_change_permission(request, ticket)
    known = ticket.user_id is not None
    own = ticket.user_id == user.pk
    sla_state = selectors.ticket_sla_state(ticket=ticket)

    def may(transition: str) -> bool:  # the services' status machine decides, not a copy of it
        return ticket.status in ALLOWED_FROM[transition]

    allowed = {
        "claim": can_change and may("claim") and ticket.assignee_id != user.pk,
        "assign": can_change and may("assign"),
        "verify": can_change and may("verify") and known and not own and not ticket.is_verified,
        "unlock": can_change
        and may("unlock")
        and known
        and not own
        and user.has_perm("tickets.unlock_account"),
        "approve": may("approve")
        and user.has_perm("tickets.approve_unlock")
        and ticket.unlock_requested_by_id != user.pk,
        "reset": can_change and may("reset") and known and not own,
        "ask_info": can_change and may("ask_info"),
        "message": can_change and may("message"),
        "resolve": can_change and may("resolve"),
        "reject": can_change and may("reject"),
        "reopen": can_change and may("reopen"),
        "app_signout": can_change and known and not own,
        "pass": can_change
        and may("pass")
        and known
        and not own
        and user.has_perm("tickets.unlock_account"),
        "pass_approve": may("pass")
        and known
        and not own
        and user.has_perm("tickets.approve_unlock"),
    }
    return {
        "ticket": ticket,
        "events": ticket.events.select_related("actor").order_by("created_at", "id"),
        "timeline": selectors.account_timeline(ticket=ticket),
        "lock": selectors.ticket_lock_now(ticket=ticket),
        "directory_lock": directory_lock_view(user=ticket.user) if known else None,
        "sla_state": sla_state,
        "sla_label": SLA_LABELS[sla_state],
        "text_max": conf.get("TICKETS_TEXT_MAX_LENGTH"),
        "other_open": list(selectors.open_tickets_for_account(ticket=ticket)[:10]),
        "allowed": allowed,
        "forms": {"assign": AssignForm(), "code": CodeForm(), "message": MessageForm()},
        # The account's sign-ins to apps through the portal (client, time, IP, browser) and
        # the apps it is signed in to now, for "sign out of this app / of all apps".
        "app_signins": app_signins_for_user(user=ticket.user, limit=20) if known else [],
        "apps_now": apps_signed_in_for_user(user=ticket.user) if known else [],
        "access_pass": pass_live(user=ticket.user) if known else None,
        "pass_ttl_minutes": access_pass_conf.get("ACCESS_PASS_TTL_SECONDS") // 60,
    }
