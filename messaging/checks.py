"""System checks: a misconfigured SMS backend is caught at start-up, not at the first reset."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Info, Tags, Warning, register
from django.utils.module_loading import import_string

from messaging import conf
from messaging.kinds import declared_priorities
from messaging.rendering import template_kinds
from messaging.sms import backend_path

DEV_BACKENDS = {"console", "file", "locmem"}


@register(Tags.compatibility)
def sms_backend_check(app_configs, **kwargs):
    try:
        backend = import_string(backend_path())
    except ImportError:
        return [
            Error(
                f"SMS_BACKEND={settings.SMS_BACKEND!r} cannot be imported.",
                hint="Use console, file, locmem, webhook, twilio, aliyun or a dotted path.",
                id="messaging.E001",
            )
        ]
    missing = backend.check_config()
    if missing:
        return [
            Error(
                f"SMS_BACKEND={settings.SMS_BACKEND!r} needs {', '.join(missing)}.",
                hint="Set the provider's environment variables (see the README, Messages).",
                id="messaging.E002",
            )
        ]
    if settings.SMS_BACKEND == "aliyun" and not (
        conf.get("SMS_ALIYUN_TEMPLATES") or conf.get("SMS_ALIYUN_DEFAULT_TEMPLATE")
    ):
        return [
            Warning(
                "SMS_BACKEND=aliyun has no templates: every SMS would fail.",
                hint="Set SMS_ALIYUN_TEMPLATES=kind=SMS_xxx,... or SMS_ALIYUN_DEFAULT_TEMPLATE.",
                id="messaging.W002",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def sms_backend_deploy_check(app_configs, **kwargs):
    # Info, not Warning: a portal may run email-only; the deploy check shows it either way.
    if settings.SMS_BACKEND in DEV_BACKENDS:
        return [
            Info(
                f"SMS_BACKEND={settings.SMS_BACKEND!r} does not send text messages; codes would "
                "only reach the console or a file.",
                hint="Use webhook, twilio or aliyun in production.",
                id="messaging.I001",
            )
        ]
    return []


@register()
def messaging_priorities_check(app_configs, **kwargs):
    """The priority shares make sense, and every kind has a declared class."""
    problems = []
    courtesy = conf.get("SMS_SHARE_COURTESY_PERCENT")
    security = conf.get("SMS_SHARE_SECURITY_PERCENT")
    if not 0 <= courtesy <= security <= 100:
        problems.append(
            Error(
                f"SMS_SHARE_COURTESY_PERCENT={courtesy} and SMS_SHARE_SECURITY_PERCENT="
                f"{security}: need 0 <= courtesy <= security <= 100.",
                id="messaging.E003",
            )
        )
    per_hour = conf.get("MESSAGING_NOTICES_PER_ACCOUNT_HOUR")
    courtesy_per_hour = conf.get("MESSAGING_COURTESY_PER_ACCOUNT_HOUR")
    if not 0 <= courtesy_per_hour <= per_hour:
        problems.append(
            Error(
                f"MESSAGING_COURTESY_PER_ACCOUNT_HOUR={courtesy_per_hour} must be between 0 and "
                f"MESSAGING_NOTICES_PER_ACCOUNT_HOUR={per_hour}.",
                id="messaging.E004",
            )
        )
    try:
        declared = declared_priorities()
    except (ValueError, AttributeError) as exc:
        return [
            *problems,
            Error(
                f"MESSAGING_KIND_PRIORITIES: {exc}",
                hint='A dict of kind to "code", "security" or "courtesy".',
                id="messaging.E005",
            ),
        ]
    for kind in sorted(template_kinds() - set(declared)):
        problems.append(
            Warning(
                f"Message kind {kind!r} has no priority class: it is sent as courtesy "
                "(the smallest share of the SMS caps, the lowest notice cap).",
                hint="Declare it in messaging.kinds.KIND_PRIORITIES or "
                "MESSAGING_KIND_PRIORITIES, or pass priority= when sending it.",
                id="messaging.W003",
            )
        )
    return problems
