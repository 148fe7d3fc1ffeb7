from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from accounts.models import User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Personal info"),
            {"fields": ("first_name", "last_name", "employee_id", "language")},
        ),
        (
            _("Recovery contacts"),
            {"fields": ("email", "email_verified_at", "phone", "phone_verified_at")},
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "password_changed_at")}),
    )
    list_display = ["username", "email", "phone", "employee_id", "is_staff", "is_active"]
    search_fields = ["username", "email", "phone", "employee_id", "first_name", "last_name"]
    readonly_fields = ["last_login", "date_joined", "password_changed_at"]
