from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigninConfig(AppConfig):
    name = "signin"
    verbose_name = _("Sign-in and lockout")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        # ``last_login`` is written with the rest of a sign-in's records, in one message
        # (``signin.services.signin_succeeded``), not by Django's own receiver in a statement of
        # its own. A login() without checked credentials (a test's force_login) is no sign-in
        # and leaves it alone.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        # The hash a name without an account is checked against, made now rather than by the
        # first such attempt, which would answer one hash later than a real account's.
        from signin.identity import throwaway_hash

        throwaway_hash()
