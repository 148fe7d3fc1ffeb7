from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SigninConfig(AppConfig):
    name = "signin"
    verbose_name = _("Sign-in and lockout")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from signin import checks  # noqa: F401 (registers the system checks)

        # Django's ``update_last_login`` stays in charge of every login but one: a sign-in whose
        # credentials were checked here (``Attempt.verified_user``) sends ``last_login`` with its
        # other records in one message (``signin.services.signin_succeeded``), where Django's
        # receiver would add a statement (and, in the bookkeeping's one-statement transaction,
        # a second synchronous commit) of its own. Guarded by tests/signin/test_last_login.py.
        user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(last_login_update, dispatch_uid="update_last_login")
        # The hash a name without an account is checked against, made now rather than by the
        # first such attempt, which would answer one hash later than a real account's.
        from signin.identity import throwaway_hash

        throwaway_hash()

        # A lock storm tells the security group's robot (docs/messengers.md). Imported in
        # ready(): the receiver's module reads the models.
        from signin import robot_receivers, signals

        signals.account_locked.connect(
            robot_receivers.on_account_locked, dispatch_uid="signin.lock_storm"
        )


def last_login_update(sender, user, request=None, **kwargs) -> None:
    """Django's ``update_last_login``, except for a sign-in, whose records write it."""
    from django.contrib.auth.models import update_last_login

    # Imported here: apps.py loads before the models, and signin.attempt imports them.
    from signin.attempt import attempt_of

    if request is not None and attempt_of(request).verified_user == user.pk:
        return
    update_last_login(sender, user, **kwargs)
