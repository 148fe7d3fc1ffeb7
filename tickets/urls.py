"""Unlock requests (/tickets/unlock/, /tickets/status/<token>/)."""

app_name = "tickets"
urlpatterns: list = []
