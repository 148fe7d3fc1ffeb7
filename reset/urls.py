"""Self-service password reset (/accounts/password/reset/...) and unlock with a code
(/accounts/unlock/code/...)."""

from django.urls import path

from reset import views as reset
from reset import views_unlock as unlock

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
    path("unlock/code/", unlock.UnlockStartView.as_view(), name="unlock_start"),
    path("unlock/code/verify/", unlock.UnlockVerifyView.as_view(), name="unlock_verify"),
]
