"""Unlock requests (/tickets/unlock/, /tickets/status/<token>/)."""

from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("unlock/", views.unlock_request, name="unlock"),
    path("status/<path:token>/", views.status, name="status"),
]
