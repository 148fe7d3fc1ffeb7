"""The admin of single sign-on clients (``OAUTH2_PROVIDER["APPLICATION_ADMIN_CLASS"]``:
django-oauth-toolkit registers it, with its token admins, on the portal's admin site).

An admin gives a client its name, profile (standard OpenID Connect or the 销售易 connector),
whether it is trusted (no consent page), its redirect URIs and its post-logout URIs; the model's
``clean()`` checks every URI (https, exact, no fragment). The client secret is shown once, in the
form that creates it, and stored hashed.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from sso import logos, services
from sso.selectors import connector_values


class ClientForm(forms.ModelForm):
    """The client's fields, and its logo: an upload checked and re-encoded by ``sso.logos``
    (its error is the field's), or "remove the logo"."""

    logo_file = forms.FileField(
        label=_("Logo"),
        required=False,
        widget=forms.FileInput(attrs={"accept": logos.ACCEPT}),
        help_text=_(
            "PNG, JPEG, GIF or WebP (not SVG), at most 2 MB. It is shown, scaled to a square of "
            "256 pixels at most, on the sign-in and consent pages and in the employee's app "
            "list. The portal stores its own copy without metadata."
        ),
    )
    logo_remove = forms.BooleanField(label=_("Remove the logo"), required=False)

    def clean_logo_file(self):
        upload = self.cleaned_data.get("logo_file")
        return logos.logo_prepare(upload) if upload else None


class ClientAdmin(admin.ModelAdmin):
    form = ClientForm
    list_display = ("name", "client_id", "profile", "skip_authorization", "client_type", "updated")
    list_filter = ("profile", "skip_authorization", "client_type")
    search_fields = ("name", "client_id")
    readonly_fields = ("created", "updated", "logo_preview")
    fieldsets = (
        (None, {"fields": ("name", "profile", "skip_authorization", "client_type")}),
        (_("Logo"), {"fields": ("logo_preview", "logo_file", "logo_remove")}),
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

    @admin.display(description=_("current logo"))
    def logo_preview(self, obj):
        if obj is None or not obj.logo_url:
            return _("none")
        return format_html(
            '<img src="{}" alt="{}" width="64" height="64">', obj.logo_url, obj.logo_alt
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        logo = form.cleaned_data.get("logo_file")
        if logo is not None:
            services.client_logo_set(client=obj, logo=logo)
        elif form.cleaned_data.get("logo_remove") and obj.logo_digest:
            services.client_logo_remove(client=obj)

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
