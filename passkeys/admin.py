"""Agents see a person's passkeys (name, when added and last used, whether they sync, the
counter) and may remove one, e.g. for a lost phone; never the key. Each removal is audited and
the owner told, as when the owner removes one."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django_otp_webauthn.models import WebAuthnCredential

from passkeys.services import passkeys_remove_by_agent
from portal.admin_mixins import ReadOnlyAdminMixin

if admin.site.is_registered(WebAuthnCredential):
    admin.site.unregister(WebAuthnCredential)


@admin.register(WebAuthnCredential)
class PasskeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    admin_may_delete = True
    list_display = ["user", "name", "created_at", "last_used_at", "synced", "sign_count"]
    list_select_related = ["user"]
    list_filter = ["backup_state", "backup_eligible"]
    search_fields = ["user__username", "user__email", "name"]
    readonly_fields = [
        "user",
        "name",
        "confirmed",
        "created_at",
        "last_used_at",
        "backup_eligible",
        "backup_state",
        "discoverable",
        "sign_count",
        "transports",
        "aaguid",
    ]
    fields = readonly_fields

    @admin.display(description=_("synced"), boolean=True)
    def synced(self, obj) -> bool:
        return obj.backup_state

    def delete_model(self, request, obj):
        passkeys_remove_by_agent(request=request, passkeys=[obj])

    def delete_queryset(self, request, queryset):
        passkeys_remove_by_agent(request=request, passkeys=list(queryset.select_related("user")))
