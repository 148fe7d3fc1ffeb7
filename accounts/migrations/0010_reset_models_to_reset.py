"""``ResetFlow`` and ``ResetBlock`` move to the reset app (``reset.0001``): taken out of this
app's state only; their tables (``accounts_resetflow``, ``accounts_resetblock``) and rows stay.

Before that, a code device stops pointing at a flow by foreign key: ``flow`` keeps its column
(``flow_id``, its values and its unique constraint) as a plain id, so accounts, the lower layer,
names no model of the reset app. Only the foreign-key constraint goes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_usersession_to_signin"),
    ]

    operations = [
        migrations.AlterField(
            model_name="contactcodedevice",
            name="flow",
            field=models.BigIntegerField(
                blank=True,
                db_column="flow_id",
                null=True,
                unique=True,
                verbose_name="bound to flow",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ResetBlock"),
                migrations.DeleteModel(name="ResetFlow"),
            ],
            database_operations=[],
        ),
    ]
