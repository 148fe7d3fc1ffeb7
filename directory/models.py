"""What the portal keeps about a directory account: the link between a portal account and its
directory entry (``DirectoryAccount``) and where the sync has got to (``SyncState``). The
account's own fields (name, email, mobile, employee ID, active) stay on ``accounts.User``."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DirectoryAccount(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="directory_account",
        verbose_name=_("user"),
    )
    dn = models.CharField(_("distinguished name"), max_length=1024)
    guid = models.CharField(_("directory ID"), max_length=64, unique=True)
    change_marker = models.CharField(_("last change seen"), max_length=64, blank=True)
    disabled = models.BooleanField(_("disabled in the directory"), default=False)
    gone = models.BooleanField(_("no longer in the directory"), default=False)
    # Messenger IDs and other mapped values the portal's account has no field for.
    extra = models.JSONField(_("other directory values"), default=dict, blank=True)
    synced_at = models.DateTimeField(_("read from the directory at"), null=True, blank=True)

    class Meta:
        verbose_name = _("directory account")
        verbose_name_plural = _("directory accounts")

    def __str__(self) -> str:
        return self.dn


class SyncState(models.Model):
    """One row per directory (kind and base): the highest change marker read so far."""

    key = models.CharField(max_length=1100, unique=True)
    marker = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seen = models.PositiveIntegerField(default=0)  # entries read by the last run

    class Meta:
        verbose_name = _("directory sync")
        verbose_name_plural = _("directory syncs")

    def __str__(self) -> str:
        return self.key
