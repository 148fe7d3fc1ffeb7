"""The scheduled sync (Celery beat, ``directory.sync``): the people changed since the last run
(``uSNChanged`` / ``modifyTimestamp`` at or after the highest marker seen) are made or updated
in the portal; then one light search lists every person's directory ID, and a linked account
whose entry is gone is switched off (``directory.services.account_state_apply``). Progress goes
to the log every ``DIRECTORY_SYNC_LOG_EVERY`` entries.

A run changes nothing when the directory does not answer (``DirectoryUnavailable``); the next
run starts again from the same marker. A marker read from one server means nothing on another
(AD's USNs are per domain controller): the server that answered is kept with it, and a run on
another server is a full one.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import ldap3
from django.core.cache import cache
from django.utils import timezone

from directory import conf
from directory.connection import service_connection
from directory.dialects import Entry
from directory.models import DirectoryAccount, SyncState
from directory.selectors import entry_of, user_attributes
from directory.services import account_from_entry, account_state_apply

log = logging.getLogger(__name__)
MUTEX = "directory:sync-running"
MUTEX_SECONDS = 3600


@dataclass
class SyncResult:
    full: bool = False
    read: int = 0  # changed entries read
    updated: int = 0  # accounts made or updated
    switched_off: int = 0  # accounts gone from the directory
    seconds: float = 0.0
    skipped: bool = False  # another run was in progress


def _state_key() -> str:
    return f"{conf.get('DIRECTORY_KIND')}:{conf.base_dn()}"[:1100]


def _paged(conn, search_filter: str, attributes: list[str]):
    return conn.extend.standard.paged_search(
        conf.base_dn(),
        search_filter,
        search_scope=ldap3.SUBTREE,
        attributes=attributes,
        paged_size=int(conf.get("DIRECTORY_SYNC_PAGE_SIZE")),
        generator=True,
    )


def users_sync(*, full: bool = False) -> SyncResult:
    """One run; ``full``: every person, not only the changed ones."""
    if not conf.enabled():
        return SyncResult(skipped=True)
    if not cache.add(MUTEX, 1, MUTEX_SECONDS):
        log.info("directory sync: another run is in progress; skipped")
        return SyncResult(skipped=True)
    try:
        return _run(full=full)
    finally:
        cache.delete(MUTEX)


def _run(*, full: bool) -> SyncResult:
    started = time.monotonic()
    dialect = conf.dialect()
    state, _created = SyncState.objects.get_or_create(key=_state_key())
    result = SyncResult()
    with service_connection() as conn:
        server = str(conn.server.host) + ":" + str(conn.server.port)
        stored_marker, _sep, stored_server = state.marker.partition("@")
        full = full or not stored_marker or stored_server != server
        result.full = full
        start_marker = getattr(dialect, "sync_start_marker", None)
        next_marker = start_marker(conn) if start_marker is not None else ""
        search_filter = conf.user_filter()
        if not full:
            search_filter = f"(&{search_filter}{dialect.changed_since_filter(stored_marker)})"
        log.info("directory sync: %s run started", "full" if full else "incremental")
        state.started_at = timezone.now()
        highest = stored_marker if not full else ""
        page: list[Entry] = []
        for item in _paged(conn, search_filter, user_attributes()):
            if item.get("type") != "searchResEntry":
                continue
            page.append(entry_of(item))
            if len(page) >= int(conf.get("DIRECTORY_SYNC_PAGE_SIZE")):
                highest = _page_apply(page, result, highest, full=full)
                page = []
        highest = _page_apply(page, result, highest, full=full)
        result.switched_off = _gone_apply(conn)
    state.marker = f"{next_marker or highest}@{server}" if (next_marker or highest) else ""
    state.finished_at, state.seen = timezone.now(), result.read
    state.save()
    result.seconds = time.monotonic() - started
    log.info(
        "directory sync: done in %.1f s: %d read, %d made or updated, %d switched off",
        result.seconds,
        result.read,
        result.updated,
        result.switched_off,
    )
    return result


def _page_apply(page: list[Entry], result: SyncResult, highest: str, *, full: bool) -> str:
    """Apply one page; an entry seen as it is skipped, except in a full run with agent or admin
    groups (a membership change does not change the member's entry on AD)."""
    if not page:
        return highest
    dialect = conf.dialect()
    groups = bool(conf.get("DIRECTORY_AGENT_GROUP_DN") or conf.get("DIRECTORY_ADMIN_GROUP_DN"))
    recheck = full and groups
    guids = [dialect.guid(entry) for entry in page]
    links = {
        link.guid: link
        for link in DirectoryAccount.objects.filter(guid__in=guids).only(
            "guid", "change_marker", "gone"
        )
    }
    every = int(conf.get("DIRECTORY_SYNC_LOG_EVERY"))
    for entry, guid in zip(page, guids, strict=True):
        result.read += 1
        marker = dialect.change_marker(entry)
        if marker and (not highest or dialect.marker_key(marker) > dialect.marker_key(highest)):
            highest = marker
        link = links.get(guid)
        if link is not None and link.change_marker == marker and not link.gone and not recheck:
            continue  # seen as it is
        try:
            if account_from_entry(entry=entry) is not None:
                result.updated += 1
        except Exception:  # one bad entry must not stop the others; logged, retried next run
            log.exception("directory sync: an entry could not be applied")
        if result.read % every == 0:
            log.info("directory sync: %d entries read, %d applied", result.read, result.updated)
    return highest


def _gone_apply(conn) -> int:
    """Switch off the linked accounts whose entries are no longer under the base."""
    dialect = conf.dialect()
    present: set[str] = set()
    for item in _paged(conn, conf.user_filter(), list(dialect.operational_attributes)):
        if item.get("type") == "searchResEntry":
            present.add(dialect.guid(entry_of(item)))
    if not present and DirectoryAccount.objects.exists():
        # An empty answer for a directory that had people is more likely a wrong base or
        # filter than everyone leaving: nothing is switched off, the operator is told.
        log.error("directory sync: nobody found under the base; no account switched off")
        return 0
    off = 0
    known = DirectoryAccount.objects.filter(gone=False).values_list("pk", "guid")
    missing = [pk for pk, guid in known.iterator() if guid not in present]
    for link in DirectoryAccount.objects.filter(pk__in=missing).select_related("user"):
        if account_state_apply(link=link, disabled=link.disabled, gone=True):
            off += 1
    return off
