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


class ResetFlow(models.Model):
    """One self-service password reset, bound to the browser that started it.

    The browser's session holds the flow key; only its SHA-256 sits here. A flow exists for every
    request, whether or not the typed identifier matched an account (``user`` is then empty), so
    that every step writes, counts and answers the same way for both.
    """

    class State(models.TextChoices):
        CODE_SENT = "code_sent", _("waiting for the code")
        SECOND_FACTOR = "second_factor", _("waiting for the authenticator code")
        READY = "ready", _("choosing a new password")
        DONE = "done", _("password changed")
        FAILED = "failed", _("stopped after too many wrong codes")

    key_hash = models.CharField(max_length=64, unique=True)
    identifier_key = models.CharField(_("typed identifier (keyed hash)"), max_length=64)
    typed = models.CharField(
        _("what was typed"),
        max_length=254,
        blank=True,
        help_text=_("Kept until the worker has looked the account up, then cleared."),
    )
    user = models.ForeignKey(
        User,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reset_flows",
    )
    started_by = models.ForeignKey(
        User,
        verbose_name=_("started by agent"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    channel = models.CharField(_("channel"), max_length=8, choices=CodeChannel.choices)
    state = models.CharField(
        _("state"), max_length=16, choices=State.choices, default=State.CODE_SENT
    )
    created_at = models.DateTimeField(_("started at"))
    expires_at = models.DateTimeField(_("expires at"))
    code_expires_at = models.DateTimeField(_("code expires at"), null=True, blank=True)
    last_sent_at = models.DateTimeField(_("last code sent at"), null=True, blank=True)
    sends = models.PositiveSmallIntegerField(_("codes requested"), default=0)
    dispatched = models.PositiveSmallIntegerField(_("codes handed to the outbox"), default=0)
    failures = models.PositiveSmallIntegerField(_("wrong codes"), default=0)
    verified_at = models.DateTimeField(_("code verified at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    known_browser = models.BooleanField(
        _("from a known browser"),
        default=False,
        help_text=_(
            "Started in a browser that signed in with what was typed: a pause after strangers' "
            "wrong codes does not stop it."
        ),
    )

    class Meta:
        verbose_name = _("password reset")
        verbose_name_plural = _("password resets")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="resetflow_user_time"),
            models.Index(fields=["expires_at"], name="resetflow_expiry"),
        ]

    def __str__(self) -> str:
        return f"reset {self.pk} {self.state}"

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class ResetBlock(models.Model):
    """Self-service reset stopped after too many consecutive wrong codes.

    ``key`` names what is blocked: ``account:<id>`` or ``typed:<keyed hash of what was typed>``,
    so an identifier that matches nothing is blocked at the same count as a real account.
    """

    key = models.CharField(max_length=80)
    user = models.ForeignKey(
        User,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reset_blocks",
    )
    created_at = models.DateTimeField(_("blocked at"))
    until = models.DateTimeField(_("blocked until"))
    failures = models.PositiveSmallIntegerField(_("consecutive wrong codes"), default=0)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        User,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("reset block")
        verbose_name_plural = _("reset blocks")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["key", "-until"], name="resetblock_key_until")]

    def __str__(self) -> str:
        return f"{self.key} until {self.until:%Y-%m-%d %H:%M}"

    def is_active(self, now=None) -> bool:
        return self.lifted_at is None and (now or timezone.now()) < self.until


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
    flow = models.OneToOneField(
        ResetFlow,
        verbose_name=_("password reset"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="device",
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
        from accounts import codes

        return max(0, codes.code_max_tries() - self.throttling_failure_count)
