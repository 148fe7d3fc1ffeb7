"""Writes: portal accounts made and kept from directory entries, a new password written to the
directory, the directory's lock cleared. Keyword-only, typed, atomic, audited.

``password_write`` is what ``accounts.services.user_password_set`` calls (``ACCOUNTS_PASSWORD_
WRITE``, the accounts app being a lower layer) inside its transaction, after its own checks and
last of all its writes: the directory's refusal raises ``ValidationError`` and the portal's
changes roll back with it, so the portal and the directory agree or nothing changed.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import ldap3
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import sessions
from accounts.identifiers import phone_e164
from accounts.models import User
from accounts.roles import HELPDESK_AGENTS
from audit.services import audit_record
from directory import conf
from directory.connection import service_connection
from directory.dialects import Entry, PasswordRefused
from directory.models import DirectoryAccount
from directory.selectors import directory_account_of, entries_of, entry_read, policy

log = logging.getLogger(__name__)

REFUSAL_MESSAGES = {
    "too_short": _("The company directory refused this password: it is too short for its policy."),
    "in_history": _(
        "The company directory refused this password: it was used before. Choose one you have "
        "not used."
    ),
    "too_young": _(
        "The company directory refused this password: the password was changed too recently. "
        "Try again later or ask the helpdesk."
    ),
    "quality": _(
        "The company directory refused this password: it does not meet its quality rules "
        "(length, kinds of characters)."
    ),
    "policy": _(
        "The company directory refused this password under its password policy (length, "
        "complexity, history or age). Choose another."
    ),
}


# --- Accounts from entries ------------------------------------------------------------------
def entry_fields(entry: Entry) -> dict[str, Any]:
    """The portal's fields (and the ``extra`` values) ``entry`` gives, through the map."""
    mapping = conf.attribute_map()

    def text(field: str) -> str:
        attribute = mapping.get(field)
        value = entry.first(attribute) if attribute else None
        return str(value).strip() if value is not None else ""

    first, last = text("first_name"), text("last_name")
    if not first and not last:
        first = text("display_name")
    mobile = text("mobile")
    return {
        "username": text("username")[:150],
        "email": text("email")[:254].lower(),
        "phone": (phone_e164(mobile) or "") if mobile else "",
        "first_name": first[:150],
        "last_name": last[:150],
        "employee_id": text("employee_id")[:32] or None,
        "extra": {f: text(f) for f in ("wecom", "dingtalk", "feishu") if text(f)},
    }


def _free(field: str, value, *, user_pk) -> bool:
    """Whether no other account holds ``value`` in the unique ``field``."""
    if not value:
        return True
    taken = User.objects.exclude(pk=user_pk)
    if field == "email":
        taken = taken.alias(v=Lower("email")).filter(v=value.lower())
    else:
        taken = taken.filter(**{field: value})
    return not taken.exists()


def _contacts_apply(user: User, fields: dict, *, now: datetime, changed: list[str]) -> None:
    trusted = bool(conf.get("DIRECTORY_CONTACTS_TRUSTED"))
    for field, verified in (("email", "email_verified_at"), ("phone", "phone_verified_at")):
        value = fields[field]
        if str(getattr(user, field) or "") != value:
            if not _free(field, value, user_pk=user.pk):
                log.warning("directory: %s of %s is another account's; not copied", field, user.pk)
                continue
            setattr(user, field, value)
            setattr(user, verified, now if trusted and value else None)
            changed += [field, verified]
        elif trusted and value and getattr(user, verified) is None:
            setattr(user, verified, now)
            changed.append(verified)


def _groups_apply(user: User, conn, dn: str, changed: list[str]) -> None:
    agent_dn, admin_dn = conf.get("DIRECTORY_AGENT_GROUP_DN"), conf.get("DIRECTORY_ADMIN_GROUP_DN")
    if not agent_dn and not admin_dn:
        return
    dialect = conf.dialect()

    def member(group_dn: str) -> bool:
        conn.search(group_dn, dialect.member_filter(dn), search_scope=ldap3.BASE, attributes=[])
        return bool(entries_of(conn))

    is_agent = bool(agent_dn) and member(agent_dn)
    is_admin = bool(admin_dn) and member(admin_dn)
    staff = is_agent or is_admin or (user.is_staff and not agent_dn and not admin_dn)
    if admin_dn and user.is_superuser != is_admin:
        user.is_superuser = is_admin
        changed.append("is_superuser")
    if user.is_staff != staff:
        user.is_staff = staff
        changed.append("is_staff")
    if agent_dn and user.pk:
        group = Group.objects.filter(name=HELPDESK_AGENTS).first()
        if group is not None:
            (user.groups.add if is_agent else user.groups.remove)(group)


@transaction.atomic
def account_from_entry(
    *, entry: Entry, now: datetime | None = None, request: HttpRequest | None = None
) -> User | None:
    """Make or update the portal account of ``entry`` (sign-in, the sync). Found by the entry's
    directory ID, else by username (an existing portal account is linked). None when the entry
    has no username or its username belongs to another directory entry's account."""
    now = now or timezone.now()
    dialect = conf.dialect()
    fields = entry_fields(entry)
    guid = dialect.guid(entry)
    if not fields["username"] or not guid:
        log.warning("directory: an entry without a username or an ID was skipped")
        return None
    link = DirectoryAccount.objects.select_related("user").filter(guid=guid).first()
    user = link.user if link is not None else None
    if user is None:
        user = (
            User.objects.alias(u=Lower("username"))
            .filter(u=fields["username"].lower())
            .select_related("directory_account")
            .first()
        )
        if user is not None and hasattr(user, "directory_account"):
            log.warning("directory: username %s is another entry's account; skipped", user.pk)
            return None
    created = user is None
    if created:
        user = User(username=fields["username"])
        user.set_unusable_password()
    changed: list[str] = []
    for field in ("username", "first_name", "last_name"):
        if getattr(user, field) != fields[field]:
            setattr(user, field, fields[field])
            changed.append(field)
    if user.employee_id != fields["employee_id"] and _free(
        "employee_id", fields["employee_id"], user_pk=user.pk
    ):
        user.employee_id = fields["employee_id"]
        changed.append("employee_id")
    _contacts_apply(user, fields, now=now, changed=changed)
    if created:
        user.save()
    elif changed:
        user.save(update_fields=sorted(set(changed)))
    if link is None:
        link = DirectoryAccount(user=user, guid=guid)
    link.dn, link.change_marker = entry.dn, dialect.change_marker(entry)
    link.extra, link.synced_at = fields["extra"], now
    link.save()
    if conf.get("DIRECTORY_AGENT_GROUP_DN") or conf.get("DIRECTORY_ADMIN_GROUP_DN"):
        with service_connection() as conn:
            group_changes: list[str] = []
            _groups_apply(user, conn, entry.dn, group_changes)
            if group_changes:
                user.save(update_fields=group_changes)
    if created:
        audit_record(
            event="directory.account_created",
            request=request,
            user=user,
            subject=user.username,
            data={"dn": entry.dn[:300]},
        )
    account_state_apply(link=link, disabled=dialect.disabled(entry), gone=False, request=request)
    return user


@transaction.atomic
def account_state_apply(
    *, link: DirectoryAccount, disabled: bool, gone: bool, request: HttpRequest | None = None
) -> bool:
    """Follow the directory's "disabled" or "gone": the account cannot sign in, reset or get
    tokens (``is_active`` off, which the single sign-on app follows by ending its tokens) and
    every portal session ends; back on when the directory turns it on again. Whether it changed."""
    was_off = link.disabled or link.gone
    now_off = disabled or gone
    if (link.disabled, link.gone) != (disabled, gone):
        link.disabled, link.gone = disabled, gone
        link.save(update_fields=["disabled", "gone"])
    user = link.user
    if was_off == now_off:  # no change in the directory: a local switch-off stays as it is
        return False
    user.is_active = not now_off
    user.save(update_fields=["is_active"])
    ended = sessions.sessions_end(user=user) if now_off else 0
    audit_record(
        event="directory.account_disabled" if now_off else "directory.account_enabled",
        request=request,
        user=user,
        subject=user.username,
        data={"why": "gone" if gone else "disabled"}
        | ({"sessions_ended": ended} if now_off else {}),
    )
    return True


# --- Password and lock written back ------------------------------------------------------------
def password_write(*, user: User, raw_password: str, reason: str = "", **_kwargs: Any) -> bool:
    """``ACCOUNTS_PASSWORD_WRITE``: set ``user``'s new password in the directory (an account not
    linked to it: nothing, False). A reset also lifts the directory's lock. ``ValidationError``
    with a translated sentence when the directory's policy refuses; ``DirectoryUnavailable`` when
    it does not answer."""
    if not conf.enabled():
        return False
    link = directory_account_of(user)
    if link is None:
        return False
    if link.gone or link.disabled:
        raise ValidationError(
            _("This account is switched off in the company directory. Ask the helpdesk."),
            code="directory_disabled",
        )
    entry = entry_read(dn=link.dn)
    if entry is None:
        raise ValidationError(
            _("This account is no longer in the company directory. Ask the helpdesk."),
            code="directory_gone",
        )
    dialect = conf.dialect()
    if dialect.disabled(entry):  # the sync will switch the portal's account off too
        raise ValidationError(
            _("This account is switched off in the company directory. Ask the helpdesk."),
            code="directory_disabled",
        )
    with service_connection() as conn:
        try:
            dialect.password_set(conn, entry, raw_password)
        except PasswordRefused as refused:
            log.info("directory: new password of %s refused (%s)", user.pk, refused.code)
            raise ValidationError(
                REFUSAL_MESSAGES[refused.code], code=f"directory_{refused.code}"
            ) from None
        cleared = False
        if reason == "reset":  # a reset also unlocks (ppolicy may already have on the write)
            cleared = dialect.lock_read(entry, policy(), timezone.now()).locked
            dialect.lock_clear(conn, entry)
    audit_record(
        event="directory.password_written",
        user=user,
        subject=user.username,
        data={"reason": reason, "lock_cleared": cleared},
    )
    return True


@transaction.atomic
def directory_lock_clear(*, user, how: str, actor=None, request: HttpRequest | None = None) -> bool:
    """Lift the directory's lock on ``user`` (an agent's unlock, a reset, a self-service unlock
    with a code); audited. Whether a lock was lifted."""
    if not conf.enabled() or user is None:
        return False
    link = directory_account_of(user)
    if link is None or link.gone:
        return False
    entry = entry_read(dn=link.dn)
    if entry is None:
        return False
    with service_connection() as conn:
        cleared = conf.dialect().lock_clear(conn, entry)
    if cleared:
        audit_record(
            event="directory.unlocked",
            request=request,
            actor=actor,
            user=user,
            subject=user.get_username(),
            data={"how": how},
        )
    return cleared


OLD_PASSWORD_GRACE = _(
    "Windows and other systems may still accept your old password for up to an hour; use the "
    "new one."
)


def reset_done_note() -> str | None:
    """What the reset's done page adds for a directory that keeps an old password valid for a
    while after a reset (AD, Samba: ``old password allowed period``, 60 minutes by default)."""
    if conf.enabled() and conf.get("DIRECTORY_KIND") == "ad":
        return str(OLD_PASSWORD_GRACE)
    return None
