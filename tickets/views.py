"""The employee's pages: file an unlock request, follow it on its private status page.

Views stay thin: they validate and hand off to ``tickets.services`` (the nonces, limits and spam
check in ``tickets.services.guard``). Every answer to a
submission is the same whether or not the account exists: a reference and a status page.

The status link (``/tickets/status/<token>/``) is what people keep; opening it moves the token
into the session and redirects to ``/tickets/status/``, as the reset link does, so the token sits
in at most one request line (an access log's) and never in a Location header or a Referer.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from notices.selectors import notices_for_question
from portal.net import client_ip, user_agent
from tickets.errors import TicketClosed
from tickets.forms import ReplyForm, UnlockRequestForm
from tickets.selectors import (
    ticket_by_token,
    ticket_by_token_hash,
    ticket_expected_wait,
    ticket_public_events,
)
from tickets.services import ticket_create, ticket_reply, token_hash
from tickets.services.guard import (
    filing_ip_hit,
    filing_spam_answer,
    filing_username_hit,
    nonce_issue,
    nonce_state,
    nonce_use,
    reply_hit,
    status_miss_hit,
)

logger = logging.getLogger("tickets")

# The status link's token moves here (as its hash) at the first visit, so it leaves the URL.
SESSION_STATUS = "tickets_status"
# {"reference", "token"} of the request just filed: its private link is shown once, to copy.
SESSION_JUST_FILED = "tickets_just_filed"
ENCODING_REFUSED = gettext_lazy(
    "The form arrived in a text encoding we cannot read. Please type it again."
)


def _follow(request: HttpRequest, token: str) -> HttpResponse:
    """From now on this browser's ``/tickets/status/`` shows the request ``token`` opens: the
    token leaves the URL, so it is in at most the one request that brought it."""
    request.session[SESSION_STATUS] = token_hash(token)
    return _private(redirect("tickets:status_page"))


def _private(response: HttpResponse) -> HttpResponse:
    """A status page is reached by a secret link: never cached, never sent as a Referer."""
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _unlogged_path(response: HttpResponse, ticket) -> HttpResponse:
    """Django logs every 4xx with its path, and a status page's path is its secret: log the
    refusal by the request's reference instead."""
    if response.status_code >= HTTPStatus.BAD_REQUEST:
        response._has_been_logged = True
        logger.warning("%s: status page of %s", response.reason_phrase, ticket.reference)
    return response


def _limited(response: HttpResponse, wait: int) -> HttpResponse:
    response["Retry-After"] = str(max(1, wait))
    return response


def _maintenance_notices() -> list:
    return notices_for_question()


def _body_is_utf8(request: HttpRequest) -> bool:
    """Django reads undecodable form bytes as Latin-1 letters; we refuse them instead."""
    if request.method != "POST" or request.content_type != "application/x-www-form-urlencoded":
        return True
    try:
        unquote_to_bytes(request.body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _wait_text(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return _(
        "Too many requests were sent from here or for this username. "
        "Please try again in %(minutes)s minutes, or call your helpdesk."
    ) % {"minutes": minutes}


@never_cache
@require_http_methods(["GET", "POST"])
def unlock_request(request: HttpRequest) -> HttpResponse:
    notices = _maintenance_notices()
    if request.method == "POST" and not _body_is_utf8(request):
        form = UnlockRequestForm(
            initial={"nonce": nonce_issue(request=request)}, maintenance=bool(notices)
        )
        messages.error(request, ENCODING_REFUSED)
        return _form_page(request, form, notices, HTTPStatus.BAD_REQUEST)
    if request.method == "POST":
        return _submit(request, notices)
    form = UnlockRequestForm(
        initial={
            "username": request.GET.get("username", "")[:150],
            "lock_reference": request.GET.get("ref", "")[:16],
            "nonce": nonce_issue(request=request),
        },
        maintenance=bool(notices),
    )
    return _form_page(request, form, notices)


def _form_page(request, form, notices, status: int = HTTPStatus.OK) -> HttpResponse:
    return render(
        request,
        "tickets/unlock.html",
        {"form": form, "notices": notices},
        status=status,
    )


def _submit(request: HttpRequest, notices: list) -> HttpResponse:
    if notices and request.POST.get("maintenance_answer") == "maintenance":
        # The maintenance explains it: nothing is filed, the page says when to come back.
        return render(request, "tickets/maintenance_wait.html", {"notices": notices})
    wait = filing_ip_hit(request=request)
    form = UnlockRequestForm(request.POST, maintenance=bool(notices))
    valid = form.is_valid()
    if wait:
        form.add_error(None, _wait_text(wait))
        return _limited(_form_page(request, form, notices, HTTPStatus.TOO_MANY_REQUESTS), wait)
    if form.is_spam:
        return _follow(request, filing_spam_answer(request=request))
    if not valid:
        return _form_page(request, form, notices, HTTPStatus.BAD_REQUEST)
    data = form.cleaned_data
    nonce = data["nonce"]
    state = nonce_state(request=request, nonce=nonce)
    if state == "unknown":
        fresh = request.POST.copy()
        fresh["nonce"] = nonce_issue(request=request)
        form = UnlockRequestForm(fresh, maintenance=bool(notices))
        form.is_valid()
        form.add_error(
            None,
            _(
                "This form was open too long or was sent from another browser. We kept what you "
                "typed: please check it and send it again."
            ),
        )
        return _form_page(request, form, notices, HTTPStatus.BAD_REQUEST)
    if state == "issued":
        wait = filing_username_hit(request=request, username=data["username"])
        if wait:
            form.add_error(None, _wait_text(wait))
            response = _form_page(request, form, notices, HTTPStatus.TOO_MANY_REQUESTS)
            return _limited(response, wait)
    filed = ticket_create(
        username=data["username"],
        nonce=nonce,
        problem_since=data["problem_since"],
        tried=data["tried"],
        description=data["description"],
        lock_reference=data["lock_reference"],
        contact=data["contact"],
        receipt_channel=data["receipt"],
        not_maintenance=bool(notices) and data["maintenance_answer"] == "other",
        language=get_language() or "",
        ip=client_ip(request),
        ua=user_agent(request),
        request=request,
    )
    nonce_use(request=request, nonce=nonce)
    if filed.created:
        request.session[SESSION_JUST_FILED] = {
            "reference": filed.ticket.reference,
            "token": filed.token,
        }
    else:
        messages.info(request, _("You already sent this request. Here is its status."))
    return _follow(request, filed.token)


def _invalid(request: HttpRequest, *, count: bool) -> HttpResponse:
    """The one answer for a link that opens nothing; ``count``: a guess at a token."""
    wait = status_miss_hit(request=request) if count else 0
    code = HTTPStatus.TOO_MANY_REQUESTS if wait else HTTPStatus.NOT_FOUND
    response = render(request, "tickets/status_invalid.html", status=code)
    return _private(_limited(response, wait) if wait else response)


@never_cache
@require_http_methods(["GET", "POST"])
def status(request: HttpRequest, token: str) -> HttpResponse:
    """The private link (``/tickets/status/<token>/``): its token moves into the session and the
    browser goes on to ``/tickets/status/``. A reply posted here (a page opened before) still
    lands, and its redirect carries no token either."""
    ticket = ticket_by_token(token=token)
    if ticket is None:
        return _invalid(request, count=True)
    if request.method == "GET":
        return _follow(request, token)
    request.session[SESSION_STATUS] = ticket.token_hash
    return _status_page(request, ticket)


@never_cache
@require_http_methods(["GET", "POST"])
def status_page(request: HttpRequest) -> HttpResponse:
    """The request whose link this browser opened last, shown without the token in the URL."""
    ticket = ticket_by_token_hash(hashed=request.session.get(SESSION_STATUS, ""))
    if ticket is None:
        return _invalid(request, count=False)
    return _status_page(request, ticket)


def _status_page(request: HttpRequest, ticket) -> HttpResponse:
    reply_form = ReplyForm()
    code = HTTPStatus.OK
    if request.method == "POST" and not _body_is_utf8(request):
        reply_form, code = ReplyForm(), HTTPStatus.BAD_REQUEST
        messages.error(request, ENCODING_REFUSED)
    elif request.method == "POST":
        reply_form, code = _reply(request, ticket)
        if code == HTTPStatus.FOUND:
            return _private(redirect(reverse("tickets:status_page") + "#timeline"))
    filed = request.session.pop(SESSION_JUST_FILED, None)
    just_filed = isinstance(filed, dict) and filed.get("reference") == ticket.reference
    context = {
        "ticket": ticket,
        "events": ticket_public_events(ticket=ticket),
        "wait": ticket_expected_wait(ticket=ticket),
        "reply_form": reply_form,
        "just_filed": just_filed,
        # Shown once, in a field to copy (never as a link): the way back from another browser.
        "status_url": (
            settings.PORTAL_BASE_URL.rstrip("/") + reverse("tickets:status", args=[filed["token"]])
            if just_filed
            else ""
        ),
    }
    response = render(request, "tickets/status.html", context, status=code)
    return _private(_unlogged_path(response, ticket))


def _reply(request: HttpRequest, ticket) -> tuple[ReplyForm, int]:
    form = ReplyForm(request.POST)
    if not ticket.is_open:
        form.add_error(
            None,
            _(
                "This request is closed, so it cannot take replies. If you still cannot sign "
                "in, file a new request."
            ),
        )
        return form, HTTPStatus.CONFLICT
    if not form.is_valid():
        return form, HTTPStatus.BAD_REQUEST
    wait = reply_hit(reference=ticket.reference)
    if wait:
        form.add_error(None, _wait_text(wait))
        return form, HTTPStatus.TOO_MANY_REQUESTS
    try:
        ticket_reply(ticket=ticket, body=form.cleaned_data["body"], request=request)
    except TicketClosed:
        form.add_error(None, _("This request was closed a moment ago and cannot take replies."))
        return form, HTTPStatus.CONFLICT
    messages.success(request, _("Your message was added to the request."))
    return form, HTTPStatus.FOUND
