"""The Active Directory dialect (Windows Server AD, Samba AD).

Identity is ``objectGUID`` (survives renames and moves); the incremental sync follows
``uSNChanged`` (a counter of the one DC answering; ``highestCommittedUSN`` on its rootDSE is
where it stands now). ``userAccountControl`` bit ``0x2`` (ACCOUNTDISABLE) is an admin's switch.

Lockout: the domain object's ``lockoutThreshold`` bad passwords within
``lockOutObservationWindow`` set ``lockoutTime``; the lock ends ``lockoutDuration`` later
(0 or "forever": until someone writes ``lockoutTime=0``, which also zeroes ``badPwdCount``).
Durations and times are Windows FILETIME values (100 ns since 1601; durations negative).

A new password is an administrative reset: ``unicodePwd`` replaced by the password in double
quotes, UTF-16LE, only over an encrypted connection (LDAPS or StartTLS), with the
LDAP_SERVER_POLICY_HINTS control so Windows Server 2012+ checks the history too (sent as
non-critical: Samba 4.17 does not know it and checks length and complexity only). AD's refusal
is ``constraintViolation`` (or ``unwillingToPerform``) with ``0000052D`` in the message.

A failed bind is always ``invalidCredentials`` (49); the message's ``data`` sub-code says why:
52e wrong password, 775 locked, 533 disabled, 532 password expired, 701 account expired,
773 must change the password at next logon (``bind_refusal``).
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime, timedelta

import ldap3
from ldap3.utils.conv import escape_filter_chars

from directory.dialects import (
    Dialect,
    DirectoryLock,
    DirectoryUnavailable,
    Entry,
    LockPolicy,
    PasswordRefused,
)

log = logging.getLogger(__name__)

ACCOUNTDISABLE = 0x2
# LDAP_SERVER_POLICY_HINTS_OID (Windows Server 2012+; ..2066 is the 2008 R2 one): a reset is
# checked against the password history as a change would be. Value: SEQUENCE { INTEGER 1 }.
POLICY_HINTS = ("1.2.840.113556.1.4.2239", False, b"\x30\x03\x02\x01\x01")
# LDAP_MATCHING_RULE_IN_CHAIN: membership through nested groups.
IN_CHAIN = "1.2.840.113556.1.4.1941"
FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=UTC)
NEVER = -(2**63)  # a duration of "forever" (lockoutDuration until an admin unlocks)
POLICY_REFUSAL = "0000052D"
# What follows "check_password_restrictions:" in Samba's refusal (Windows says no more).
REFUSAL_WORDS = (
    ("too short", "too_short"),
    ("complexity", "quality"),
    ("already used", "in_history"),
    ("history", "in_history"),
    ("too young", "too_young"),
)
# The bind's "data" sub-code (the Win32 error of the logon) -> our outcome.
BIND_SUB_CODES = {
    "52e": "bad_password",
    "525": "bad_password",  # no such user: said like a wrong password
    "530": "not_permitted",  # logon hours
    "531": "not_permitted",  # workstation
    "532": "password_expired",
    "533": "disabled",
    "701": "account_expired",
    "773": "must_change",
    "775": "locked",
}
_DATA = re.compile(r"\bdata ([0-9a-f]{3,8})\b", re.IGNORECASE)


def filetime(value) -> datetime | None:
    """A FILETIME moment (``lockoutTime``, ``pwdLastSet``) as an aware datetime; 0 and
    "never" (``0x7FFF...``) are None."""
    try:
        ticks = int(value)
    except (TypeError, ValueError):
        return None
    if ticks <= 0 or ticks >= 2**63 - 1:
        return None
    return FILETIME_EPOCH + timedelta(microseconds=ticks // 10)


def interval(value) -> timedelta | None:
    """A domain duration (negative 100 ns ticks: ``lockoutDuration``) as a timedelta; 0 and
    "forever" are None."""
    try:
        ticks = int(value)
    except (TypeError, ValueError):
        return None
    if ticks in (0, NEVER):
        return None
    return timedelta(microseconds=abs(ticks) // 10)


def unicode_pwd(password: str) -> bytes:
    return f'"{password}"'.encode("utf-16-le")


def _int(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


class ActiveDirectory(Dialect):
    kind = "ad"
    # People, not computers (computer objects are objectClass=user too); disabled ones stay in,
    # so the sync sees them switched off.
    default_user_filter = "(&(objectCategory=person)(objectClass=user))"
    default_attribute_map = {
        "username": "sAMAccountName",
        "email": "mail",
        "mobile": "mobile",
        "display_name": "displayName",
        "first_name": "givenName",
        "last_name": "sn",
        "employee_id": "employeeID",
    }
    operational_attributes = (
        "objectGUID",
        "uSNChanged",
        "userAccountControl",
        "userPrincipalName",
        "lockoutTime",
        "badPwdCount",
        "badPasswordTime",
    )

    # --- identity and change tracking ---------------------------------------------------------
    def guid(self, entry: Entry) -> str:
        raw = entry.raw_first("objectGUID")
        if raw is not None and len(raw) == 16:
            return str(uuid.UUID(bytes_le=raw))
        text = str(entry.first("objectGUID") or "").strip("{}").lower()
        return str(uuid.UUID(text)) if text else ""

    def change_marker(self, entry: Entry) -> str:
        usn = _int(entry.first("uSNChanged"), -1)
        return str(usn) if usn >= 0 else ""

    def marker_key(self, marker: str) -> int:
        return _int(marker, -1)

    def changed_since_filter(self, marker: str) -> str:
        return f"(uSNChanged>={_int(marker)})"

    def sync_start_marker(self, conn) -> str:
        """The first change a sync that starts now has not read: the answering DC's rootDSE
        ``highestCommittedUSN`` + 1 (read before the search; anything changed meanwhile gets a
        higher USN and is read again by the next run)."""
        conn.search("", "(objectClass=*)", ldap3.BASE, attributes=["highestCommittedUSN"])
        entries = [r for r in conn.response or [] if r.get("type") == "searchResEntry"]
        found = entries[0]["attributes"].get("highestCommittedUSN") if entries else None
        if isinstance(found, list):
            found = found[0] if found else None
        highest = _int(found, -1)
        return str(highest + 1) if highest >= 0 else ""

    def member_filter(self, user_dn: str) -> str:
        return f"(member:{IN_CHAIN}:={escape_filter_chars(user_dn)})"

    def identifier_clauses(self, typed: str) -> list[str]:
        """What else names a person at sign-in: ``name@corp.example`` (userPrincipalName) and
        ``CORP\\name`` (the down-level form: the name after the backslash)."""
        if "\\" in typed:
            name = typed.rsplit("\\", 1)[1]
            return [f"(sAMAccountName={escape_filter_chars(name)})"] if name else []
        if "@" in typed:
            return [f"(userPrincipalName={escape_filter_chars(typed)})"]
        return []

    # --- account state ------------------------------------------------------------------------
    def disabled(self, entry: Entry) -> bool:
        return bool(_int(entry.first("userAccountControl")) & ACCOUNTDISABLE)

    def policy_read(self, conn) -> LockPolicy:
        """From the domain object (rootDSE ``defaultNamingContext``; every authenticated user
        may read it)."""
        conn.search("", "(objectClass=*)", ldap3.BASE, attributes=["defaultNamingContext"])
        roots = [r for r in conn.response or [] if r.get("type") == "searchResEntry"]
        domain = roots[0]["attributes"].get("defaultNamingContext") if roots else None
        if isinstance(domain, list):
            domain = domain[0] if domain else None
        if not domain:
            raise DirectoryUnavailable("the rootDSE names no defaultNamingContext")
        conn.search(
            domain,
            "(objectClass=domain)",
            ldap3.BASE,
            attributes=["lockoutThreshold", "lockoutDuration", "lockOutObservationWindow"],
        )
        found = [r for r in conn.response or [] if r.get("type") == "searchResEntry"]
        if not found:
            raise DirectoryUnavailable(f"the domain object is not readable: {conn.result}")
        policy = Entry(dn=domain, attributes=dict(found[0]["attributes"]))
        return LockPolicy(
            threshold=_int(policy.first("lockoutThreshold")),
            duration=interval(policy.first("lockoutDuration")),
            window=interval(policy.first("lockOutObservationWindow")),
        )

    def lock_read(self, entry: Entry, policy: LockPolicy, now: datetime) -> DirectoryLock:
        failures = _int(entry.first("badPwdCount"))
        last_failure = filetime(entry.first("badPasswordTime"))
        window = policy.window
        if window is not None and last_failure is not None and last_failure <= now - window:
            failures = 0  # AD forgets them at the next bad password
        since = filetime(entry.first("lockoutTime"))
        if since is None or self.disabled(entry) or policy.threshold == 0:
            return DirectoryLock(locked=False, failures=failures)
        until = since + policy.duration if policy.duration is not None else None
        if until is not None and until <= now:
            return DirectoryLock(locked=False, failures=0)
        return DirectoryLock(locked=True, since=since, until=until, failures=failures)

    def lock_clear(self, conn, entry: Entry) -> bool:
        locked = filetime(entry.first("lockoutTime")) is not None
        if self.disabled(entry) or not (locked or _int(entry.first("badPwdCount"))):
            return False
        # lockoutTime=0 lifts the lock and zeroes badPwdCount (the only value AD accepts).
        conn.modify(entry.dn, {"lockoutTime": [(ldap3.MODIFY_REPLACE, ["0"])]})
        _raise_unless_ok(conn.result, "lock clear")
        return locked

    def password_set(self, conn, entry: Entry, password: str) -> None:
        if not (conn.server.ssl or conn.tls_started):
            log.error("directory: AD takes a new password only over LDAPS or StartTLS")
            raise DirectoryUnavailable("unicodePwd needs an encrypted connection")
        conn.modify(
            entry.dn,
            {"unicodePwd": [(ldap3.MODIFY_REPLACE, [unicode_pwd(password)])]},
            controls=[POLICY_HINTS],
        )
        refusal = self.refusal_of(conn.result)
        if refusal is not None:
            raise refusal
        _raise_unless_ok(conn.result, "password write")

    def refusal_of(self, result: dict) -> PasswordRefused | None:
        message = str(result.get("message") or "")
        if result.get("result") not in (19, 53) or POLICY_REFUSAL not in message.upper():
            return None
        lowered = message.lower()
        code = next((c for words, c in REFUSAL_WORDS if words in lowered), "policy")
        return PasswordRefused(code, message)

    def bind_refusal(self, result: dict) -> str | None:
        """Why a bind was refused (``BIND_SUB_CODES``' outcomes), None when it was not. A locked
        account answers 775 to any password; disabled, expired and must-change (533, 701, 532,
        773) come only with the right password (a wrong one is 52e whatever the state)."""
        if result.get("result") == 0:
            return None
        if result.get("result") != 49:
            return "bad_password"
        found = _DATA.search(str(result.get("message") or ""))
        return (
            BIND_SUB_CODES.get(found.group(1).lower(), "bad_password") if found else "bad_password"
        )


def _raise_unless_ok(result: dict, what: str) -> None:
    if result.get("result") != 0:
        # Not a policy's refusal (rights, an unencrypted connection, no such entry): the
        # operator must act; the person sees the "cannot be reached" page, nothing is changed.
        log.error(
            "directory: %s refused: %s %s", what, result.get("description"), result.get("message")
        )
        raise DirectoryUnavailable(f"{what} refused: {result.get('description')}")
