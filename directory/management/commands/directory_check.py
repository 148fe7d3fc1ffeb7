"""``manage.py directory_check``: what the portal sees of the company directory, and every
problem on one line. Exit status 1 when there is a problem (not for warnings)."""

from __future__ import annotations

import ldap3
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand

from directory import conf
from directory.connection import connections_close, service_connection
from directory.dialects import DirectoryUnavailable
from directory.selectors import entries_of, policy_forget, user_attributes
from directory.services import entry_fields

COUNT_PAGE = 1000


class Command(BaseCommand):
    help = "Check the company directory settings: bind, people under the base, a sample, policy."

    def handle(self, *args, **options):
        problems: list[str] = []
        if not conf.enabled():
            self.stdout.write(
                "directory: off (DIRECTORY_URL is empty): the portal's own accounts only"
            )
            return
        out = self.stdout.write
        out(f"directory: {conf.get('DIRECTORY_KIND')} at {', '.join(conf.get('DIRECTORY_URLS'))}")
        for url in conf.get("DIRECTORY_URLS"):
            if url.lower().startswith("ldap://") and not conf.get("DIRECTORY_START_TLS"):
                out(
                    f"warning: {url} is not encrypted (use ldaps:// or DIRECTORY_START_TLS=1): "
                    "passwords cross the network in clear; Active Directory refuses a reset"
                )
        try:
            mapping = conf.attribute_map()
            search_filter = conf.user_filter()
        except ImproperlyConfigured as exc:
            problems.append(str(exc))
            return self._end(problems)
        connections_close()
        policy_forget()
        try:
            with service_connection() as conn:
                out(f"bind: ok as {conf.get('DIRECTORY_BIND_DN')} on {conn.server.host}")
                people = self._count(conn, search_filter)
                out(f"people under {conf.base_dn()}: {people} (filter {search_filter})")
                if people == 0:
                    problems.append(
                        "nobody found: check DIRECTORY_BASE_DN and DIRECTORY_USER_FILTER"
                    )
                else:
                    self._sample(conn, search_filter, mapping, problems)
                for name in ("DIRECTORY_AGENT_GROUP_DN", "DIRECTORY_ADMIN_GROUP_DN"):
                    group = conf.get(name)
                    if group:
                        conn.search(group, "(objectClass=*)", search_scope=ldap3.BASE)
                        if not entries_of(conn):
                            problems.append(f"{name}={group}: not found (or not readable)")
                policy = conf.dialect().policy_read(conn)
        except DirectoryUnavailable as exc:
            problems.append(
                f"no directory server answered, or the service bind was refused ({exc})"
            )
            return self._end(problems)
        ours = int(settings.LOCKOUT_FAILURE_LIMIT)
        if policy.threshold:
            duration = (
                f"{int(policy.duration.total_seconds() // 60)} min"
                if policy.duration
                else "until cleared"
            )
            out(
                f"directory lockout: {policy.threshold} failures, {duration}; ours: {ours} failures"
            )
            if policy.threshold <= ours:
                out(
                    f"warning: the directory locks after {policy.threshold} failures, not more "
                    f"than the portal's {ours} (LOCKOUT_FAILURE_LIMIT): the portal could lock "
                    "people out of everything; raise the directory's threshold or lower ours"
                )
        else:
            out(f"directory lockout: none found (or not readable); ours: {ours} failures")
        return self._end(problems)

    def _count(self, conn, search_filter: str) -> int:
        total = 0
        for item in conn.extend.standard.paged_search(
            conf.base_dn(), search_filter, attributes=[], paged_size=COUNT_PAGE, generator=True
        ):
            total += item.get("type") == "searchResEntry"
        return total

    def _sample(self, conn, search_filter: str, mapping: dict, problems: list[str]) -> None:
        conn.search(conf.base_dn(), search_filter, attributes=user_attributes(), size_limit=1)
        found = entries_of(conn)
        if not found:
            return
        entry = found[0]
        fields = entry_fields(entry)
        dialect = conf.dialect()
        self.stdout.write(f"sample: {entry.dn}")
        for field, attribute in sorted(mapping.items()):
            value = fields.get(field, fields["extra"].get(field, "")) or ""
            self.stdout.write(f"  {field} <- {attribute}: {value if value else '(empty)'}")
        if not fields["username"]:
            problems.append(
                f"the sample has no {mapping['username']}: check DIRECTORY_ATTRIBUTE_MAP"
            )
        if not dialect.guid(entry):
            problems.append("the sample has no directory ID: the bind account cannot read it")

    def _end(self, problems: list[str]) -> None:
        for problem in problems:
            self.stdout.write(f"problem: {problem}")
        if problems:
            raise SystemExit(1)
        self.stdout.write("directory: ok")
