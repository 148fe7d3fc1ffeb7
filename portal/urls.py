from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from portal import views

handler400 = "portal.views.bad_request"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("signin.urls")),
    path("accounts/", include("reset.urls")),
    path("accounts/", include("access_pass.urls")),
    path("account/passkeys/", include("passkeys.urls")),
    path("account/", include("accounts.urls_self")),
    path("tickets/", include("tickets.urls")),
    path("", include("signin.urls_api")),
    path("", include("notices.urls")),
    path("", include("sso.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    urlpatterns += [path("dev/", include("messaging.urls_dev"))]
if settings.DEMO_CRM_ENABLED:
    # The demo CRM: a relying party that signs in through the portal (docs/sso.md, "Try it").
    urlpatterns += [path("demo-crm/", include("demo_crm.urls"))]
