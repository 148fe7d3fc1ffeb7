"""Self-service password reset (/accounts/password/reset/...)."""

from django.urls import path

from reset import views as reset

app_name = "reset"
urlpatterns = [
    path("password/reset/", reset.StartView.as_view(), name="start"),
    path("password/reset/verify/", reset.VerifyView.as_view(), name="verify"),
    path(
        "password/reset/verify/second-step/",
        reset.SecondFactorView.as_view(),
        name="second_factor",
    ),
    path("password/reset/new/", reset.NewPasswordView.as_view(), name="new"),
    path("password/reset/link/<str:token>/", reset.LinkView.as_view(), name="link"),
]
