"""The demo CRM's URLs, mounted at /demo-crm/ by portal/urls.py only with DEMO_CRM_ENABLED."""

from django.urls import path

from demo_crm import views

app_name = "demo_crm"
urlpatterns = [
    path("", views.home, name="home"),
    path("sign-in/", views.sign_in, name="sign_in"),
    path("callback/", views.callback, name="callback"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("backchannel-logout/", views.backchannel_logout, name="backchannel_logout"),
]
