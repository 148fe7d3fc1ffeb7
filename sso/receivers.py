"""Where the single sign-on app hears the lower apps' events (each receiver one line that hands
off to a service). An app sign-in ends, its tokens are revoked and its client is sent a
back-channel logout when:

- the person signs out of the portal (Django's ``user_logged_out``): that browser session's;
- portal sessions end (``signin.signals.sessions_ended``: "sign out all other sessions", a
  password change's other sessions): theirs;
- the password is changed or reset (``accounts.signals.password_changed``): all of them;
- a lock is cleared by a reset, e.g. after an agent's reset link (``account_unlocked`` with
  ``how="reset"``): all of them;
- the account is saved disabled (the admin's "active" box, ``post_save`` of the user): all.

The outbox tells how each logout went (``messaging.signals``): audited here for this app's kind.
"""

from __future__ import annotations

from sso import backchannel, services
from sso.portal_sessions import SID_KEY


def on_logged_out(sender, request=None, user=None, **kwargs):
    if request is not None and user is not None and hasattr(request, "session"):
        sid = request.session.get(SID_KEY)
        if sid:
            services.app_signins_end(user=user, how="signed_out", sids=[sid], request=request)


def on_sessions_ended(sender, *, user, session_ids, **kwargs):
    services.app_signins_end(user=user, how="sessions_ended", user_session_ids=session_ids)


def on_password_changed(sender, *, user, reason="", **kwargs):
    services.app_signins_end(user=user, how="password_" + (reason or "changed"))


def on_account_unlocked(sender, *, user=None, how="", **kwargs):
    if user is not None and how == "reset":
        services.app_signins_end(user=user, how="unlocked_with_reset")


def on_user_saved(sender, instance, created=False, raw=False, **kwargs):
    if not created and not raw and not instance.is_active:
        services.account_disabled_handle(user=instance)


def on_message_sent(sender, *, message, **kwargs):
    if message.kind == backchannel.KIND:
        services.logout_delivery_record(message=message, sent=True)


def on_message_undelivered(sender, *, message, error="", **kwargs):
    if message.kind == backchannel.KIND:
        services.logout_delivery_record(message=message, sent=False, error=error)
