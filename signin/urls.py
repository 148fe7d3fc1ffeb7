"""Sign-in, its second steps, sign-out and the lock page (under /accounts/)."""

from django.urls import path

from signin import views, views_passkey

app_name = "signin"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.code_view, name="code"),
    path("login/password/", views.password_expired_view, name="password_expired"),
    path("login/passkey/begin/", views_passkey.signin_begin, name="passkey_begin"),
    path("login/passkey/complete/", views_passkey.signin_complete, name="passkey_complete"),
    path("login/code/passkey/", views_passkey.code_complete, name="code_passkey"),
    path("logout/", views.logout_view, name="logout"),
    path("locked/", views.locked_view, name="locked"),
]
