"""Rendering a message kind's template set in the recipient's language.

A kind is a folder ``messages/<kind>/`` in any app's templates: ``subject.txt``, ``body.txt`` and
optionally ``body.html`` for email, ``sms.txt`` for SMS, ``im.txt`` for one person on a messenger
(WeCom, DingTalk, Feishu; without it the kind's ``sms.txt`` is used), ``robot.txt`` for a group
robot (only robot kinds have one). Text templates are rendered without HTML
autoescaping (they are not HTML); ``body.html`` is autoescaped. The shared footer
(``messages/_footer.*``: the site, and any maintenance notice the context carries) is added to
every message, so a kind's author cannot forget it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.template import TemplateDoesNotExist
from django.template.backends.django import DjangoTemplates
from django.template.loader import get_template
from django.utils import translation
from django.utils.functional import lazy
from django.utils.module_loading import import_string
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from messaging import conf
from messaging.errors import MessageTooLarge, UnknownKind

logger = logging.getLogger(__name__)

KIND = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
PARAM_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_BLANKS = re.compile(r"\n{3,}")
FOOTER_MARK = "<!-- messages-footer -->"


@dataclass(frozen=True)
class Rendered:
    subject: str = ""
    text: str = ""
    html: str = ""
    params: dict = field(default_factory=dict)


@lru_cache(maxsize=1)
def _text_engine() -> DjangoTemplates:
    """The project's template directories and apps, without HTML autoescaping."""
    base = settings.TEMPLATES[0]
    options = {
        key: value
        for key, value in base.get("OPTIONS", {}).items()
        if key in {"libraries", "builtins", "string_if_invalid", "debug"}
    }
    options["autoescape"] = False
    loaders = [
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    # Cached in production; read afresh in debug, so an edited template shows without a restart.
    options["loaders"] = (
        loaders if settings.DEBUG else [("django.template.loaders.cached.Loader", loaders)]
    )
    return DjangoTemplates(
        {
            "NAME": "messaging_text",
            "DIRS": base.get("DIRS", []),
            "APP_DIRS": False,
            "OPTIONS": options,
        }
    )


def _reset_engine(*, setting, **kwargs):
    if setting in {"TEMPLATES", "INSTALLED_APPS", "DEBUG"}:
        _text_engine.cache_clear()


setting_changed.connect(_reset_engine)


def _text_template(name: str):
    return _text_engine().get_template(name)


def language_for(*, user: Any = None, language: str | None = None) -> str:
    shipped = {code for code, _name in settings.LANGUAGES}
    for candidate in (language, getattr(user, "language", None), settings.LANGUAGE_CODE):
        if candidate and candidate.lower() in shipped:
            return candidate.lower()
    return settings.LANGUAGE_CODE


def clean_text(value: str) -> str:
    """Line endings unified, control characters (NUL included) dropped, blank runs collapsed."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = _CONTROL.sub("", value)
    value = "\n".join(line.rstrip() for line in value.split("\n"))
    return _BLANKS.sub("\n\n", value).strip()


def clean_line(value: str) -> str:
    return " ".join(_CONTROL.sub(" ", value).split())


def _site_name() -> str:
    return gettext("Account Portal")


def _interpolate(message: str, params: dict) -> str:
    return gettext(message) % params


# Errors are raised while the recipient's language is active; their text must follow the
# caller's language instead, so it is translated when shown.
_lazy_interpolate = lazy(_interpolate, str)


def build_context(*, kind: str, user: Any, language: str, context: dict) -> dict:
    """Defaults, then the configured processors, then the caller's own values (which win)."""
    ctx: dict[str, Any] = {
        "user": user,
        "base_url": settings.PORTAL_BASE_URL,
        "site_name": _site_name(),
        "kind": kind,
        "language": language,
    }
    for dotted in conf.get("MESSAGING_CONTEXT_PROCESSORS"):
        try:
            extra = import_string(dotted)(kind=kind, user=user, language=language)
        except Exception:
            # A broken processor (say, the notices cache down) must not stop a reset code.
            logger.exception(
                "messaging context processor %s failed; message sent without it", dotted
            )
            continue
        ctx.update(extra or {})
    ctx.update(context or {})
    return ctx


def template_params(context: dict) -> dict:
    """The caller's plain values (strings and numbers), for providers that fill their own
    registered templates (Alibaba Cloud). Wiped with the body when the message is secret."""
    params = {}
    for key, value in (context or {}).items():
        if not PARAM_KEY.match(str(key)) or isinstance(value, bool):
            continue
        if isinstance(value, int | float | str):
            text = clean_line(str(value))
            if len(text) <= 64:
                params[key] = text
    return params


def template_kinds() -> set[str]:
    """Every kind that has a template folder (``messages/<kind>/``) in an installed app or in the
    project's template directories (for the system check of priorities)."""
    from pathlib import Path

    from django.apps import apps

    roots = [Path(app.path) / "templates" for app in apps.get_app_configs()]
    roots += [Path(d) for d in settings.TEMPLATES[0].get("DIRS", [])]
    return {
        folder.name
        for root in roots
        if (root / "messages").is_dir()
        for folder in (root / "messages").iterdir()
        if folder.is_dir() and KIND.match(folder.name)
    }


# Text limits of the messengers (bytes of UTF-8): WeCom's 2048 for a text message (app and
# robot), DingTalk kept at the same, Feishu's 20 KB body less its envelope.
MESSENGER_TEXT_BYTES = {"wecom": 2048, "dingtalk": 2048, "feishu": 20 * 1024 - 512}
PERSON_MESSENGERS = tuple(MESSENGER_TEXT_BYTES)


def kind_channels(kind: str) -> set[str]:
    """Which channels the kind has templates for."""
    found = set()
    for channel, name in (("email", "body.txt"), ("sms", "sms.txt"), ("robot", "robot.txt")):
        try:
            _text_template(f"messages/{kind}/{name}")
        except TemplateDoesNotExist:
            continue
        found.add(channel)
    if "sms" in found or _has_template(f"messages/{kind}/im.txt"):
        found.update(PERSON_MESSENGERS)
    return found


def _has_template(name: str) -> bool:
    try:
        _text_template(name)
    except TemplateDoesNotExist:
        return False
    return True


def _messenger_text(*, channel: str, kind: str, ctx: dict, limit: int | None) -> str:
    if channel == "robot":
        text = clean_text(_render_text(f"messages/{kind}/robot.txt", ctx))
        limit = limit or min(MESSENGER_TEXT_BYTES.values())
    else:
        name = f"messages/{kind}/im.txt"
        body = _render_text(name if _has_template(name) else f"messages/{kind}/sms.txt", ctx)
        text = clean_text(body + "\n" + _footer("messages/_footer_sms.txt", ctx))
        limit = limit or MESSENGER_TEXT_BYTES[channel]
    if len(text.encode()) > limit:
        raise MessageTooLarge(
            _lazy_interpolate(
                gettext_noop("The message is larger than %(limit)s bytes."), {"limit": limit}
            )
        )
    return text


def _render_text(name: str, ctx: dict, *, required: bool = True) -> str | None:
    try:
        template = _text_template(name)
    except TemplateDoesNotExist:
        if required:
            raise
        return None
    return template.render(ctx)


def _footer(name: str, ctx: dict) -> str:
    try:
        return _text_template(name).render(ctx)
    except TemplateDoesNotExist:
        return ""


def _with_html_footer(html: str, ctx: dict) -> str:
    """Bodies extending ``messages/_base.html`` carry the footer already; others get it added."""
    if FOOTER_MARK in html:
        return html
    footer = get_template("messages/_footer.html").render(ctx)
    at = html.lower().rfind("</body>")
    return html + footer if at < 0 else html[:at] + footer + html[at:]


def _check_size(*, subject: str = "", text: str = "", html: str = "", sms: bool) -> None:
    if sms:
        if len(text) > conf.get("MESSAGING_MAX_SMS_CHARS"):
            raise MessageTooLarge(
                _lazy_interpolate(
                    gettext_noop("The text message is longer than %(limit)s characters."),
                    {"limit": conf.get("MESSAGING_MAX_SMS_CHARS")},
                )
            )
        return
    if len(subject) > conf.get("MESSAGING_MAX_SUBJECT_CHARS"):
        raise MessageTooLarge(_("The email subject is too long."))
    if len(text.encode()) > conf.get("MESSAGING_MAX_EMAIL_TEXT_BYTES"):
        raise MessageTooLarge(
            _lazy_interpolate(
                gettext_noop("The email is larger than %(limit)s kB."),
                {"limit": conf.get("MESSAGING_MAX_EMAIL_TEXT_BYTES") // 1024},
            )
        )
    if len(html.encode()) > conf.get("MESSAGING_MAX_EMAIL_HTML_BYTES"):
        raise MessageTooLarge(
            _lazy_interpolate(
                gettext_noop("The email is larger than %(limit)s kB."),
                {"limit": conf.get("MESSAGING_MAX_EMAIL_HTML_BYTES") // 1024},
            )
        )


def render_message(
    *,
    channel: str,
    kind: str,
    context: dict,
    user: Any = None,
    language: str,
    limit_bytes: int | None = None,
) -> Rendered:
    """Render now, in ``language``; raises ``UnknownKind`` or ``MessageTooLarge``.
    ``limit_bytes``: a messenger text's limit when not its channel's own (a robot's kind)."""
    if not KIND.match(kind or ""):
        raise UnknownKind(_("This kind of message does not exist."))
    with translation.override(language):
        ctx = build_context(kind=kind, user=user, language=language, context=context)
        params = template_params(context)
        try:
            if channel in PERSON_MESSENGERS or channel == "robot":
                text = _messenger_text(channel=channel, kind=kind, ctx=ctx, limit=limit_bytes)
                return Rendered(text=text)
            if channel == "sms":
                body = _render_text(f"messages/{kind}/sms.txt", ctx)
                text = clean_text(body + "\n" + _footer("messages/_footer_sms.txt", ctx))
                _check_size(text=text, sms=True)
                return Rendered(text=text, params=params)
            subject = clean_line(_render_text(f"messages/{kind}/subject.txt", ctx))
            text = clean_text(
                _render_text(f"messages/{kind}/body.txt", ctx)
                + "\n\n"
                + _footer("messages/_footer.txt", ctx)
            )
        except TemplateDoesNotExist as exc:
            raise UnknownKind(
                _lazy_interpolate(
                    gettext_noop("Message kind %(kind)s has no %(channel)s template."),
                    {"kind": kind, "channel": channel},
                )
            ) from exc
        html = ""
        try:
            html_template = get_template(f"messages/{kind}/body.html")
        except TemplateDoesNotExist:
            html_template = None
        if html_template is not None:
            html = _with_html_footer(html_template.render(ctx).strip(), ctx)
            html = _CONTROL.sub("", html.replace("\r\n", "\n"))
        _check_size(subject=subject, text=text, html=html, sms=False)
        return Rendered(subject=subject, text=text, html=html, params=params)
