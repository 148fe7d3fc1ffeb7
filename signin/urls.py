"""Sign-in, sign-out and the lock page (/accounts/login/, /accounts/logout/, /accounts/locked/)."""

from django.contrib.auth import views as auth_views
from django.urls import path

app_name = "signin"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="signin/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
