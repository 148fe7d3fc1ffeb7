"""The project's URLs plus the debug-only ones, for testing /dev/inbox/ with DEBUG on."""

from django.urls import include, path

from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [*portal_urlpatterns, path("dev/", include("messaging.urls_dev"))]
