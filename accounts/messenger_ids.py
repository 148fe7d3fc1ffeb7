"""A person's messenger ids (WeCom, DingTalk, Feishu): set on ``/account/messengers/`` with a code
sent through that messenger, imported by an admin from CSV, and read by the outbox
(``verified_messenger_ids``, named by ``MESSAGING_MESSENGER_IDS``) and by the reset.

The code follows the rules of every code (``accounts.codes``, purpose ``messenger_verify``):
6 digits from ``secrets``, kept as an HMAC, 10 minutes, 5 tries across resends, single use. The
id waiting for its code is kept in the session, never in a URL. A new id replaces the person's
old one on that messenger only once its code came back.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import codes
from accounts.codes import CodeIssue
from accounts.errors import ContactChangeError
from accounts.models import CodeChannel, MessengerId, User
from audit.services import audit_record
from messaging.errors import InvalidRecipient
from messaging.messengers import dingtalk, feishu, wecom
from messaging.messengers.ids import messenger_id_normalize

PURPOSE = "messenger_verify"
SESSION_KEY = "accounts.messenger_pending"
PROVIDERS = (CodeChannel.WECOM.value, CodeChannel.DINGTALK.value, CodeChannel.FEISHU.value)
_MODULES = {"wecom": wecom, "dingtalk": dingtalk, "feishu": feishu}


# --- reads --------------------------------------------------------------------------------------
def configured_messengers() -> list[str]:
    """The messengers whose app the portal has credentials for (in a fixed order)."""
    return [p for p in PROVIDERS if not _MODULES[p].missing_settings()]


def verified_messenger_ids(*, user: User) -> dict[str, str]:
    """{messenger: id} of ``user``'s verified ids on configured messengers (the outbox's)."""
    usable = configured_messengers()
    if not usable:
        return {}
    rows = MessengerId.objects.filter(user=user, provider__in=usable)
    return dict(rows.values_list("provider", "external_id"))


def code_channel_choices() -> list[tuple[str, str]]:
    """The reset page's "send the code by": email, SMS, then each configured messenger. The
    same for every visitor: it says what the portal offers, never what an account has."""
    shown = {CodeChannel.EMAIL.value, CodeChannel.SMS.value, *configured_messengers()}
    return [(c.value, c.label) for c in CodeChannel if c.value in shown]


def pending(request: HttpRequest) -> dict | None:
    value = request.session.get(SESSION_KEY)
    if isinstance(value, dict) and value.get("provider") in PROVIDERS and value.get("value"):
        return value
    return None


# --- the owner's own ----------------------------------------------------------------------------
def messenger_id_start(*, request: HttpRequest, user: User, provider: str, value: str) -> CodeIssue:
    """Send a code to ``value`` on ``provider``; remember it in the session. Raises
    ``ContactChangeError`` for an id that cannot be used."""
    if provider not in configured_messengers():
        raise ContactChangeError(_("This messenger is not available."), code="unavailable")
    try:
        external = messenger_id_normalize(value)
    except InvalidRecipient as exc:
        raise ContactChangeError(str(exc), code="invalid") from None
    issue = codes.code_issue(
        user=user, channel=provider, purpose=PURPOSE, request=request, address=external
    )
    if issue.sent:
        request.session[SESSION_KEY] = {"provider": provider, "value": external}
    return issue


def messenger_id_confirm(*, request: HttpRequest, user: User, code: str) -> MessengerId:
    """Check the code sent to the pending id; on success it becomes the person's verified id
    on that messenger. Raises ``ContactChangeError``."""
    change = pending(request)
    if change is None:
        raise ContactChangeError(_("There is no id waiting for a code. Start again."))
    provider, value = change["provider"], change["value"]
    with transaction.atomic():
        ok, tries_left = codes.address_code_check(
            user=user, purpose=PURPOSE, code=code, address=value, channel=provider
        )
        if not ok:
            audit_record(
                event="messenger.code_failed",
                request=request,
                user=user,
                subject=user.get_username(),
                data={"messenger": provider, "tries_left": tries_left},
            )
    if not ok:
        if tries_left <= 0:
            request.session.pop(SESSION_KEY, None)
            raise ContactChangeError(
                _("Too many wrong codes. Start again and ask for a new code."), code="failed"
            )
        raise ContactChangeError(_("That code is not right or has expired."), code="wrong_code")
    request.session.pop(SESSION_KEY, None)
    try:
        with transaction.atomic():
            return _store(user=user, provider=provider, value=value, source="self", request=request)
    except IntegrityError:
        with transaction.atomic():
            audit_record(
                event="messenger.refused",
                request=request,
                user=user,
                subject=user.get_username(),
                data={"messenger": provider, "reason": "taken"},
            )
        raise ContactChangeError(
            _("This id is linked to another account. Your helpdesk can help."), code="taken"
        ) from None


def _store(*, user: User, provider: str, value: str, source: str, request=None, actor=None):
    row, created = MessengerId.objects.update_or_create(
        user=user,
        provider=provider,
        defaults={"external_id": value, "source": source, "verified_at": timezone.now()},
    )
    audit_record(
        event="messenger.verified",
        request=request,
        actor=actor,
        user=user,
        subject=user.get_username(),
        data={"messenger": provider, "source": source, "replaced": not created},
    )
    return row


@transaction.atomic
def messenger_id_remove(*, request: HttpRequest, user: User, provider: str) -> bool:
    removed, _kinds = MessengerId.objects.filter(user=user, provider=provider).delete()
    if removed:
        audit_record(
            event="messenger.removed",
            request=request,
            user=user,
            subject=user.get_username(),
            data={"messenger": provider},
        )
    return bool(removed)


# --- an admin's CSV import ----------------------------------------------------------------------
@dataclass
class ImportReport:
    linked: int = 0
    unchanged: int = 0
    problems: list[str] = field(default_factory=list)


def messenger_ids_import(*, text: str, actor: User | None = None) -> ImportReport:
    """Link ids from CSV ``username,messenger,id`` (a header line is allowed). Each good line is
    saved and audited; a bad one (unknown account, messenger or id form, an id already linked to
    someone else) is reported by its line number and changes nothing."""
    report = ImportReport()
    reader = csv.reader(io.StringIO(text))
    for number, row in enumerate(reader, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and [c.lower() for c in cells[:3]] == ["username", "messenger", "id"]:
            continue
        if len(cells) != 3:
            report.problems.append(_("line %(n)d: three columns expected") % {"n": number})
            continue
        username, provider, value = cells
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            report.problems.append(_("line %(n)d: no such account") % {"n": number})
            continue
        if provider not in PROVIDERS:
            report.problems.append(_("line %(n)d: unknown messenger") % {"n": number})
            continue
        try:
            external = messenger_id_normalize(value)
        except InvalidRecipient:
            report.problems.append(_("line %(n)d: the id is not valid") % {"n": number})
            continue
        if MessengerId.objects.filter(user=user, provider=provider, external_id=external).exists():
            report.unchanged += 1
            continue
        try:
            with transaction.atomic():
                _store(user=user, provider=provider, value=external, source="import", actor=actor)
        except IntegrityError:
            report.problems.append(
                _("line %(n)d: the id belongs to another account") % {"n": number}
            )
            continue
        report.linked += 1
    return report


__all__ = [
    "code_channel_choices",
    "configured_messengers",
    "messenger_id_confirm",
    "messenger_id_remove",
    "messenger_id_start",
    "messenger_ids_import",
    "verified_messenger_ids",
]
