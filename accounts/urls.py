"""Self-service password reset (/accounts/password/reset/...)."""

app_name = "reset"
urlpatterns: list = []
