"""The project's URLs plus the demo CRM (mounted by portal/urls.py only when DEBUG is on)."""

from django.urls import include, path

from portal.urls import urlpatterns as portal_urlpatterns

urlpatterns = [*portal_urlpatterns, path("demo-crm/", include("demo_crm.urls"))]
