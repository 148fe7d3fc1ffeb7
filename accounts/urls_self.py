"""The employee's own security page (/account/)."""

from django.urls import path

from accounts import views

app_name = "accounts"
urlpatterns = [path("", views.overview, name="overview")]
