"""The directory's check of a typed password at sign-in: find the person (as the service
account), then bind as them. Only ever called after the sign-in's lockout gate let the attempt
through (``signin.backends``), so the portal cannot be used to drive the directory's lockout.

A name the directory does not know costs the same: the search, then one bind as a DN that
names nobody (the server answers "invalid credentials" as for a wrong password).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from directory import conf
from directory.connection import user_bind
from directory.dialects import Entry
from directory.selectors import entry_find


@dataclass(frozen=True)
class Verdict:
    entry: Entry | None  # the person the name found (None: nobody, or more than one)
    right: bool  # the bind as them succeeded


def decoy_dn() -> str:
    username = conf.attribute_map()["username"]
    return f"{username}=portal-nobody-{secrets.token_hex(8)},{conf.base_dn()}"


def password_verify(*, typed: str, password: str) -> Verdict:
    """``DirectoryUnavailable`` when the directory does not answer (not the person's failure)."""
    entry = entry_find(typed=typed)
    bound = user_bind(dn=entry.dn if entry is not None else decoy_dn(), password=password)
    return Verdict(entry=entry, right=bool(bound and entry is not None))
