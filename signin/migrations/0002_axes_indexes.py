"""Indexes on django-axes' tables for the queries that run at scale.

Stock axes 8.3.1 filters ``axes_accessattempt.attempt_time`` (expired-attempt cleanup) without an
index, so every sign-in slows as the table grows. Our handler moves that cleanup to a scheduled
task, and these indexes keep both the task and the admin's date filters fast. ``session_hash``
serves the sign-out update of ``axes_accesslog``.
"""

from django.db import migrations

INDEXES = [
    ("signin_axes_attempt_time", "axes_accessattempt", "attempt_time"),
    ("signin_axes_log_time", "axes_accesslog", "attempt_time"),
    ("signin_axes_log_session", "axes_accesslog", "session_hash"),
    ("signin_axes_failure_time", "axes_accessfailurelog", "attempt_time"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("axes", "0010_accessattemptexpiration"),
        ("signin", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column})",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, table, column in INDEXES
    ]
