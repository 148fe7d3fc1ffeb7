"""What the bench scripts share: the throwaway test database each one runs on."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.db import connection


def test_db_create(name: str) -> Callable[[], None]:
    """Create the bench's test database (a SQLite file, so another process can open it too, or
    ``test_bench_<name>_<pid>`` on PostgreSQL) and return the function that destroys it."""
    sqlite_file = None
    if connection.vendor == "sqlite":
        sqlite_file = tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".sqlite3")[1]
        connection.settings_dict["TEST"]["NAME"] = sqlite_file
    else:
        connection.settings_dict["TEST"]["NAME"] = f"test_bench_{name}_{os.getpid()}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)

    def destroy() -> None:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        if sqlite_file:
            Path(sqlite_file).unlink(missing_ok=True)

    return destroy
