from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp.models import (
    CooldownMixin,
    GenerateNotAllowed,
    SideChannelDevice,
    ThrottlingMixin,
    TimestampMixin,
    VerifyNotAllowed,
)
from phonenumber_field.modelfields import PhoneNumberField


def _is_cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\u3040" <= ch <= "\u30ff"


def normalize_identifier(value: str) -> str:
    """How a typed username or email is compared: trimmed, case-folded, no control characters."""
    return "".join(ch for ch in (value or "") if ch.isprintable()).strip().casefold()


class PortalUserManager(UserManager):
    def get_by_natural_key(self, username):
        # Usernames match case- and whitespace-insensitively everywhere, admin login included
        # (through the unique index on LOWER(username)).
        return self.alias(username_ci=Lower("username")).get(
            username_ci=(username or "").strip().lower()
        )


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
    contact_prompt_skips = models.PositiveSmallIntegerField(
        _("recovery contact prompts skipped"),
        default=0,
        help_text=_("How often this person chose to add a recovery contact later."),
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
        indexes = [
            # Sign-in and reset look accounts up by phone number too.
            models.Index(fields=["phone"], condition=~Q(phone=""), name="user_phone"),
        ]

    def __str__(self) -> str:
        return self.username

    def get_full_name(self) -> str:
        """Chinese names read family name first, without a space (李娜); others "Anna Li"."""
        first, last = self.first_name.strip(), self.last_name.strip()
        if any(_is_cjk(ch) for ch in first + last):
            return f"{last}{first}"
        return f"{first} {last}".strip()

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


class CodeChannel(models.TextChoices):
    EMAIL = "email", _("email")
    SMS = "sms", _("text message")
    # Messengers (a verified ``MessengerId``; accounts.messenger_ids, docs/messengers.md).
    WECOM = "wecom", _("WeCom (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk (钉钉)")
    FEISHU = "feishu", _("Feishu (飞书)")


class ContactCodeDevice(TimestampMixin, CooldownMixin, ThrottlingMixin, SideChannelDevice):
    """A django-otp side-channel device that sends a 6-digit code by email or SMS.

    Only an HMAC of the current code is stored (``token_hash``, keyed with the device, the user
    and the purpose, so a code never works on another device); the inherited ``token`` column
    stays empty. The device is never ``confirmed``: it proves control of a contact for one
    purpose (a reset, a contact change, a caller check), it is not a sign-in factor, and
    ``django_otp.devices_for_user()`` and the admin's OTP login never offer it.

    Generation, expiry and verification live here; caps, messages and auditing in
    ``accounts.codes``.
    """

    purpose = models.CharField(_("purpose"), max_length=32)
    channel = models.CharField(_("channel"), max_length=8, choices=CodeChannel.choices)
    address = models.CharField(_("sent to"), max_length=254, blank=True)
    # The one flow of a higher app this device serves (a password reset: ``reset.ResetFlow``),
    # by its id only, so accounts knows nothing of it; at most one device per flow. No row of
    # that app is ever deleted without its account, which deletes the device with it.
    flow = models.BigIntegerField(
        _("bound to flow"), null=True, blank=True, unique=True, db_column="flow_id"
    )
    token_hash = models.CharField(max_length=64, blank=True, default="")
    sends = models.PositiveIntegerField(_("codes sent"), default=0)

    class Meta:
        verbose_name = _("contact code device")
        verbose_name_plural = _("contact code devices")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "purpose"],
                condition=Q(flow__isnull=True),
                name="codedevice_user_purpose_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.purpose} {self.channel} ({self.user_id})"

    # --- django-otp device API ----------------------------------------------------------------
    def generate_token(self, length=6, valid_secs=None, commit=True) -> str:
        """Draw a new code, keep only its HMAC, return the plain code (for the message only)."""
        # Imported here: accounts.codes imports this module (the device and the user model).
        from accounts import codes

        if valid_secs is None:
            valid_secs = codes.code_ttl_seconds()
        code = codes.code_generate(length)
        now = timezone.now()
        self.token = None
        self.token_hash = self._digest(code)
        self.valid_until = now + timedelta(seconds=valid_secs)
        self.sends += 1
        self.cooldown_set(commit=False)
        if commit:
            self.save()
        return code

    def generate_challenge(self, extra_context=None):
        """Generate a code and hand it to the outbox (django-otp's interactive-device hook)."""
        # Imported here: accounts.codes imports this module (the device and the user model).
        from accounts import codes

        codes.device_deliver(device=self, context=extra_context or {})
        return str(CodeChannel(self.channel).label)

    def generate_is_allowed(self):
        """A new code once the cooldown has fully passed (60 s: allowed at 60 s, not 59 s)."""
        last = self.last_generated_timestamp
        if last is not None:
            next_at = last + timedelta(seconds=self.get_cooldown_duration())
            if timezone.now() < next_at:
                return (
                    False,
                    {
                        "reason": GenerateNotAllowed.COOLDOWN_DURATION_PENDING,
                        "next_generation_at": next_at,
                    },
                )
        return (True, None)

    def verify_is_allowed(self):
        # Imported here: accounts.codes imports this module (the device and the user model).
        from accounts import codes

        limit = codes.code_max_tries()
        if self.throttling_failure_count >= limit:
            window = codes.tries_window_seconds()
            last = self.throttling_failure_timestamp
            if last is None or timezone.now() < last + timedelta(seconds=window):
                return (
                    False,
                    {
                        "reason": VerifyNotAllowed.N_FAILED_ATTEMPTS,
                        "failure_count": self.throttling_failure_count,
                    },
                )
        return super().verify_is_allowed()

    def verify_token(self, token, count_failure: bool = True) -> bool:
        """Constant-time check of ``token`` against the stored HMAC; single use; 5 wrong tries.

        A reset flow counts its wrong codes on its own row (for real and unknown accounts alike)
        and passes ``count_failure=False``, so a wrong code writes the same rows either way."""
        allowed, _extra = self.verify_is_allowed()
        if not allowed:
            return False
        now = timezone.now()
        expected = self.token_hash or "0" * 64
        matches = constant_time_compare(self._digest(str(token)), expected)
        if matches and self.token_hash and now < self.valid_until:
            self.token_hash = ""
            self.valid_until = now
            self.throttle_reset(commit=False)
            self.set_last_used_timestamp(commit=False)
            self.save()
            return True
        if count_failure:
            self.throttle_increment(commit=True)
        return False

    def get_cooldown_duration(self) -> int:
        # Imported here: accounts.codes imports this module (the device and the user model).
        from accounts import codes

        return codes.resend_cooldown_seconds()

    def get_throttle_factor(self) -> int:
        # No exponential back-off: a hard cap of CODE_MAX_TRIES wrong tries (verify_is_allowed).
        return 0

    # --- helpers ------------------------------------------------------------------------------
    def _digest(self, code: str) -> str:
        return salted_hmac(
            "accounts.ContactCodeDevice",
            f"{self.pk}:{self.user_id}:{self.purpose}:{code}",
            algorithm="sha256",
        ).hexdigest()

    @property
    def tries_left(self) -> int:
        # Imported here: accounts.codes imports this module (the device and the user model).
        from accounts import codes

        return max(0, codes.code_max_tries() - self.throttling_failure_count)


class MessengerId(models.Model):
    """A person's user id on a messenger (WeCom, DingTalk, Feishu): codes and notices go there
    only once it is verified (a code sent through that messenger came back, or an admin's CSV
    import or the directory vouched for it). One per person and messenger; an id belongs to
    one person."""

    class Source(models.TextChoices):
        SELF = "self", _("verified by its owner")
        IMPORT = "import", _("imported by an admin")
        DIRECTORY = "directory", _("from the directory")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="messenger_ids",
    )
    provider = models.CharField(
        _("messenger"),
        max_length=8,
        choices=[
            (c.value, c.label) for c in CodeChannel if c not in (CodeChannel.EMAIL, CodeChannel.SMS)
        ],
    )
    external_id = models.CharField(_("user id there"), max_length=64)
    source = models.CharField(_("source"), max_length=9, choices=Source.choices)
    verified_at = models.DateTimeField(_("verified at"))

    class Meta:
        verbose_name = _("messenger id")
        verbose_name_plural = _("messenger ids")
        constraints = [
            models.UniqueConstraint(fields=["user", "provider"], name="messenger_one_per_person"),
            models.UniqueConstraint(fields=["provider", "external_id"], name="messenger_id_owner"),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.external_id}"
