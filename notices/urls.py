"""Help pages and the status API (/help/, /api/status, /api/lock-status)."""

app_name = "notices"
urlpatterns: list = []
