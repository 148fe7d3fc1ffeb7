"""Recovery contacts: add or change the email address or mobile number a reset code goes to.

A new contact counts only once a code sent to it comes back (``contact_verify`` codes, see
``accounts.codes``). Replacing a verified contact needs the current password (checked through
``authenticate()``, so wrong guesses count toward the lockout) and tells the old contact. The
change waiting for its code is kept in the session, never in a URL.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import codes, conf
from accounts.codes import CodeIssue
from accounts.errors import ContactChangeError
from accounts.masking import mask_contact
from accounts.models import CodeChannel, User
from accounts.services import current_password_confirm
from audit.services import audit_record
from messaging.errors import MessagingError
from messaging.services import messaging_send
from portal.net import client_ip

PURPOSE = "contact_verify"
CONTACT_KINDS = {CodeChannel.EMAIL.value, CodeChannel.SMS.value}  # messengers: messenger_ids
SESSION_KEY = "accounts.contact_pending"
PROMPT_DONE_KEY = "accounts.contact_prompt_done"


def has_verified_contact(user: User) -> bool:
    return user.has_verified_email or user.has_verified_phone


def password_needed(*, user: User, kind: str) -> bool:
    """Replacing a verified contact needs the password; adding a first one does not."""
    return user.has_verified_email if kind == CodeChannel.EMAIL else user.has_verified_phone


def pending(request: HttpRequest) -> dict | None:
    value = request.session.get(SESSION_KEY)
    if isinstance(value, dict) and value.get("kind") in CONTACT_KINDS and value.get("value"):
        return value
    return None


def contact_change_start(
    *, request: HttpRequest, user: User, kind: str, value: str, current_password: str = ""
) -> CodeIssue:
    """Send a code to the new contact ``value``; remember the change in the session.

    Raises ``WrongPassword`` when replacing a verified contact without the right password.
    Returns the ``CodeIssue`` (``sent`` False with a reason when caps or the outbox refuse).
    """
    if kind not in CONTACT_KINDS:
        raise ValueError("kind must be email or sms")
    if password_needed(user=user, kind=kind):
        current_password_confirm(
            request=request,
            user=user,
            password=current_password,
            refused_event="contact.change_refused",
            data={"kind": kind, "reason": "wrong_password"},
        )
    current = user.email if kind == CodeChannel.EMAIL else str(user.phone or "")
    if current and value.lower() == current.lower() and password_needed(user=user, kind=kind):
        raise ContactChangeError(_("This is already your verified contact."), code="same")
    with transaction.atomic():
        issue = codes.code_issue(
            user=user, channel=kind, purpose=PURPOSE, request=request, address=value
        )
        audit_record(
            event="contact.change_requested",
            request=request,
            user=user,
            subject=user.get_username(),
            data={"kind": kind, "to": mask_contact(kind, value), "code_sent": issue.sent},
        )
    if issue.sent:
        request.session[SESSION_KEY] = {"kind": kind, "value": value}
    return issue


def contact_change_confirm(*, request: HttpRequest, user: User, code: str) -> str:
    """Check the code sent to the pending contact; on success store it as verified and tell the
    old contact. Returns the kind changed. Raises ``ContactChangeError``."""
    change = pending(request)
    if change is None:
        raise ContactChangeError(_("There is no change waiting for a code. Start again."))
    kind, value = change["kind"], change["value"]
    now = timezone.now()
    with transaction.atomic():
        ok, tries_left = codes.address_code_check(
            user=user, purpose=PURPOSE, code=code, address=value
        )
        if not ok:
            audit_record(
                event="contact.code_failed",
                request=request,
                user=user,
                subject=user.get_username(),
                data={"kind": kind, "tries_left": tries_left},
            )
    if not ok:
        if tries_left <= 0:
            request.session.pop(SESSION_KEY, None)
            raise ContactChangeError(
                _("Too many wrong codes. Start again and ask for a new code."), code="failed"
            )
        raise ContactChangeError(_("That code is not right or has expired."), code="wrong_code")
    try:
        with transaction.atomic():
            _store(request=request, user=user, kind=kind, value=value, now=now)
    except IntegrityError:
        request.session.pop(SESSION_KEY, None)
        with transaction.atomic():
            audit_record(
                event="contact.change_refused",
                request=request,
                user=user,
                subject=user.get_username(),
                data={"kind": kind, "reason": "taken"},
            )
        raise ContactChangeError(
            _("This address cannot be used for your account. Your helpdesk can help."),
            code="taken",
        ) from None
    request.session.pop(SESSION_KEY, None)
    request.session[PROMPT_DONE_KEY] = True
    return kind


def _store(*, request: HttpRequest, user: User, kind: str, value: str, now) -> None:
    user = User.objects.select_for_update().get(pk=user.pk)
    if kind == CodeChannel.EMAIL:
        old, old_verified = user.email, user.has_verified_email
        user.email, user.email_verified_at = value, now
        fields = ["email", "email_verified_at"]
    else:
        old, old_verified = str(user.phone or ""), user.has_verified_phone
        user.phone, user.phone_verified_at = value, now
        fields = ["phone", "phone_verified_at"]
    user.save(update_fields=fields)
    audit_record(
        event="contact.changed",
        request=request,
        user=user,
        subject=user.get_username(),
        data={
            "kind": kind,
            "to": mask_contact(kind, value),
            "from": mask_contact(kind, old) if old else "",
        },
    )
    if old and old_verified and old.lower() != value.lower():
        context = {
            "contact_kind": kind,
            "old_masked": mask_contact(kind, old),
            "new_masked": mask_contact(kind, value),
            "changed_at": now,
            "ip": client_ip(request),
        }

        try:
            with transaction.atomic():
                messaging_send(
                    channel=kind,
                    kind="contact_changed",
                    context=context,
                    to_user=user,
                    to_address=old,
                )
        except MessagingError:
            # The old number may be past its SMS caps; the change stands and is audited.
            audit_record(
                event="contact.old_not_told",
                request=request,
                user=user,
                subject=user.get_username(),
                data={"kind": kind},
            )


@transaction.atomic
def contact_prompt_skip(*, request: HttpRequest, user: User) -> bool:
    """ "Later" on the add-a-contact prompt; False when no skip is left."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.contact_prompt_skips >= conf.get("CONTACT_PROMPT_SKIPS"):
        return False
    user.contact_prompt_skips += 1
    user.save(update_fields=["contact_prompt_skips"])
    audit_record(
        event="contact.prompt_skipped",
        request=request,
        user=user,
        subject=user.get_username(),
        data={"skips": user.contact_prompt_skips},
    )
    request.session[PROMPT_DONE_KEY] = True
    return True
