"""The provider's rows. django-oauth-toolkit owns the tokens, codes and ID tokens; the portal
owns who a client is (its profile, whether it is trusted), the stable subject of each person, and
the record of each used authorization code (so a replayed code revokes what it issued)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from oauth2_provider.models import AbstractApplication
from oauth2_provider.validators import AllowedURIValidator

from sso.hashers import CLIENT_SECRET_MIN_LENGTH


class Profile(models.TextChoices):
    STANDARD = "standard", _("Standard OpenID Connect")
    XIAOSHOUYI = "xiaoshouyi", _("销售易 CRM connector")


class Client(AbstractApplication):
    """A relying party (``OAUTH2_PROVIDER_APPLICATION_MODEL``). DOT's fields, plus the profile.
    ``skip_authorization`` is "trusted": a first-party client that shows no consent page."""

    # The portal offers the code flow only, with ID tokens signed RS256 (never HS256 with the
    # client secret, never unsigned): DOT's fields, with these values fixed.
    authorization_grant_type = models.CharField(
        _("authorization grant type"),
        max_length=44,
        choices=[(AbstractApplication.GRANT_AUTHORIZATION_CODE, _("Authorization code"))],
        default=AbstractApplication.GRANT_AUTHORIZATION_CODE,
        editable=False,
    )
    algorithm = models.CharField(
        _("algorithm"),
        max_length=5,
        choices=[(AbstractApplication.RS256_ALGORITHM, "RS256")],
        default=AbstractApplication.RS256_ALGORITHM,
        editable=False,
    )
    profile = models.CharField(
        _("profile"),
        max_length=16,
        choices=Profile.choices,
        default=Profile.STANDARD,
        help_text=_(
            "Standard OpenID Connect requires PKCE (S256). The 销售易 connector profile cannot "
            "send PKCE, so it is not required for it."
        ),
    )

    # OpenID Connect Back-Channel Logout 1.0: where the portal POSTs a logout token when the
    # person's session at this client must end (sso.backchannel).
    backchannel_logout_uri = models.CharField(
        _("back-channel logout URI"),
        max_length=254,
        blank=True,
        help_text=_(
            "The app's address for logout tokens (OpenID Connect Back-Channel Logout). Empty: "
            "the app is not told when the person signs out or their password changes."
        ),
    )
    backchannel_logout_session_required = models.BooleanField(
        _("logout token carries the session (sid)"),
        default=False,
        help_text=_("The portal always sends sid; tick this if the app requires it."),
    )

    # The SHA-256 of the logo's re-encoded bytes (``ClientLogo``), empty without one: the
    # logo's versioned URL and ETag, known with the client's row and without reading the bytes.
    logo_digest = models.CharField(_("logo digest"), max_length=64, blank=True, editable=False)

    class Meta(AbstractApplication.Meta):
        verbose_name = _("single sign-on client")
        verbose_name_plural = _("single sign-on clients")

    def clean(self) -> None:
        self.authorization_grant_type = self.GRANT_AUTHORIZATION_CODE
        self.algorithm = self.RS256_ALGORITHM
        problems: dict[str, list] = {}
        try:
            super().clean()
        except ValidationError as exc:
            problems.update(exc.message_dict)
        if self._secret_too_short():
            problems.setdefault("client_secret", []).append(
                _(
                    "A client secret must be at least %(length)d characters long (keep the one "
                    "generated for you)."
                )
                % {"length": CLIENT_SECRET_MIN_LENGTH}
            )
        validator = AllowedURIValidator(
            self.get_allowed_schemes(),
            name="post logout redirect uri",
            allow_path=True,
            allow_query=True,
        )
        for uri in self.post_logout_redirect_uris.split():
            try:
                validator(uri)
            except ValidationError as exc:
                problems.setdefault("post_logout_redirect_uris", []).extend(exc.messages)
        if self.backchannel_logout_uri:
            try:
                AllowedURIValidator(
                    self.get_allowed_schemes(),
                    name="back-channel logout uri",
                    allow_path=True,
                    allow_query=True,
                )(self.backchannel_logout_uri)
            except ValidationError as exc:
                problems.setdefault("backchannel_logout_uri", []).extend(exc.messages)
            if "#" in self.backchannel_logout_uri or " " in self.backchannel_logout_uri.strip():
                problems.setdefault("backchannel_logout_uri", []).append(
                    _("Give one URI, without a fragment (#).")
                )
        for uri in self.redirect_uris.split():
            if "#" in uri:
                problems.setdefault("redirect_uris", []).append(
                    _("A redirect URI cannot have a fragment (#).")
                )
        if problems:
            raise ValidationError(problems)

    def save(self, *args, **kwargs):
        self.authorization_grant_type = self.GRANT_AUTHORIZATION_CODE
        self.algorithm = self.RS256_ALGORITHM
        super().save(*args, **kwargs)

    def _secret_too_short(self) -> bool:
        """A new secret (not yet hashed) shorter than the client-secret hasher assumes: its hash
        is fast because the secret cannot be guessed (sso/hashers.py)."""
        if not self.hash_client_secret or not self.client_secret:
            return False
        try:
            identify_hasher(self.client_secret)
        except ValueError:
            return len(self.client_secret) < CLIENT_SECRET_MIN_LENGTH
        return False

    @property
    def pkce_required(self) -> bool:
        return self.profile != Profile.XIAOSHOUYI

    @property
    def logo_url(self) -> str:
        """The logo's URL, which changes with the logo (served with a long cache), or ""."""
        if not self.logo_digest:
            return ""
        return reverse("oauth2_provider:client-logo", args=[self.pk, self.logo_digest[:16]])

    @property
    def logo_alt(self) -> str:
        return gettext("%(app)s logo") % {"app": str(self)}


class ClientLogo(models.Model):
    """A client's logo as ``sso.logos`` re-encoded it (PNG or WebP, a few kB): in the database,
    so every web node serves it without shared media storage."""

    client = models.OneToOneField(
        Client, primary_key=True, on_delete=models.CASCADE, related_name="logo"
    )
    content = models.BinaryField(_("image"))
    content_type = models.CharField(_("content type"), max_length=32)
    digest = models.CharField(_("SHA-256"), max_length=64)
    side = models.PositiveSmallIntegerField(_("side in pixels"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("client logo")
        verbose_name_plural = _("client logos")

    def __str__(self) -> str:
        return f"{self.client_id} {self.digest[:16]}"


class Subject(models.Model):
    """The ``sub`` a person has at every client when ``SSO_SUBJECT`` is ``uuid``: random, never
    the database id, never reused, kept for the life of the account."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_subject"
    )
    subject = models.UUIDField(_("subject"), default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("subject identifier")
        verbose_name_plural = _("subject identifiers")

    def __str__(self) -> str:
        return str(self.subject)


class CodeUse(models.Model):
    """An authorization code that was exchanged: its digest (never the code) and what it issued.
    A second exchange of the same code finds this row and revokes the tokens (RFC 6749 4.1.2)."""

    code_digest = models.CharField(max_length=64, unique=True)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    access_token_digest = models.CharField(max_length=64, blank=True)
    token_family = models.UUIDField(null=True, blank=True)
    used_at = models.DateTimeField(_("used at"))

    class Meta:
        verbose_name = _("used authorization code")
        verbose_name_plural = _("used authorization codes")
        indexes = [models.Index(fields=["used_at"], name="sso_codeuse_used_at")]

    def __str__(self) -> str:
        return f"{self.client_id} @ {self.used_at:%Y-%m-%d %H:%M}"


class AppSignIn(models.Model):
    """One sign-in of a person to a client through the portal. Begun when the authorize step
    issues a code in a portal browser session (its ``sid``, the ``UserSession`` when one is
    recorded, the browser's IP and user agent); signed in when the client exchanges the code
    (``token_family``: the refresh tokens it holds); ended by a portal sign-out, the end of that
    session, a password change or reset, a disabled account, "sign out of this app" or an agent
    (``ended_how``), which revokes its tokens and sends the client a back-channel logout."""

    client = models.ForeignKey(
        Client, verbose_name=_("app"), on_delete=models.CASCADE, related_name="app_signins"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="sso_app_signins",
    )
    sid = models.CharField(_("portal session ID"), max_length=64, db_index=True)
    user_session = models.ForeignKey(
        "signin.UserSession",
        verbose_name=_("portal session"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    code_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    token_family = models.UUIDField(null=True, blank=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    started_at = models.DateTimeField(_("code issued at"))
    signed_in_at = models.DateTimeField(_("signed in at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ended_how = models.CharField(_("how it ended"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("app sign-in")
        verbose_name_plural = _("app sign-ins")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["user", "ended_at"], name="sso_appsignin_user_open"),
            models.Index(fields=["user", "-started_at"], name="sso_appsignin_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.client_id} {self.started_at:%Y-%m-%d %H:%M}"
