"""One sign-in attempt as the request carries it, and the one rule for "is this attempt locked?".

``attempt_of(request)`` is everything the doors (``signin.backends``, ``signin.flow``'s code
check, the admin login), the bookkeeping (``signin.services``) and the pages (``signin.views``,
``signin.middleware``) tell each other about the attempt in this request: who it is about, the
count in flight, why it failed or was refused, what a sign-in leaves behind. It is made on first
use and lives as long as the request. django-axes' own ``request.axes_locked_out`` (what makes
axes' middleware answer with the lock page) is read and set through it (``Attempt.locked_out``).

``refusal_decide`` is the one place that says whether an attempt is refused, from what its caller
read: the counters' gate (``signin.lockout.attempt_begin``, the counter row it holds), the check
without counting (``signin.lockout.refusal_check``: axes' handler, the lock page) and the quick
refusal (``signin.refusals``, the lock row found by name) all call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from signin import conf
from signin.identity import Identity
from signin.models import Lock, Scope

ATTRIBUTE = "signin_attempt"  # the one attribute the sign-in sets on a request


@dataclass
class Counted:
    """One attempt (password or code) counted before its check, in flight."""

    identity: Identity
    browser: str  # known-browser ID, "" for a browser the account does not know
    ip: str | None
    ip_number: int  # this attempt's place in the IP's failures (0: the IP is not counted)
    ip_bucket: int
    number: int  # this attempt's place in the account's (or browser's) run of failures
    started_at: datetime
    door: str = "site"
    locks: list[Lock] = field(default_factory=list)  # locks this attempt started
    typed_key: str = ""  # counted on what was typed when it fails ("": a code, a known browser)
    typed_number: int = 0  # its place in the failures typed as ``typed_key`` (once it failed)

    @property
    def scope(self) -> str:
        return Scope.BROWSER if self.browser else Scope.ACCOUNT

    @property
    def shown_number(self) -> int:
        """The failure count the page may show: for a password typed in a browser the account
        does not know, the failures typed as that text (the same for a real and an unknown name,
        ``signin.typed_counter``), never the account's, which every spelling feeds."""
        return self.typed_number if self.typed_key else self.number

    @property
    def attempts_left(self) -> int:
        return max(conf.failure_limit() - self.shown_number, 0)


@dataclass(frozen=True)
class Refusal:
    """Why an attempt was refused before any hashing. ``lock`` is None when the account's last
    allowed attempts are still being checked by concurrent requests (no lock exists yet).
    ``ip_block``: the client IP's block, when counting this refusal on the IP started it."""

    identity: Identity
    scope: str
    lock: Lock | None
    ip_block: Lock | None = None

    @property
    def reference(self) -> str | None:
        return self.lock.reference if self.lock else None

    @property
    def locked_until(self) -> datetime | None:
        return self.lock.locked_until if self.lock else None


class Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.scope)
        self.refusal = refusal


@dataclass(eq=False)
class Attempt:
    """The sign-in attempt of one request (``attempt_of``)."""

    request: Any = field(repr=False)
    identity: Identity | None = None  # who the attempt is about, once resolved
    counted: Counted | None = None  # the count of a check that failed (or is failing)
    unreleased: Counted | None = None  # a right password's count, to give back
    reason: str = ""  # why it failed, for the audit row ("bad_password", "locked", ...)
    refusal: Refusal | None = None  # refused unchecked, and why
    refusal_recorded: bool = False  # the refusal's audit row is written
    finalized: bool = False  # the failure's bookkeeping ran
    verified_user: Any = None  # pk of the account whose credentials were checked here
    second_step: str = ""  # "totp", "backup_code" or "passkey": the step the sign-in passed
    known_browser_cookie: str | None = None  # the cookie a sign-in leaves (``signin.browsers``)
    browser_cookie_read: dict | None = None  # the known-browser cookie this request brought
    signout_reason: str = "signed_out"  # or "idle_timeout", "absolute_timeout"
    admin_password_expired: bool = False  # the admin login sends the user to the forced change

    def check_begin(self) -> None:
        """A new check (password or code) in this request: what an earlier one left goes."""
        self.counted = None
        self.refusal = None
        self.finalized = False
        self.refusal_recorded = False

    def refuse(self, refusal: Refusal) -> None:
        """Refused while locked: axes' middleware answers with the lock page
        (``signin.views.lockout_response``) unless a view already did."""
        self.refusal = refusal
        self.locked_out = True

    @property
    def locked_out(self) -> bool:
        """Whether the lock page is the answer (django-axes' ``request.axes_locked_out``)."""
        return bool(getattr(self.request, "axes_locked_out", False))

    @locked_out.setter
    def locked_out(self, value: bool) -> None:
        self.request.axes_locked_out = value


def attempt_of(request: HttpRequest) -> Attempt:
    """The request's sign-in attempt, made on first use."""
    attempt = getattr(request, ATTRIBUTE, None)
    if attempt is None:
        attempt = Attempt(request=request)
        setattr(request, ATTRIBUTE, attempt)
    return attempt


def door_of(request: HttpRequest) -> str:
    """Which login door the request came through: "admin" or "site" (from the URL it resolved
    to; a request that was not resolved, by its path)."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return "admin" if "admin" in match.namespaces else "site"
    path = getattr(request, "path", "") or ""
    return "admin" if path.startswith(reverse("admin:index")) else "site"


def refusal_decide(
    *,
    identity: Identity,
    browser: str,
    scope: str,
    lock: Lock | None,
    locked_until: datetime | None,
    now: datetime,
    at_limit: bool = False,
    ip_blocked: bool = False,
    ip_lock: Callable[[], Lock | None] = lambda: None,
) -> Refusal | None:
    """Whether an attempt is refused unchecked, and why; None: it goes to its check.

    ``scope``, ``lock`` and ``locked_until``: the counter (or lock row) the caller read for it;
    ``at_limit``: that counter's run already at the limit (its last allowed attempts are being
    checked: refused, with no lock yet); ``ip_blocked``: the client IP's block is in force
    (``ip_lock`` reads its lock row, only when it is the reason given).

    - A browser the account knows (``browser``) answers only to its own counter: the account's
      lock and the IP's block do not stop it.
    - A lock in force (or the limit reached) is the reason given first, then the IP's block.
    """
    if browser and scope != Scope.BROWSER:
        return None
    if at_limit or (locked_until is not None and locked_until > now):
        return Refusal(identity=identity, scope=scope, lock=lock)
    if ip_blocked and not browser:
        return Refusal(identity=identity, scope=Scope.IP, lock=ip_lock())
    return None
