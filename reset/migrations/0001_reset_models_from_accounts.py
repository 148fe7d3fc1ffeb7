"""``ResetFlow`` and ``ResetBlock`` come from the accounts app (``accounts.0010``): added to this
app's state only, on the tables the accounts app made (``accounts_resetflow``,
``accounts_resetblock``), so no row moves. Their content types follow them, so the agents'
permissions (``reset.view_resetflow``...) and the admin's history stay attached."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODELS = ["resetflow", "resetblock"]


def _content_types_move(apps, *, old: str, new: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not content_types.objects.filter(app_label=new, model=model).exists():
            content_types.objects.filter(app_label=old, model=model).update(app_label=new)


def forwards(apps, schema_editor):
    _content_types_move(apps, old="accounts", new="reset")


def backwards(apps, schema_editor):
    _content_types_move(apps, old="reset", new="accounts")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0010_reset_models_to_reset"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
        migrations.CreateModel(
            name='ResetBlock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key', models.CharField(max_length=80)),
                ('created_at', models.DateTimeField(verbose_name='blocked at')),
                ('until', models.DateTimeField(verbose_name='blocked until')),
                ('failures', models.PositiveSmallIntegerField(default=0, verbose_name='consecutive wrong codes')),
                ('lifted_at', models.DateTimeField(blank=True, null=True, verbose_name='lifted at')),
                ('lifted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='lifted by')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='reset_blocks', to=settings.AUTH_USER_MODEL, verbose_name='account')),
            ],
            options={
                'verbose_name': 'reset block',
                'verbose_name_plural': 'reset blocks',
                'db_table': 'accounts_resetblock',
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['key', '-until'], name='resetblock_key_until')],
            },
        ),
        migrations.CreateModel(
            name='ResetFlow',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('key_hash', models.CharField(max_length=64, unique=True)),
                ('identifier_key', models.CharField(max_length=64, verbose_name='typed identifier (keyed hash)')),
                ('typed', models.CharField(blank=True, help_text='Kept until the worker has looked the account up, then cleared.', max_length=254, verbose_name='what was typed')),
                ('channel', models.CharField(choices=[('email', 'email'), ('sms', 'text message')], max_length=8, verbose_name='channel')),
                ('state', models.CharField(choices=[('code_sent', 'waiting for the code'), ('second_factor', 'waiting for the authenticator code'), ('ready', 'choosing a new password'), ('done', 'password changed'), ('failed', 'stopped after too many wrong codes')], default='code_sent', max_length=16, verbose_name='state')),
                ('created_at', models.DateTimeField(verbose_name='started at')),
                ('expires_at', models.DateTimeField(verbose_name='expires at')),
                ('code_expires_at', models.DateTimeField(blank=True, null=True, verbose_name='code expires at')),
                ('last_sent_at', models.DateTimeField(blank=True, null=True, verbose_name='last code sent at')),
                ('sends', models.PositiveSmallIntegerField(default=0, verbose_name='codes requested')),
                ('dispatched', models.PositiveSmallIntegerField(default=0, verbose_name='codes handed to the outbox')),
                ('failures', models.PositiveSmallIntegerField(default=0, verbose_name='wrong codes')),
                ('verified_at', models.DateTimeField(blank=True, null=True, verbose_name='code verified at')),
                ('completed_at', models.DateTimeField(blank=True, null=True, verbose_name='completed at')),
                ('ip', models.GenericIPAddressField(blank=True, null=True, verbose_name='IP address')),
                ('known_browser', models.BooleanField(default=False, help_text="Started in a browser that signed in with what was typed: a pause after strangers' wrong codes does not stop it.", verbose_name='from a known browser')),
                ('started_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='started by agent')),
                ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='reset_flows', to=settings.AUTH_USER_MODEL, verbose_name='account')),
            ],
            options={
                'verbose_name': 'password reset',
                'verbose_name_plural': 'password resets',
                'db_table': 'accounts_resetflow',
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['user', '-created_at'], name='resetflow_user_time'), models.Index(fields=['expires_at'], name='resetflow_expiry')],
            },
        ),
            ],
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
