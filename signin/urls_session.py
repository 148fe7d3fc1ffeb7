"""The session's two-step confirmation, included by ``accounts/urls_self.py`` under /account/
(no namespace of its own: its name lives in the security page's, ``accounts:two_step_verify``)."""

from django.urls import path

from signin import views_session

urlpatterns = [
    path("two-step/verify/", views_session.two_step_verify, name="two_step_verify"),
]
