"""The admin of single sign-on clients (``OAUTH2_PROVIDER["APPLICATION_ADMIN_CLASS"]``:
django-oauth-toolkit registers it, with its token admins, on the portal's admin site).

An admin gives a client its name, profile (standard OpenID Connect or the 销售易 connector),
whether it is trusted (no consent page), its redirect URIs and its post-logout URIs; the model's
``clean()`` checks every URI (https, exact, no fragment). The client secret is shown once, in the
form that creates it, and stored hashed.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from sso.selectors import connector_values


class ClientAdmin(admin.ModelAdmin):
    list_display = ("name", "client_id", "profile", "skip_authorization", "client_type", "updated")
    list_filter = ("profile", "skip_authorization", "client_type")
    search_fields = ("name", "client_id")
    readonly_fields = ("created", "updated")
    fieldsets = (
        (None, {"fields": ("name", "profile", "skip_authorization", "client_type")}),
        (
            _("Addresses"),
            {
                "fields": (
                    "redirect_uris",
                    "post_logout_redirect_uris",
                    "backchannel_logout_uri",
                    "backchannel_logout_session_required",
                )
            },
        ),
        (
            _("Credentials"),
            {
                "fields": ("client_id", "client_secret"),
                "description": _(
                    "Copy the client secret now: it is stored hashed and cannot be shown again."
                ),
            },
        ),
        (_("Record"), {"fields": ("created", "updated")}),
    )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # a saved secret is a hash: never shown, never edited here
            return (*self.readonly_fields, "client_id", "connector_values")
        return self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        fieldsets = [
            (name, {**opts, "fields": tuple(f for f in opts["fields"] if f != "client_secret")})
            for name, opts in self.fieldsets
        ]
        fieldsets.insert(
            1,
            (
                _("Values for the app's sign-in settings"),
                {
                    "fields": ("connector_values",),
                    "description": _(
                        "For 销售易 CRM: 系统设置 → 安全设置 → 认证连接器, type OAuth2.0; then "
                        "认证方式 → 第三方认证 on. The steps are in docs/sso.md."
                    ),
                },
            ),
        )
        return fieldsets

    @admin.display(description=_("values to paste"))
    def connector_values(self, obj):
        return format_html(
            "<table>{}</table>",
            format_html_join(
                "",
                "<tr><th scope='row'>{}</th><td><code>{}</code></td></tr>",
                connector_values(obj),
            ),
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "skip_authorization":
            field.label = _("Trusted (first-party: no consent page)")
        return field
