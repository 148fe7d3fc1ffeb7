"""The portal browser session an authorization is made in, as a client sees it: ``sid``.

The sid is random, made at the first authorization in a browser session and kept in that
Django session's data (so it survives the key cycling at sign-in and at a password change);
the ``UserSession`` record of the session (the sign-in app's, when one was recorded) is noted
beside it, so the end of that session ends the apps' sign-ins made in it.
"""

from __future__ import annotations

import uuid

from django.http import HttpRequest

from portal.net import client_ip, user_agent
from signin.models import UserSession

SID_KEY = "sso.sid"  # the portal session's sid, kept in the Django session's data


def sid_of(request: HttpRequest) -> str:
    """This browser session's sid, made now if it has none."""
    sid = request.session.get(SID_KEY)
    if not sid:
        sid = uuid.uuid4().hex
        request.session[SID_KEY] = sid
    return sid


def authorization_credentials(request: HttpRequest) -> dict:
    """What the authorize step hands the validator about the browser (``sso_*`` attributes of
    the oauthlib request) for the app sign-in it begins."""
    key = request.session.session_key
    record = (
        UserSession.objects.filter(session_key=key, ended_at__isnull=True)
        .values_list("pk", flat=True)
        .first()
        if key
        else None
    )
    return {
        "sso_sid": sid_of(request),
        "sso_user_session_id": record,
        "sso_ip": client_ip(request),
        "sso_user_agent": user_agent(request),
    }
