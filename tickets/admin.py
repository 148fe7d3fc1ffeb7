"""The agents' side in the Django admin: the queue and the ticket page with its actions.

Agents never edit a request's fields: every change is an action button that calls one service
(``tickets.admin_actions``). The queue reads the account's lock state in the same query as the
rows, so a page costs the same number of queries whatever the number of requests.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import F
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.admin_mixins import ReadOnlyAdminMixin
from tickets import admin_actions, selectors
from tickets.admin_queue import (
    AssigneeFilter,
    CappedCountPaginator,
    LockedNowFilter,
    SlaFilter,
    StatusFilter,
    search,
)
from tickets.errors import TicketError
from tickets.labels import SLA_LABELS
from tickets.models import Ticket
from tickets.services import ticket_claim


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "status_display",
        "age",
        "sla",
        "assignee",
        "account",
        "lock_now",
        "lock_ref",
    ]
    list_display_links = ["reference"]
    list_filter = [StatusFilter, AssigneeFilter, SlaFilter, LockedNowFilter]
    search_fields = ["reference"]  # shows the search box; ``get_search_results`` does the work
    search_help_text = _("Reference (UNL-...), lock reference (LK-...) or username / email.")
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # facet counts would count the whole table
    paginator = CappedCountPaginator
    list_per_page = 50
    # Open requests by their next deadline, then everything else newest first: the order of the
    # (due_at, -id) indexes, so a page reads 50 index entries however many requests exist.
    ordering = [F("due_at").asc(nulls_last=True), "-id"]
    actions = ["claim_selected"]
    change_form_template = "admin/tickets/ticket/change_form.html"

    class Media:
        css = {"all": ["tickets/tickets_admin.css"]}

    # Requests come only from employees; nobody deletes the record; agents change them.
    admin_may_change = True

    # --- the queue ----------------------------------------------------------------------------
    def get_queryset(self, request):
        return selectors.queue_queryset()

    def get_search_results(self, request, queryset, search_term):
        return search(queryset, search_term), False

    def get_changelist(self, request, **kwargs):
        from django.contrib.admin.views.main import ChangeList

        class QueueChangeList(ChangeList):
            def get_results(self, request):
                super().get_results(request)
                self.now = timezone.now()
                self.count_capped = self.paginator.capped

        return QueueChangeList

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj):
        return format_html(
            '<span class="tk-status tk-{}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description=_("age"), ordering="created_at")
    def age(self, obj):
        return timesince(obj.created_at, depth=1)

    @admin.display(description=_("SLA"), ordering="due_at")
    def sla(self, obj):
        state = selectors.ticket_sla_state(ticket=obj)
        due = obj.due_at
        title = timezone.localtime(due).strftime("%Y-%m-%d %H:%M") if due else ""
        return format_html(
            '<span class="tk-sla tk-sla-{}" title="{}">{}</span>', state, title, SLA_LABELS[state]
        )

    @admin.display(description=_("account"), ordering="account_key")
    def account(self, obj):
        if obj.user_id is None:
            return format_html(
                '{} <span class="tk-flag tk-unknown">{}</span>', obj.username, _("no such account")
            )
        flag = ""
        if obj.user.is_staff or obj.user.is_superuser:
            flag = format_html(' <span class="tk-flag tk-privileged">{}</span>', _("privileged"))
        if obj.over_account_limit:
            flag = format_html(
                '{} <span class="tk-flag tk-unknown">{}</span>', flag, _("over the limit")
            )
        return format_html("{}{}", obj.user.get_username(), flag)

    @admin.display(description=_("locked now"))
    def lock_now(self, obj):
        if not getattr(obj, "locked_now", False):
            return format_html('<span class="tk-lock-no">{}</span>', _("no"))
        until = timezone.localtime(obj.locked_until_now).strftime("%H:%M")
        return format_html(
            '<span class="tk-lock-yes">{}</span>', _("until %(time)s") % {"time": until}
        )

    @admin.display(description=_("lock reference"), ordering="lock_reference")
    def lock_ref(self, obj):
        """The reference the employee brought, else the account's current lock."""
        return obj.lock_reference or getattr(obj, "lock_reference_now", None) or "-"

    @admin.action(description=_("Claim the selected requests"), permissions=["change"])
    def claim_selected(self, request, queryset):
        done, refused = 0, 0
        for ticket in queryset.order_by("id")[:200]:
            try:
                ticket_claim(ticket=ticket, agent=request.user)
                done += 1
            except TicketError:
                refused += 1
        if done:
            self.message_user(
                request,
                ngettext("%(n)d request is now yours.", "%(n)d requests are now yours.", done)
                % {"n": done},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(
                request,
                ngettext(
                    "%(n)d request could not be claimed (closed or already yours).",
                    "%(n)d requests could not be claimed (closed or already yours).",
                    refused,
                )
                % {"n": refused},
                messages.WARNING,
            )

    # --- the ticket page ----------------------------------------------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/act/<slug:action>/",
                self.admin_site.admin_view(self.act_view),
                name=f"{info[0]}_{info[1]}_act",
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            # The page has no editable fields: every change goes through an action.
            return self.act_view(request, object_id, "")
        ticket = self.get_object(request, object_id)
        if ticket is None or not self.has_view_permission(request, ticket):
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        context = {
            **self.admin_site.each_context(request),
            **admin_actions.page_context(request, ticket, self),
            "opts": self.opts,
            "title": ticket.reference,
            "original": ticket,
            "has_view_permission": True,
        }
        return TemplateResponse(request, self.change_form_template, context)

    def act_view(self, request, object_id, action):
        return admin_actions.act(self, request, object_id, action)
