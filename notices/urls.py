"""Help pages and the status API (/help/, /api/status; /api/lock-status is ``signin.urls_api``)."""

from django.urls import path

from notices import api, views

app_name = "notices"
urlpatterns = [
    path("help/", views.help_home, name="help"),
    path("help/cookies/", views.help_cookie_test, name="help_cookies"),
    path("help/faq/", views.faq, name="faq"),
    path("notices/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("api/status", api.status, name="api_status"),
]
