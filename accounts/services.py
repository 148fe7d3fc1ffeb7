"""Writes on accounts. Keyword-only, typed, atomic."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from accounts.roles import ROLE_PERMISSIONS


@transaction.atomic
def roles_sync() -> dict[str, list[str]]:
    """Create each role's group with exactly the permissions listed in ``accounts.roles``."""
    result: dict[str, list[str]] = {}
    for role, specs in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        perms = []
        for spec in specs:
            app_label, codename = spec.split(".", 1)
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm is None:
                raise LookupError(f"role {role!r} lists {spec!r}, which does not exist")
            perms.append(perm)
        group.permissions.set(perms)
        result[role] = sorted(specs)
    return result
