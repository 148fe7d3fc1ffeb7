"""Counters of what was typed (scope ``typed``, for the page's warning: ``signin.typed_counter``),
and locks' ``typed_key`` in the canonical form every typed text is now compared in
(``accounts.identifiers.identifier_canonical``): locks open at upgrade time keep refusing every
spelling of the text that started them."""

from django.db import migrations, models


def canonical_typed_keys(apps, schema_editor):
    from accounts.identifiers import identifier_canonical

    Lock = apps.get_model("signin", "Lock")
    for lock in Lock.objects.filter(ended_at__isnull=True).exclude(username="").iterator():
        Lock.objects.filter(pk=lock.pk).update(typed_key=identifier_canonical(lock.username))


class Migration(migrations.Migration):
    dependencies = [
        ("signin", "0003_lock_typed_key"),
    ]

    operations = [
        migrations.AlterField(
            model_name="failurecounter",
            name="scope",
            field=models.CharField(
                choices=[
                    ("account", "account"),
                    ("browser", "known browser of an account"),
                    ("ip", "IP address"),
                    ("typed", "what was typed (warning only)"),
                ],
                max_length=8,
            ),
        ),
        migrations.RunPython(canonical_typed_keys, migrations.RunPython.noop),
    ]
