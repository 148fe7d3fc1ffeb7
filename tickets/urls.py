"""Unlock requests (/tickets/unlock/, /tickets/status/<token>/ and the token-free
/tickets/status/ it redirects to)."""

from django.urls import path

from tickets import views

app_name = "tickets"
urlpatterns = [
    path("unlock/", views.unlock_request, name="unlock"),
    path("status/", views.status_page, name="status_page"),
    path("status/<path:token>/", views.status, name="status"),
]
