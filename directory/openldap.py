"""The OpenLDAP dialect: slapd with the ppolicy overlay (``slapo-ppolicy``).

Changes are followed by ``entryCSN`` (what syncrepl uses: it changes with every write).
Lockout by ppolicy: ``pwdMaxFailure`` failed binds (``pwdLockout: TRUE``) set
``pwdAccountLockedTime``; it ends after ``pwdLockoutDuration`` seconds (0: until cleared).
``pwdAccountLockedTime: 000001010000Z`` is an administrative, permanent lock: the account is
disabled. A new password is set by the password-modify extended operation (RFC 3062) with the
ppolicy request control, whose response names the refusal (``passwordTooShort``, ...).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import ldap3
from ldap3.utils.conv import escape_filter_chars

from directory import conf
from directory.dialects import (
    Dialect,
    DirectoryLock,
    DirectoryUnavailable,
    Entry,
    LockPolicy,
    PasswordRefused,
)

log = logging.getLogger(__name__)

PPOLICY_CONTROL = "1.3.6.1.4.1.42.2.27.8.5.1"
PERMANENT = "000001010000Z"
# ppolicy's error enumeration (draft-behera-ldap-password-policy, PasswordPolicyResponseValue).
PPOLICY_ERRORS = {
    3: "policy",  # passwordModNotAllowed
    4: "policy",  # mustSupplyOldPassword
    5: "quality",  # insufficientPasswordQuality
    6: "too_short",  # passwordTooShort
    7: "too_young",  # passwordTooYoung
    8: "in_history",  # passwordInHistory
}
DIAGNOSTICS = {
    "history": "in_history",
    "too short": "too_short",
    "too young": "too_young",
    "quality": "quality",
}


def generalized_time(value) -> datetime | None:
    """A GeneralizedTime (``20261207160355Z``, ``20261207160355.695525Z``) as an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = str(value or "").strip()
    if not text.endswith("Z"):
        return None
    whole, _dot, fraction = text[:-1].partition(".")
    try:
        moment = datetime.strptime(whole, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    if fraction.isdigit():
        moment += timedelta(microseconds=int(fraction[:6].ljust(6, "0")))
    return moment


def ppolicy_error(value: bytes | None) -> int | None:
    """The ``error`` [1] ENUMERATED of a PasswordPolicyResponseValue (BER), or None."""
    if not value or len(value) < 2 or value[0] != 0x30:
        return None
    length, at = value[1], 2
    if length & 0x80:  # long form
        count = length & 0x7F
        at += count
    while at + 2 <= len(value):
        tag, size = value[at], value[at + 1]
        body = value[at + 2 : at + 2 + size]
        if tag == 0x81 and body:
            return int.from_bytes(body, "big")
        at += 2 + size
    return None


class OpenLDAP(Dialect):
    kind = "openldap"
    default_user_filter = "(objectClass=inetOrgPerson)"
    default_attribute_map = {
        "username": "uid",
        "email": "mail",
        "mobile": "mobile",
        "display_name": "displayName",
        "first_name": "givenName",
        "last_name": "sn",
        "employee_id": "employeeNumber",
    }
    operational_attributes = (
        "entryUUID",
        "entryCSN",
        "pwdAccountLockedTime",
        "pwdFailureTime",
        "pwdPolicySubentry",
    )
    policy_dn = ""  # the default policy's DN, found from the overlay's subentry or set here

    def guid(self, entry: Entry) -> str:
        return str(entry.first("entryUUID") or "").lower()

    def change_marker(self, entry: Entry) -> str:
        # entryCSN, not modifyTimestamp: it changes with every write (microseconds and a serial
        # number), where two writes in one second share a modifyTimestamp. It sorts as text.
        return str(entry.first("entryCSN") or "")

    def marker_key(self, marker: str):
        return marker or ""

    def changed_since_filter(self, marker: str) -> str:
        return f"(entryCSN>={escape_filter_chars(marker)})"

    def member_filter(self, user_dn: str) -> str:
        dn = escape_filter_chars(user_dn)
        return f"(|(member={dn})(uniqueMember={dn}))"

    def disabled(self, entry: Entry) -> bool:
        return any(str(v).strip() == PERMANENT for v in entry.values("pwdAccountLockedTime"))

    def policy_read(self, conn) -> LockPolicy:
        """The first ``pwdPolicy`` entry under the base (the overlay's ``olcPPolicyDefault``;
        the bind account needs read on it). None found, or ``pwdLockout`` off: it never locks."""
        base = self.policy_dn or conf.base_dn()
        scope = ldap3.BASE if self.policy_dn else ldap3.SUBTREE
        conn.search(
            base,
            "(objectClass=pwdPolicy)",
            search_scope=scope,
            attributes=[
                "pwdMaxFailure",
                "pwdLockout",
                "pwdLockoutDuration",
                "pwdFailureCountInterval",
            ],
            size_limit=1,
        )
        entries = [r for r in conn.response or [] if r.get("type") == "searchResEntry"]
        if not entries:
            return LockPolicy(threshold=0, duration=None)
        found = Entry(dn=entries[0]["dn"], attributes=dict(entries[0]["attributes"]))
        if str(found.first("pwdLockout") or "FALSE").upper() != "TRUE":
            return LockPolicy(threshold=0, duration=None)
        duration = int(found.first("pwdLockoutDuration") or 0)
        window = int(found.first("pwdFailureCountInterval") or 0)
        return LockPolicy(
            threshold=int(found.first("pwdMaxFailure") or 0),
            duration=timedelta(seconds=duration) if duration else None,
            window=timedelta(seconds=window) if window else None,
        )

    def lock_read(self, entry: Entry, policy: LockPolicy, now: datetime) -> DirectoryLock:
        failures = [generalized_time(v) for v in entry.values("pwdFailureTime")]
        failures = [f for f in failures if f is not None]
        if policy.window is not None:
            failures = [f for f in failures if f > now - policy.window]
        raw = entry.first("pwdAccountLockedTime")
        if raw is None or self.disabled(entry):
            return DirectoryLock(locked=False, failures=len(failures))
        since = generalized_time(raw)
        until = since + policy.duration if since and policy.duration else None
        if until is not None and until <= now:
            return DirectoryLock(locked=False, failures=0)
        return DirectoryLock(locked=True, since=since, until=until, failures=len(failures))

    def lock_clear(self, conn, entry: Entry) -> bool:
        # Deleting pwdAccountLockedTime makes ppolicy forget pwdFailureTime too (the failure
        # times themselves are not user-modifiable).
        if entry.first("pwdAccountLockedTime") is None or self.disabled(entry):
            return False
        conn.modify(entry.dn, {"pwdAccountLockedTime": [(ldap3.MODIFY_DELETE, [])]})
        if conn.result.get("result") == 16:  # noSuchAttribute: it ended meanwhile
            return False
        _raise_unless_ok(conn.result, "lock clear")
        return True

    def password_set(self, conn, entry: Entry, password: str) -> None:
        conn.extend.standard.modify_password(
            entry.dn, new_password=password, controls=[(PPOLICY_CONTROL, False, None)]
        )
        refusal = self.refusal_of(conn.result)
        if refusal is not None:
            raise refusal
        _raise_unless_ok(conn.result, "password write")

    def refusal_of(self, result: dict) -> PasswordRefused | None:
        if result.get("result") != 19:  # constraintViolation
            return None
        control = (result.get("controls") or {}).get(PPOLICY_CONTROL) or {}
        code = PPOLICY_ERRORS.get(ppolicy_error(control.get("value")))
        message = str(result.get("message") or "")
        if code is None:
            lowered = message.lower()
            code = next((c for text, c in DIAGNOSTICS.items() if text in lowered), "policy")
        return PasswordRefused(code, message)


def _raise_unless_ok(result: dict, what: str) -> None:
    if result.get("result") != 0:
        # Not a policy's refusal (rights, no such entry): the operator must act; the person
        # sees the directory's "cannot be reached" page and nothing is changed.
        log.error(
            "directory: %s refused: %s %s", what, result.get("description"), result.get("message")
        )
        raise DirectoryUnavailable(f"{what} refused: {result.get('description')}")
