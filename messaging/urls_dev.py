"""Debug-only pages (mounted under /dev/ when DEBUG is on)."""

app_name = "dev"
urlpatterns: list = []
