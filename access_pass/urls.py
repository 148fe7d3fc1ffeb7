"""Sign in with a temporary access pass, and what must follow it (under /accounts/pass/)."""

from django.urls import path

from access_pass import views

app_name = "access_pass"
urlpatterns = [
    path("pass/", views.signin_view, name="signin"),
    path("pass/enrol/", views.enrol_view, name="enrol"),
    path("pass/password/", views.password_view, name="password"),
]
