"""Writes on the records of signed-in sessions (``signin.models.UserSession``): the record a
sign-in makes, "last seen", a session's key following Django's, ending sessions (a password
change, "sign out all other sessions"). Keyword-only, typed, atomic; audit rows where a person
acts. The session data itself stays in Django's session store (``signin.sessions``).

The accounts app (a lower layer) reaches ``sessions_end_for_user`` and ``session_rekey`` through
the callables its settings name (``accounts.sessions``), never by an import."""

from __future__ import annotations

from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import User
from audit.services import audit_record
from portal.db import Statement, insert_statement
from portal.net import client_ip, user_agent
from signin.models import UserSession
from signin.signals import sessions_ended


def session_record_statement(*, request: HttpRequest, user: User, known_browser: bool) -> Statement:
    """The write of the record of the session a sign-in just created (call after ``login()``),
    for the sign-in to send with its other writes (``portal.db``): an insert that overwrites a
    record of the same key; the key was just made, so it is new unless it is recorded twice."""
    record = _session_record(request=request, user=user, known_browser=known_browser)
    overwritten = [f.name for f in UserSession._meta.concrete_fields if not f.primary_key]
    overwritten.remove("session_key")
    return insert_statement(record, unique_fields=["session_key"], update_fields=overwritten)


def _session_record(*, request: HttpRequest, user: User, known_browser: bool) -> UserSession:
    now = timezone.now()
    key = request.session.session_key
    if key is None:
        request.session.save()
        key = request.session.session_key
    return UserSession(
        session_key=key,
        user=user,
        created_at=now,
        last_seen_at=now,
        ip=client_ip(request),
        user_agent=user_agent(request),
        known_browser=known_browser,
        ended_at=None,
    )


@transaction.atomic
def sessions_end_for_user(*, user: User, except_session_key: str | None = None) -> int:
    """End every open session of ``user`` (but one, when given). Returns how many ended; once
    that commits, ``sessions_ended`` names them."""
    open_sessions = UserSession.objects.filter(user=user, ended_at__isnull=True)
    if except_session_key:
        open_sessions = open_sessions.exclude(session_key=except_session_key)
    rows = list(open_sessions.values_list("pk", "session_key"))
    Session.objects.filter(session_key__in=[key for _pk, key in rows]).delete()
    if rows:
        ids = [pk for pk, _key in rows]
        transaction.on_commit(
            lambda: sessions_ended.send(sender=UserSession, user=user, session_ids=ids),
            robust=True,
        )
    # Sessions no sign-in registered (none should exist) still die on a password change: Django
    # checks each session's password hash on its next request (SessionAuthenticationMiddleware).
    return open_sessions.update(ended_at=timezone.now())


@transaction.atomic
def session_touch(*, session_key: str, now=None) -> None:
    UserSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(
        last_seen_at=now or timezone.now()
    )


@transaction.atomic
def sessions_end_others(*, request: HttpRequest, user: User) -> int:
    """ "Sign out all other sessions": every session of ``user`` but this browser's."""
    ended = sessions_end_for_user(user=user, except_session_key=request.session.session_key)
    audit_record(
        event="account.sessions_ended",
        request=request,
        user=user,
        subject=user.get_username(),
        data={"sessions_ended": ended, "how": "self"},
    )
    return ended


@transaction.atomic
def session_rekey(*, old_key: str | None, new_key: str | None) -> None:
    """Follow a session whose key Django cycled (``update_session_auth_hash``, ``login``)."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)
