"""The agents' queue: list filters, search and a paginator that stay fast at 100 000 requests."""

from __future__ import annotations

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from accounts.models import normalize_identifier
from tickets import conf, selectors
from tickets.models import TicketStatus


class CappedCountPaginator(Paginator):
    """Counts at most TICKETS_QUEUE_COUNT_CAP rows (one bounded ``COUNT`` over an index), so a
    page of a 100 000-row queue costs the same as a page of a 1 000-row one. Beyond the cap the
    queue says "10000+" and agents narrow it with filters or search."""

    @cached_property
    def cap(self) -> int:
        return conf.get("TICKETS_QUEUE_COUNT_CAP")

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by().values("pk")[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class StatusFilter(admin.SimpleListFilter):
    """Open requests by default; each status; or everything."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("all", _("All")), *TicketStatus.choices]

    def queryset(self, request, queryset):
        value = self.value()
        if value in (None, "open"):
            return queryset.filter(selectors.open_q())
        if value in TicketStatus.values:
            return queryset.filter(status=value)
        return queryset

    def choices(self, changelist):
        value = self.value()
        yield {
            "selected": value in (None, "open"),
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Open"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": value == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assignee")
    parameter_name = "assignee"

    def lookups(self, request, model_admin):
        agents = [(str(a.pk), a.get_username()) for a in selectors.agents()]
        return [("me", _("Me")), ("none", _("Nobody")), *agents]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(selectors.assigned_to_q(user=request.user))
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        # ASCII digits that fit a database integer ("²".isdigit() is true, int("²") fails).
        if value and value.isascii() and value.isdigit() and len(value) <= 18:
            return queryset.filter(assignee_id=int(value))
        return queryset


class SlaFilter(admin.SimpleListFilter):
    title = _("SLA")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [
            ("breached", _("Breached")),
            ("near", _("Near breach")),
            ("ok", _("On time")),
            ("paused", _("Waiting for the employee")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        value = self.value()
        if value == "breached":
            return queryset.filter(selectors.sla_breached_q(now))
        if value == "near":
            return queryset.filter(selectors.sla_near_q(now))
        if value == "ok":
            return queryset.filter(selectors.sla_ok_q(now))
        if value == "paused":
            return queryset.filter(status=TicketStatus.WAITING)
        return queryset


class LockedNowFilter(admin.SimpleListFilter):
    title = _("account locked now")
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(selectors.locked_now_q())
        if self.value() == "no":
            return queryset.exclude(selectors.locked_now_q())
        return queryset


def search(queryset, term: str):
    """Reference (``UNL-...``), lock reference (``LK-...``, also locks the employee did not
    type) or username/email prefix: each an indexed lookup, never a table scan."""
    term = (term or "").strip()[:254]
    if not term:
        return queryset
    upper = term.upper()
    if upper.startswith("UNL-"):
        return queryset.filter(reference__startswith=upper)
    if upper.startswith("LK-"):
        keys = selectors.lock_keys_for_reference(reference=upper)
        return queryset.filter(Q(lock_reference=upper) | Q(account_key__in=keys))
    key = normalize_identifier(term)
    by_name = Q(account_key__startswith=key) | Q(username__startswith=key)
    if "@" in key:
        by_name |= Q(user_id__in=selectors.user_ids_for_email(email=key))
    return queryset.filter(by_name)
