from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


def normalize_identifier(value: str) -> str:
    """How a typed username or email is compared: trimmed, case-folded, no control characters."""
    return "".join(ch for ch in (value or "") if ch.isprintable()).strip().casefold()


class PortalUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Usernames match case- and whitespace-insensitively everywhere, admin login included.
        return self.get(username__iexact=(username or "").strip())


class User(AbstractUser):
    email = models.EmailField(_("email address"), blank=True)
    phone = PhoneNumberField(_("mobile phone"), blank=True)
    email_verified_at = models.DateTimeField(_("email verified at"), null=True, blank=True)
    phone_verified_at = models.DateTimeField(_("phone verified at"), null=True, blank=True)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    employee_id = models.CharField(_("employee ID"), max_length=32, null=True, blank=True)
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        default=settings.LANGUAGE_CODE,
        help_text=_("Language of the messages the portal sends to this person."),
    )

    objects = PortalUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(Lower("username"), name="user_username_ci_unique"),
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="user_email_ci_unique"
            ),
            models.UniqueConstraint(
                "employee_id",
                condition=Q(employee_id__isnull=False) & ~Q(employee_id=""),
                name="user_employee_id_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def has_verified_email(self) -> bool:
        return bool(self.email and self.email_verified_at)

    @property
    def has_verified_phone(self) -> bool:
        return bool(self.phone and self.phone_verified_at)


class PasswordHistory(models.Model):
    """Earlier password hashes, so a reset cannot bring back one of the last few passwords."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(_("password hash"), max_length=128)
    created_at = models.DateTimeField(_("set at"))

    class Meta:
        verbose_name = _("earlier password")
        verbose_name_plural = _("earlier passwords")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="pwhist_user_time")]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d}"


class UserSession(models.Model):
    """One signed-in browser session of a user, so a user can see and end them and a password
    change can end every other one. The session data itself stays in Django's session store."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="portal_sessions")
    session_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("signed in at"))
    last_seen_at = models.DateTimeField(_("last seen"))
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    known_browser = models.BooleanField(_("known browser"), default=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "ended_at"], name="usersession_user_open")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"
