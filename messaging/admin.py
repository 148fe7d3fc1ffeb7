"""The outbox in the admin: read-only, recipients masked, secret content never shown; failed
messages can be queued again ("retry now", which calls ``outbox_retry``)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from messaging.errors import OutboxStateError
from messaging.messengers import admin as robots_admin  # noqa: F401  (registers the robots)
from messaging.models import OutboxMessage
from messaging.selectors import outbox_failed_since_q, outbox_retrying_q
from messaging.services import outbox_retry
from portal.admin_mixins import CalendarSafeChangelistMixin, ReadOnlyAdminMixin, recent_since


class TroubleFilter(admin.SimpleListFilter):
    """Messages that need a look: failed lately, or retrying after an error (the desk links)."""

    title = _("delivery trouble")
    parameter_name = "trouble"

    def lookups(self, request, model_admin):
        return [
            ("failed_24h", _("Failed in the last 24 hours")),
            ("retrying", _("Retrying after an error")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "failed_24h":
            return queryset.filter(outbox_failed_since_q(since=recent_since("24h")))
        if self.value() == "retrying":
            return queryset.filter(outbox_retrying_q())
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, CalendarSafeChangelistMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "channel",
        "kind",
        "recipient_masked",
        "account",
        "status_badge",
        "attempts",
        "sent_at",
        "error_short",
    )
    list_filter = (
        TroubleFilter,
        "status",
        "channel",
        "kind",
        ("created_at", admin.DateFieldListFilter),
    )
    date_hierarchy = "created_at"
    search_fields = ("user__username__iexact", "=reference", "=idempotency_key")
    list_select_related = ("user",)
    list_per_page = 50
    show_full_result_count = False
    ordering = ("-created_at", "-id")
    actions = ["retry_now"]

    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "channel",
                    "kind",
                    "recipient_masked",
                    "user",
                    "language",
                    "status",
                    "attempts",
                    "last_error",
                    "provider_message_id",
                    "idempotency_key",
                )
            },
        ),
        (_("Content"), {"fields": ("subject_shown", "content_shown")}),
        (
            _("Times"),
            {
                "fields": (
                    "created_at",
                    "next_attempt_at",
                    "claimed_at",
                    "sent_at",
                    "expires_at",
                    "wiped_at",
                    "updated_at",
                )
            },
        ),
    )
    readonly_fields = (
        "reference",
        "channel",
        "kind",
        "recipient_masked",
        "user",
        "language",
        "status",
        "attempts",
        "last_error",
        "provider_message_id",
        "idempotency_key",
        "subject_shown",
        "content_shown",
        "created_at",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "expires_at",
        "wiped_at",
        "updated_at",
    )

    # Read-only (ReadOnlyAdminMixin): rows are written by messaging_send and the workers.
    def has_retry_permission(self, request):
        return request.user.has_perm("messaging.retry_outboxmessage")

    @admin.display(description=_("recipient"))
    def recipient_masked(self, obj: OutboxMessage) -> str:
        return obj.masked_recipient

    @admin.display(description=_("account"), ordering="user__username")
    def account(self, obj: OutboxMessage) -> str:
        return obj.user.username if obj.user else "—"

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: OutboxMessage):
        # Colours in static/portal/admin.css (the Content-Security-Policy allows no inline style).
        return format_html(
            '<span class="outbox-status outbox-status-{}">{}</span>',
            obj.status,
            obj.get_status_display(),
        )

    @admin.display(description=_("last error"))
    def error_short(self, obj: OutboxMessage) -> str:
        return (obj.last_error[:60] + "…") if len(obj.last_error) > 60 else obj.last_error

    @admin.display(description=_("subject"))
    def subject_shown(self, obj: OutboxMessage) -> str:
        if obj.secret:
            return _("(hidden: holds a code or link)")
        return obj.subject or "—"

    @admin.display(description=_("text"))
    def content_shown(self, obj: OutboxMessage):
        if obj.wiped_at is not None:
            return _("(wiped)")
        if obj.secret:
            # Agents never see a code (ASVS V6.4.6); the demo inbox shows it in debug only.
            return _("(hidden: holds a code or link)")
        return format_html('<pre class="outbox-body">{}</pre>', obj.body_text)

    @admin.action(description=_("Retry now"), permissions=["retry"])
    def retry_now(self, request, queryset):
        done, refused = 0, []
        for message in queryset.filter(status=OutboxMessage.Status.FAILED):
            try:
                outbox_retry(message=message, actor=request.user, request=request)
            except OutboxStateError as exc:
                refused.append(f"#{message.pk}: {exc}")
            else:
                done += 1
        skipped = queryset.exclude(status=OutboxMessage.Status.FAILED).count()
        if done:
            self.message_user(
                request,
                ngettext("%(n)d message queued again.", "%(n)d messages queued again.", done)
                % {"n": done},
                messages.SUCCESS,
            )
        for line in refused:
            self.message_user(request, line, messages.WARNING)
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(n)d message was not failed and was left alone.",
                    "%(n)d messages were not failed and were left alone.",
                    skipped,
                )
                % {"n": skipped},
                messages.WARNING,
            )
