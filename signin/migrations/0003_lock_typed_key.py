"""Locks keep what was typed, normalised (``Lock.typed_key``), so an attempt typing it again is
refused from the lock's row (``signin.refusals``). Locks open at upgrade time get it too."""

from django.db import migrations, models


def fill_open_locks(apps, schema_editor):
    from accounts.models import normalize_identifier

    Lock = apps.get_model("signin", "Lock")
    for lock in Lock.objects.filter(ended_at__isnull=True).exclude(username="").iterator():
        Lock.objects.filter(pk=lock.pk).update(typed_key=normalize_identifier(lock.username))


class Migration(migrations.Migration):
    dependencies = [
        ("signin", "0002_axes_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="lock",
            name="typed_key",
            field=models.CharField(blank=True, db_index=True, default="", max_length=255),
        ),
        migrations.RunPython(fill_open_locks, migrations.RunPython.noop),
    ]
