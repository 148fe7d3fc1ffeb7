"""The session's two-step confirmation and "sign out all other sessions", included by
``accounts/urls_self.py`` under /account/ (no namespace of its own: their names live in the
security page's, ``accounts:two_step_verify`` and ``accounts:sessions_end_others``)."""

from django.urls import path

from signin import views_passkey, views_session

urlpatterns = [
    path("two-step/verify/", views_session.two_step_verify, name="two_step_verify"),
    path("two-step/passkey/begin/", views_passkey.verify_begin, name="two_step_passkey_begin"),
    path(
        "two-step/passkey/complete/",
        views_passkey.verify_complete,
        name="two_step_passkey_complete",
    ),
    path("sessions/end-others/", views_session.sessions_end_others, name="sessions_end_others"),
]
