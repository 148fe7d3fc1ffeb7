"""``UserSession`` comes from the accounts app (``accounts.0009``): added to this app's state
only, on the table the accounts app made (``accounts_usersession``), so no row moves. Its content
type follows it, so the permissions and admin history that name it stay attached."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MODEL = "usersession"


def _content_type_move(apps, *, old: str, new: str) -> None:
    content_types = apps.get_model("contenttypes", "ContentType")
    if not content_types.objects.filter(app_label=new, model=MODEL).exists():
        content_types.objects.filter(app_label=old, model=MODEL).update(app_label=new)


def forwards(apps, schema_editor):
    _content_type_move(apps, old="accounts", new="signin")


def backwards(apps, schema_editor):
    _content_type_move(apps, old="signin", new="accounts")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("accounts", "0009_usersession_to_signin"),
        ("signin", "0004_typed_counter"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="UserSession",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("session_key", models.CharField(max_length=64, unique=True)),
                        ("created_at", models.DateTimeField(verbose_name="signed in at")),
                        ("last_seen_at", models.DateTimeField(verbose_name="last seen")),
                        (
                            "ip",
                            models.GenericIPAddressField(
                                blank=True, null=True, verbose_name="IP address"
                            ),
                        ),
                        (
                            "user_agent",
                            models.CharField(blank=True, max_length=255, verbose_name="browser"),
                        ),
                        (
                            "known_browser",
                            models.BooleanField(default=False, verbose_name="known browser"),
                        ),
                        (
                            "ended_at",
                            models.DateTimeField(blank=True, null=True, verbose_name="ended at"),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="portal_sessions",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "session",
                        "verbose_name_plural": "sessions",
                        "db_table": "accounts_usersession",
                        "ordering": ["-created_at"],
                        "indexes": [
                            models.Index(fields=["user", "ended_at"], name="usersession_user_open")
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(forwards, backwards, elidable=True),
    ]
