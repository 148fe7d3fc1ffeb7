"""The database cache's table, so that ``migrate`` alone leaves a working portal.

Without ``REDIS_URL`` the rate limits, lockout's per-IP count and notices live in Django's
database cache (``CACHES``); its table used to come only from ``createcachetable``, which only
``make run`` called. Django's own command is run here: it creates the table of every database
cache configured at migrate time, skips one that exists, and does nothing for Redis.
"""

from django.core.management import call_command
from django.db import migrations


def cache_table_create(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = []

    operations = [
        migrations.RunPython(cache_table_create, migrations.RunPython.noop, elidable=False),
    ]
