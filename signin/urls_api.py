"""The lock-status API at the site's root (/api/lock-status), beside the notices' /api/status."""

from django.urls import path

from signin import api

app_name = "signin_api"
urlpatterns = [
    path("api/lock-status", api.lock_status, name="lock_status"),
]
