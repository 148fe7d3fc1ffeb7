"""Sign-in, its second steps, sign-out and the lock page (under /accounts/)."""

from django.urls import path

from signin import views

app_name = "signin"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.code_view, name="code"),
    path("login/password/", views.password_expired_view, name="password_expired"),
    path("logout/", views.logout_view, name="logout"),
    path("locked/", views.locked_view, name="locked"),
]
