"""What stands before filing an unlock request: the form's nonces (kept in the session), the
rate limits (by client IP, by what was typed as the username, by request for replies, by client
IP for status links that open nothing) and the spam field's decoy answer.

Each limit's ``*_hit`` counts one request and returns the seconds to wait (0: go on); a refusal
of a submission writes its audit row. The limits key on what was typed, never on the account it
names, so no answer depends on whether one exists (the account's own limit is applied, silently,
by ``ticket_create``).
"""

from __future__ import annotations

from typing import Literal

from django.http import HttpRequest

from accounts.identifiers import identifier_canonical
from audit.services import audit_record
from portal import limits
from portal.net import client_ip
from tickets import conf
from tickets.services.intake import form_nonce_new, status_token_for

SESSION_NONCES = "tickets_form_nonces"  # nonces of forms shown to this browser
SESSION_USED = "tickets_used_nonces"  # nonces already turned into a request
KEEP_NONCES = 10

NonceState = Literal["issued", "used", "unknown"]


def nonce_issue(*, request: HttpRequest) -> str:
    """A nonce for one rendering of the form, remembered as given to this browser."""
    nonce = form_nonce_new()
    issued = request.session.get(SESSION_NONCES, [])
    request.session[SESSION_NONCES] = [*issued, nonce][-KEEP_NONCES:]
    return nonce


def nonce_state(*, request: HttpRequest, nonce: str) -> NonceState:
    """``issued``: given to this browser and not yet used; ``used``: it filed a request (a
    double click); ``unknown``: never given here (another browser, an expired session)."""
    if nonce in request.session.get(SESSION_USED, []):
        return "used"
    if nonce in request.session.get(SESSION_NONCES, []):
        return "issued"
    return "unknown"


def nonce_use(*, request: HttpRequest, nonce: str) -> None:
    issued = [n for n in request.session.get(SESSION_NONCES, []) if n != nonce]
    used = request.session.get(SESSION_USED, [])
    request.session[SESSION_NONCES] = issued
    request.session[SESSION_USED] = [*used, nonce][-KEEP_NONCES:]


def filing_ip_hit(*, request: HttpRequest) -> int:
    """Counts a submission against the client IP; audited when it is refused."""
    wait = limits.hit("tickets:ip", client_ip(request), conf.get("TICKETS_RATE_IP"))
    if wait:
        audit_record(event="ticket.rate_limited", request=request, data={"scope": "ip"})
    return wait


def filing_username_hit(*, request: HttpRequest, username: str) -> int:
    """Counts a submission against the canonical form of what was typed; audited when refused."""
    key = identifier_canonical(username)
    wait = limits.hit("tickets:username", key, conf.get("TICKETS_RATE_USERNAME"))
    if wait:
        audit_record(
            event="ticket.rate_limited",
            request=request,
            subject=username,
            data={"scope": "username"},
        )
    return wait


def filing_spam_answer(*, request: HttpRequest) -> str:
    """A bot filled the hidden field: audited, nothing is filed, and it gets the token of a
    request that does not exist, so its answer looks like any other."""
    audit_record(event="ticket.spam_blocked", request=request, data={"field": "website"})
    return status_token_for(form_nonce_new())


def reply_hit(*, reference: str) -> int:
    return limits.hit("tickets:reply", reference, conf.get("TICKETS_RATE_REPLY"))


def status_miss_hit(*, request: HttpRequest) -> int:
    """Counts a status link that opened nothing (a guess at a token) against the client IP."""
    return limits.hit(
        "tickets:status-miss", client_ip(request), conf.get("TICKETS_RATE_STATUS_MISS")
    )
