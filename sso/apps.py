from django.apps import AppConfig
from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _

from accounts.signals import password_changed
from messaging.signals import message_sent, message_undelivered
from signin.signals import account_unlocked, sessions_ended


class SsoConfig(AppConfig):
    name = "sso"
    verbose_name = _("Single sign-on (OpenID Connect)")

    def ready(self) -> None:
        # Imported in ready(): the receivers' services need the models loaded.
        from sso import receivers

        user_logged_out.connect(receivers.on_logged_out, dispatch_uid="sso.logged_out")
        sessions_ended.connect(receivers.on_sessions_ended, dispatch_uid="sso.sessions_ended")
        password_changed.connect(receivers.on_password_changed, dispatch_uid="sso.password")
        account_unlocked.connect(receivers.on_account_unlocked, dispatch_uid="sso.unlocked")
        post_save.connect(
            receivers.on_user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="sso.user_saved"
        )
        message_sent.connect(receivers.on_message_sent, dispatch_uid="sso.logout_sent")
        message_undelivered.connect(
            receivers.on_message_undelivered, dispatch_uid="sso.logout_failed"
        )
