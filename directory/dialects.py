"""What differs between the two directories the portal speaks to: Active Directory
(``directory.ad``) and OpenLDAP with the ppolicy overlay (``directory.openldap``).

Everything else (connections, failover, timeouts, searching the users, mapping attributes to the
portal's account, sign-in by bind, the sync's bookkeeping, audit rows, pages) is the directory
core's and is the same for both. A dialect never opens a connection itself: it is handed an ldap3
``Connection`` already bound as the portal's service account (``raise_exceptions=False``, a
timeout on every call), reads ``conn.result`` after each operation, and lets ldap3's
communication errors propagate (the core turns them into ``DirectoryUnavailable``).

Entries reach a dialect as ``Entry``: the DN, the attributes as text and as bytes (binary
values such as AD's ``objectGUID`` are read from ``raw``), names compared case-insensitively.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

# The portal's fields a directory attribute can fill (``DIRECTORY_ATTRIBUTE_MAP``'s keys).
MAPPED_FIELDS = (
    "username",
    "email",
    "mobile",
    "display_name",
    "first_name",
    "last_name",
    "employee_id",
    "wecom",
    "dingtalk",
    "feishu",
)

# What a directory's refusal of a new password becomes (``PasswordRefused.code``); the core
# turns each into one translated sentence on the new-password page.
REFUSAL_CODES = (
    "too_short",  # ppolicy passwordTooShort; AD minPwdLength
    "in_history",  # ppolicy passwordInHistory; AD pwdHistoryLength
    "too_young",  # ppolicy passwordTooYoung; AD minPwdAge
    "quality",  # ppolicy insufficientPasswordQuality; AD complexity
    "policy",  # any other refusal by the directory's policy (AD 0000052D without more detail)
)


class DirectoryUnavailable(Exception):
    """No directory server answered (down, timed out, TLS failure, service bind refused).
    Never a failure counted against the employee; the page says the directory is unreachable."""


class PasswordRefused(Exception):
    """The directory's own policy refused a new password; nothing was changed."""

    def __init__(self, code: str, detail: str = "") -> None:
        if code not in REFUSAL_CODES:
            code = "policy"
        super().__init__(code)
        self.code = code
        self.detail = detail  # the server's diagnostic text, for the log (never the password)


@dataclass(frozen=True)
class Entry:
    dn: str
    attributes: dict[str, list[Any]] = field(default_factory=dict)  # decoded values
    raw: dict[str, list[bytes]] = field(default_factory=dict)  # the bytes sent by the server

    def values(self, name: str) -> list[Any]:
        name = name.lower()
        for key, value in self.attributes.items():
            if key.lower() == name:
                return value if isinstance(value, list) else [value]
        return []

    def first(self, name: str) -> Any:
        values = self.values(name)
        return values[0] if values else None

    def raw_first(self, name: str) -> bytes | None:
        name = name.lower()
        for key, value in self.raw.items():
            if key.lower() == name and value:
                return value[0]
        return None


@dataclass(frozen=True)
class LockPolicy:
    """The directory's own lockout policy (AD's domain object, ppolicy's default policy entry)."""

    threshold: int  # failed binds that lock; 0: the directory never locks
    duration: timedelta | None  # how long a lock lasts; None: until an admin clears it
    window: timedelta | None = (
        None  # failures older than this are forgotten (AD observation window)
    )


@dataclass(frozen=True)
class DirectoryLock:
    """A user's lock state in the directory."""

    locked: bool
    since: datetime | None = None
    until: datetime | None = None  # None while locked: until an admin (or the portal) clears it
    failures: int = 0  # the directory's current count of failed binds


class Dialect:
    """The base every dialect extends. Class attributes are plain data; methods get entries the
    core read with ``user_attributes()`` and connections bound as the service account."""

    kind: ClassVar[str]  # "ad" | "openldap" (``DIRECTORY_KIND``)
    default_user_filter: ClassVar[str]  # ``DIRECTORY_USER_FILTER``'s default
    default_attribute_map: ClassVar[dict[str, str]]  # portal field -> attribute
    # Read with every user besides the mapped attributes: identity, change marker, lock, disabled.
    operational_attributes: ClassVar[tuple[str, ...]]

    def user_attributes(self, attribute_map: dict[str, str]) -> list[str]:
        return sorted({*attribute_map.values(), *self.operational_attributes})

    # --- identity and change tracking ---------------------------------------------------------
    def guid(self, entry: Entry) -> str:
        """A stable ID that survives a rename or move (AD ``objectGUID`` as text, ``entryUUID``)."""
        raise NotImplementedError

    def change_marker(self, entry: Entry) -> str:
        """Where the entry's last change sits, as text (AD ``uSNChanged``, ``modifyTimestamp``)."""
        raise NotImplementedError

    def marker_key(self, marker: str) -> Any:
        """A sortable form of a change marker (the sync keeps the highest seen)."""
        raise NotImplementedError

    def changed_since_filter(self, marker: str) -> str:
        """A filter clause for entries changed at or after ``marker`` (the incremental sync)."""
        raise NotImplementedError

    def member_filter(self, user_dn: str) -> str:
        """A filter matching a group (read with scope BASE on the group's DN) that has the user
        as member (AD: nested, ``member:1.2.840.113556.1.4.1941:=``). ``user_dn`` arrives
        unescaped: the dialect escapes it (``ldap3.utils.conv.escape_filter_chars``)."""
        raise NotImplementedError

    def identifier_clauses(self, typed: str) -> list[str]:
        """More filter clauses (escaped) that find a person by what they typed, besides the
        mapped username and email (AD: ``userPrincipalName``, ``DOMAIN\\name``). None by default."""
        return []

    # --- account state ------------------------------------------------------------------------
    def disabled(self, entry: Entry) -> bool:
        """Switched off by an admin (AD ``userAccountControl`` bit 2, ppolicy's permanent
        ``pwdAccountLockedTime=000001010000Z``): cannot sign in, reset or get tokens."""
        raise NotImplementedError

    def policy_read(self, conn) -> LockPolicy:
        """The directory's lockout policy (AD ``lockoutThreshold``/``lockoutDuration``/
        ``lockOutObservationWindow`` on the domain; ppolicy ``pwdMaxFailure``/``pwdLockout``/
        ``pwdLockoutDuration``/``pwdFailureCountInterval``)."""
        raise NotImplementedError

    def lock_read(self, entry: Entry, policy: LockPolicy, now: datetime) -> DirectoryLock:
        """The lock in force now (AD ``lockoutTime``/``badPwdCount``; ppolicy
        ``pwdAccountLockedTime``/``pwdFailureTime``). A disabled account is not "locked"."""
        raise NotImplementedError

    def lock_clear(self, conn, entry: Entry) -> bool:
        """Lift the directory's lock and forget its failures (AD ``lockoutTime=0``; ppolicy
        delete ``pwdAccountLockedTime`` and ``pwdFailureTime``), never a disabled account's
        permanent lock. True when something was cleared."""
        raise NotImplementedError

    def password_set(self, conn, entry: Entry, password: str) -> None:
        """Set a new password as an administrative reset (AD ``unicodePwd`` replace with the
        quoted UTF-16LE value over LDAPS; OpenLDAP the password-modify extended operation).
        Raises ``PasswordRefused`` (the directory's policy said no: nothing changed)."""
        raise NotImplementedError

    def refusal_of(self, result: dict) -> PasswordRefused | None:
        """The refusal an operation's ``conn.result`` carries, or None when it is not one
        (AD ``constraintViolation`` with ``0000052D``; ppolicy's error codes/diagnostics)."""
        raise NotImplementedError


def dialect_for(kind: str) -> Dialect:
    """The dialect of ``DIRECTORY_KIND``."""
    if kind == "ad":
        # Imported here: each dialect's module imports this one (its base class).
        from directory.ad import ActiveDirectory

        return ActiveDirectory()
    if kind == "openldap":
        # Imported here: each dialect's module imports this one (its base class).
        from directory.openldap import OpenLDAP

        return OpenLDAP()
    raise ValueError(f"unknown directory kind {kind!r}")
