"""Maintenance notices and the help centre's FAQ entries, both written in Chinese and English."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

TITLE_MAX_LENGTH = 120
MESSAGE_MAX_LENGTH = 2000
ANSWER_MAX_LENGTH = 5000


def validate_plain_text(value: str) -> None:
    """Refuse NUL and other control characters (line breaks and tabs are fine)."""
    if any(not ch.isprintable() and ch not in "\n\r\t" for ch in value or ""):
        raise ValidationError(
            _("Remove control characters (such as NUL) from this text."), code="control_chars"
        )


def validate_portal_path(value: str) -> None:
    """A link in help content points inside the portal: a path such as /tickets/unlock/."""
    if value and (not value.startswith("/") or value.startswith("//") or "\\" in value):
        raise ValidationError(
            _("Use a path inside the portal that starts with a single /, e.g. /tickets/unlock/."),
            code="not_a_path",
        )


def _prefers_chinese(language: str | None = None) -> bool:
    return (language or get_language() or settings.LANGUAGE_CODE).lower().startswith("zh")


def pick(zh: str, en: str, language: str | None = None) -> str:
    """The text in the requested (or active) language, or the other one when it is empty."""
    first, second = (zh, en) if _prefers_chinese(language) else (en, zh)
    return first or second


class Severity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    OUTAGE = "outage", _("Outage")


EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)

SEVERITY_RANK = {Severity.OUTAGE: 3, Severity.WARNING: 2, Severity.INFO: 1}


class Notice(models.Model):
    """A maintenance notice. Shows from NOTICE_LEAD_HOURS before ``starts_at`` until ``ends_at``."""

    title_zh = models.CharField(
        _("title (Chinese)"), max_length=TITLE_MAX_LENGTH, validators=[validate_plain_text]
    )
    title_en = models.CharField(
        _("title (English)"), max_length=TITLE_MAX_LENGTH, validators=[validate_plain_text]
    )
    message_zh = models.TextField(
        _("message (Chinese)"),
        blank=True,
        max_length=MESSAGE_MAX_LENGTH,
        validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH), validate_plain_text],
        help_text=_("What is affected and what employees should do. Plain text."),
    )
    message_en = models.TextField(
        _("message (English)"),
        blank=True,
        max_length=MESSAGE_MAX_LENGTH,
        validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH), validate_plain_text],
    )
    severity = models.CharField(
        _("severity"), max_length=10, choices=Severity.choices, default=Severity.INFO
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(
        _("expected end"),
        help_text=_("The recovery time shown to employees. The notice disappears at this time."),
    )
    blocks_signin = models.BooleanField(
        _("blocks employee sign-in"),
        default=False,
        help_text=_(
            "While active, the employee sign-in page is closed (HTTP 503) and no password is "
            "checked. Staff still sign in at /admin/login/."
        ),
    )
    published = models.BooleanField(
        _("published"), default=True, help_text=_("Untick to keep the notice as a draft.")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("maintenance notice")
        verbose_name_plural = _("maintenance notices")
        ordering = ["-starts_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="notice_ends_after_start"
            )
        ]
        indexes = [models.Index(fields=["published", "ends_at"], name="notice_published_end")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        super().clean()
        # A time this early cannot be converted to UTC for the database (an OverflowError, a 500).
        early = {
            name: ValidationError(_("Use a time after the year 2000."), code="time_out_of_range")
            for name in ("starts_at", "ends_at")
            if getattr(self, name) and getattr(self, name) < EARLIEST_TIME
        }
        if early:
            raise ValidationError(early)
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError(
                {"ends_at": _("The expected end must be after the start.")}, code="end_before_start"
            )

    @property
    def title(self) -> str:
        return pick(self.title_zh, self.title_en)

    @property
    def message(self) -> str:
        return pick(self.message_zh, self.message_en)

    def title_in(self, language: str | None) -> str:
        return pick(self.title_zh, self.title_en, language)

    def message_in(self, language: str | None) -> str:
        return pick(self.message_zh, self.message_en, language)

    @property
    def severity_rank(self) -> int:
        return SEVERITY_RANK.get(self.severity, 0)

    @property
    def disruptive(self) -> bool:
        """Something employees may notice as a failure (not a mere announcement)."""
        return self.severity != Severity.INFO or self.blocks_signin

    @property
    def dismissible(self) -> bool:
        """Only purely informational notices may be hidden for the rest of a session."""
        return self.severity == Severity.INFO and not self.blocks_signin

    def is_active_at(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    def state_at(self, now: datetime, *, lead_hours: int) -> str:
        """draft, scheduled (not shown yet), upcoming (shown), active or ended."""
        if not self.published:
            return "draft"
        if now >= self.ends_at:
            return "ended"
        if now >= self.starts_at:
            return "active"
        if (self.starts_at - now).total_seconds() <= lead_hours * 3600:
            return "upcoming"
        return "scheduled"


class FaqEntry(models.Model):
    """A question of the help centre, shown on /help/faq/ and, by slug, as a troubleshooter fix."""

    slug = models.SlugField(
        _("key"),
        max_length=50,
        unique=True,
        help_text=_("Stable key used in links (/help/faq/#key) and by the troubleshooter."),
    )
    question_zh = models.CharField(
        _("question (Chinese)"), max_length=200, validators=[validate_plain_text]
    )
    question_en = models.CharField(
        _("question (English)"), max_length=200, validators=[validate_plain_text]
    )
    answer_zh = models.TextField(
        _("answer (Chinese)"),
        max_length=ANSWER_MAX_LENGTH,
        validators=[MaxLengthValidator(ANSWER_MAX_LENGTH), validate_plain_text],
        help_text=_("Plain text; blank lines separate paragraphs."),
    )
    answer_en = models.TextField(
        _("answer (English)"),
        max_length=ANSWER_MAX_LENGTH,
        validators=[MaxLengthValidator(ANSWER_MAX_LENGTH), validate_plain_text],
    )
    link_url = models.CharField(
        _("link"),
        max_length=200,
        blank=True,
        validators=[validate_portal_path],
        help_text=_("Optional page of the portal the answer leads to, e.g. /tickets/unlock/."),
    )
    link_label_zh = models.CharField(
        _("link text (Chinese)"), max_length=80, blank=True, validators=[validate_plain_text]
    )
    link_label_en = models.CharField(
        _("link text (English)"), max_length=80, blank=True, validators=[validate_plain_text]
    )
    position = models.PositiveSmallIntegerField(
        _("position"), default=100, help_text=_("Lower numbers come first.")
    )
    published = models.BooleanField(_("published"), default=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        verbose_name = _("FAQ entry")
        verbose_name_plural = _("FAQ entries")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.question

    def clean(self) -> None:
        super().clean()
        if self.link_url and not (self.link_label_zh or self.link_label_en):
            raise ValidationError(
                {"link_label_zh": _("Give the link a text in at least one language.")},
                code="link_without_label",
            )

    @property
    def question(self) -> str:
        return pick(self.question_zh, self.question_en)

    @property
    def answer(self) -> str:
        return pick(self.answer_zh, self.answer_en)

    @property
    def link_label(self) -> str:
        return pick(self.link_label_zh, self.link_label_en)
