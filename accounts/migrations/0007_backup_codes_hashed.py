"""Backup codes kept as they were typed are replaced by their keyed digests
(``accounts.backup_codes``): the codes users hold keep working, and the database no longer holds
any code."""

from django.db import migrations


def hash_stored_codes(apps, schema_editor):
    from accounts.backup_codes import backup_code_digest, is_digest

    StaticToken = apps.get_model("otp_static", "StaticToken")
    for token in StaticToken.objects.all().iterator():
        if not is_digest(token.token):
            StaticToken.objects.filter(pk=token.pk).update(token=backup_code_digest(token.token))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_user_phone_index"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(hash_stored_codes, migrations.RunPython.noop)]
