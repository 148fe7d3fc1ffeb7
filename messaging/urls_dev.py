"""Debug-only pages (mounted under /dev/ when DEBUG is on)."""

from django.urls import path

from messaging import views

app_name = "dev"
urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
]
