"""The demo inbox (debug only): the last messages of the outbox with their content while it
exists, so a newcomer can read a reset code without a phone or a mail server."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from messaging import conf
from messaging.models import OutboxMessage
from messaging.selectors import outbox_recent


@never_cache
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    if not settings.DEBUG:  # the URL is only mounted in debug; this is the second lock
        raise Http404
    channel = request.GET.get("channel")
    if channel not in OutboxMessage.Channel.values:
        channel = None
    rows = list(outbox_recent(limit=conf.get("MESSAGING_INBOX_SIZE"), channel=channel))
    now = timezone.now()
    for row in rows:
        # A secret past its expiry is shown as gone even before the sweep wipes it.
        row.readable = row.wiped_at is None and not (
            row.secret and row.expires_at is not None and row.expires_at <= now
        )
    return render(
        request,
        "messaging/inbox.html",
        {"rows": rows, "channel": channel, "channels": OutboxMessage.Channel.choices},
    )
