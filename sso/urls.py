"""The provider's URLs, mounted at the site root by portal/urls.py: discovery at the issuer's
``/.well-known/openid-configuration``, the endpoints under ``/o/``. The namespace is
django-oauth-toolkit's, which reverses its own URL names.

The authorize and token endpoints are the sign-in's door: the guard the sign-in uses
(``SIGNIN_DOOR_GUARD``, the notices' maintenance guard) wraps them, so a notice that blocks sign-in
shows on the authorize page with its recovery time and the token endpoint answers 503 with
``Retry-After``.
"""

from django.urls import path, re_path

from signin.door_guard import door_guard
from sso import views, views_logo

app_name = "oauth2_provider"

urlpatterns = [
    re_path(
        r"^\.well-known/openid-configuration/?$",
        views.DiscoveryView.as_view(),
        name="oidc-connect-discovery-info",
    ),
    path("o/authorize/", door_guard(views.AuthorizeView.as_view()), name="authorize"),
    path("o/token/", door_guard(views.TokenView.as_view()), name="token"),
    path("o/revoke_token/", views.RevokeView.as_view(), name="revoke-token"),
    path("o/introspect/", views.IntrospectView.as_view(), name="introspect"),
    path("o/userinfo/", views.UserInfoView.as_view(), name="user-info"),
    path("o/.well-known/jwks.json", views.JwksView.as_view(), name="jwks-info"),
    path("o/logout/", views.LogoutView.as_view(), name="rp-initiated-logout"),
    path(
        "o/clients/<int:client_pk>/logo/<str:version>",
        views_logo.client_logo,
        name="client-logo",
    ),
]
