"""The security page's "sign out of this app" (``/account/apps/<id>/sign-out/``): included by the
accounts app's URLs by its dotted name, so its name stays in that namespace
(``accounts:app_signout``)."""

from django.urls import path

from sso import views_account

urlpatterns = [
    path("apps/<int:client_pk>/sign-out/", views_account.app_signout, name="app_signout"),
]
