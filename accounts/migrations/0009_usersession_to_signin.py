"""``UserSession`` moves to the sign-in app (``signin.0005``): taken out of this app's state only;
its table ``accounts_usersession`` and its rows stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_resetflow_known_browser"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="UserSession")],
            database_operations=[],
        ),
    ]
