"""The store of the rate limits does not answer (Redis refused, Redis that accepts and never
answers, the database cache without its table): every limiter follows one policy
(``portal.limits.LimitStoreDown``). Sending a code, checking one, filing a request and the
lock-status API answer 503 with ``Retry-After`` and nothing done; sign-in goes on, uncounted on
the IP, and still locks on the database's counters. Never a 500, never a traceback in the log."""

from __future__ import annotations

import socket
import time
from http import HTTPStatus

import pytest
from django.core import mail
from django.test import Client

from messaging import sms
from portal.settings import REDIS_CACHE_OPTIONS
from reset.models import ResetFlow
from tests.accounts.conftest import CODE
from tests.factories import UserFactory
from tests.logs import console_output
from tests.messaging.worker import dead_port
from tests.reset.conftest import START, VERIFY

# Requests run in autocommit, as in production: a failed query of the database cache then aborts
# no surrounding test transaction on PostgreSQL.
pytestmark = pytest.mark.django_db(transaction=True)

HEADINGS = {"en": "Please try again in a minute", "zh-hans": "请一分钟后再试"}


def _redis_at(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "portal.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "store-down",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }


DOWN = {
    "redis-refused": lambda: _redis_at(f"redis://127.0.0.1:{dead_port()}/0"),
    "database-cache-without-its-table": lambda: {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "no_such_cache_table",
        }
    },
}


class Store:
    """The shared cache, switched between the test's working one and a dead one."""

    def __init__(self, settings, dead: dict) -> None:
        self._settings, self._working, self._dead = settings, settings.CACHES, dead

    def down(self) -> None:
        self._settings.CACHES = self._dead

    def up(self) -> None:
        self._settings.CACHES = self._working


@pytest.fixture(params=sorted(DOWN))
def store(request, settings):
    return Store(settings, DOWN[request.param]())


@pytest.fixture
def redis_store(settings):
    """Redis itself away (the outage a deployment meets), for what runs in a transaction: a
    database cache without its table would abort the transaction it is read in."""
    return Store(settings, DOWN["redis-refused"]())


@pytest.fixture
def store_down(store):
    store.down()
    return store


def _assert_try_again(response, language: str = "en") -> None:
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "60"
    assert "no-store" in response["Cache-Control"]
    assert HEADINGS[language] in response.content.decode()


def _one_store_line(output) -> str:
    lines = output.getvalue().splitlines()
    store_lines = [line for line in lines if "its store did not answer" in line]
    assert len(store_lines) == 1, lines
    assert not any("Traceback" in line for line in lines)
    return store_lines[0]


# --- codes: fail closed ----------------------------------------------------------------------
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_starting_a_reset_answers_try_again_and_sends_nothing(
    store_down, language, django_capture_on_commit_callbacks
):
    user = UserFactory()
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)
    with console_output() as output, django_capture_on_commit_callbacks(execute=True):
        response = client.post(START, {"identifier": user.username, "channel": "sms"})
    _assert_try_again(response, language)
    assert "reset-ip-sends" in _one_store_line(output)
    assert not ResetFlow.objects.exists()
    assert not mail.outbox and not sms.outbox


def _started_reset(django_capture_on_commit_callbacks) -> tuple[Client, str]:
    user = UserFactory()
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(START, {"identifier": user.username, "channel": "email"})
    assert response.status_code == HTTPStatus.FOUND
    return client, CODE.search(mail.outbox[-1].body).group(1)


@pytest.mark.parametrize("right", [False, True], ids=["wrong-code", "right-code"])
def test_a_code_is_not_checked_while_the_store_is_down(
    store, right, django_capture_on_commit_callbacks
):
    client, code = _started_reset(django_capture_on_commit_callbacks)
    store.down()
    typed = code if right else f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": typed, "action": "verify"})
    _assert_try_again(response)
    flow = ResetFlow.objects.get()
    assert flow.failures == 0
    assert flow.state == ResetFlow.State.CODE_SENT


def test_asking_for_a_new_code_answers_try_again(store, django_capture_on_commit_callbacks, clock):
    client, _code = _started_reset(django_capture_on_commit_callbacks)
    sent = len(mail.outbox)
    store.down()
    clock.advance(minutes=2)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(VERIFY, {"action": "resend"})
    _assert_try_again(response)
    assert len(mail.outbox) == sent
    assert ResetFlow.objects.get().sends == 1


@pytest.mark.parametrize(
    "kind, value", [("sms", "+8613912345678"), ("email", "new@corp.example.cn")]
)
def test_adding_a_contact_answers_try_again_and_sends_nothing(
    store_down, kind, value, django_capture_on_commit_callbacks
):
    user = UserFactory(phone="", phone_verified_at=None, email="", email_verified_at=None)
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    with console_output() as output, django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/contacts/", {"kind": kind, "value": value})
    _assert_try_again(response)
    assert "code-sends-contact_verify" in _one_store_line(output)
    assert not mail.outbox and not sms.outbox


def test_a_redis_that_never_answers_costs_about_a_second(
    settings, django_capture_on_commit_callbacks
):
    with socket.socket() as silent:  # accepts connections (the kernel does), never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        settings.CACHES = _redis_at(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        user = UserFactory()
        client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
        started = time.monotonic()
        response = client.post(START, {"identifier": user.username, "channel": "email"})
        elapsed = time.monotonic() - started
    _assert_try_again(response)
    assert elapsed < 3, elapsed


# --- tickets and the lock-status API: fail closed -------------------------------------------
def test_filing_an_unlock_request_answers_try_again(store_down):
    from tests.tickets.conftest import form_data, form_nonce
    from tickets.models import Ticket

    UserFactory(username="zhang.wei")
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    nonce = form_nonce(client)
    response = client.post("/tickets/unlock/", form_data(nonce))
    _assert_try_again(response)
    assert not Ticket.objects.exists()


def test_the_lock_status_api_answers_503_json(store_down, settings):
    settings.LOCK_STATUS_API_SECRET = "s" * 40
    client = Client(raise_request_exception=False)
    response = client.get(
        "/api/lock-status", {"username": "zhang.wei"}, HTTP_X_PORTAL_SECRET="s" * 40
    )
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "60"
    assert response.json()["error"] == "unavailable"


# --- sign-in: goes on, the database's counters still lock -----------------------------------
@pytest.fixture
def redis_down(settings):
    settings.CACHES = DOWN["redis-refused"]()


def test_sign_in_goes_on_and_still_locks_with_one_line_per_store_error(redis_down):
    """(Redis only: the notices' own cache reads, not a limit, need the database cache's table,
    which ``migrate`` creates.)"""
    from tests.factories import DEFAULT_PASSWORD
    from tests.signin.conftest import WRONG

    UserFactory(username="li.na")
    UserFactory(username="zhang.wei")
    with console_output() as output:
        right = Client(raise_request_exception=False).post(
            "/accounts/login/", {"username": "li.na", "password": DEFAULT_PASSWORD}
        )
        client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
        wrong = [
            client.post("/accounts/login/", {"username": "zhang.wei", "password": WRONG})
            for _ in range(5)
        ]
    assert right.status_code == HTTPStatus.FOUND
    assert [r.status_code for r in wrong] == [HTTPStatus.OK] * 4 + [HTTPStatus.TOO_MANY_REQUESTS]
    lines = output.getvalue().splitlines()
    assert not any("Traceback" in line for line in lines)
    assert any("limit signin:ip: its store did not answer" in line for line in lines)
    assert not any(line.startswith(("redis.", "django.db.")) for line in lines)


# --- the SMS spend guard: a code's SMS is refused, any other waits to be counted, an email goes
def test_the_spend_guard_refuses_a_codes_sms_defers_a_notices_and_lets_an_email_go(store_down):
    from messaging.kinds import Priority
    from messaging.spend import DEFERRED, STORE_DOWN, message_spend

    user = UserFactory()
    with console_output() as output:
        code = message_spend(
            channel="sms", address=str(user.phone), user_id=user.pk, priority=Priority.CODE
        )
        notice = message_spend(
            channel="sms", address=str(user.phone), user_id=user.pk, priority=Priority.SECURITY
        )
        emailed = message_spend(
            channel="email", address=user.email, user_id=user.pk, priority=Priority.SECURITY
        )
    assert code is not None and code.reason == STORE_DOWN
    assert notice is not None and notice.reason == DEFERRED
    assert emailed is None
    lines = output.getvalue().splitlines()
    assert len(lines) == 3 and not any("Traceback" in line for line in lines), lines
    assert "the SMS is refused" in lines[0]
    assert "the SMS waits to be counted" in lines[1]
    assert "the email goes uncounted" in lines[2]


def test_a_notice_queued_while_redis_is_away_goes_counted_once_it_answers(redis_store, clock):
    """Nothing lost, nothing uncounted: the SMS is queued with its caps still to count, waits
    (retried) while the store stays away, and is counted once, then sent, when it answers."""
    from messaging.models import OutboxMessage
    from messaging.services import messaging_notify_user, outbox_deliver
    from tests.messaging.spend import sms_usage

    user = UserFactory()
    redis_store.down()
    with console_output():
        queued = messaging_notify_user(
            user=user, kind="account_password_changed", context={}, channels=("email", "sms")
        )
    texted = next(m for m in queued if m.channel == "sms")
    texted.refresh_from_db()  # its delivery, run on commit, found the store still away
    assert texted.spend_pending == "security"
    assert texted.status == OutboxMessage.Status.QUEUED and texted.attempts == 1
    assert texted.last_error.startswith("the caps' store did not answer")
    assert sms.outbox == []
    redis_store.up()
    clock.advance(minutes=10)
    assert outbox_deliver(message_id=texted.pk) == "sent"
    texted.refresh_from_db()
    assert texted.status == OutboxMessage.Status.SENT and texted.spend_pending == ""
    assert len(sms.outbox) == 1
    assert sms_usage(phone=str(user.phone), user_id=user.pk)["number_hour"] == 1


def test_a_deferred_sms_whose_cap_filled_meanwhile_fails_audited(redis_store, clock, settings):
    from audit.models import AuditEvent
    from messaging.models import OutboxMessage
    from messaging.services import messaging_notify_user, outbox_deliver

    settings.SMS_CAP_PER_NUMBER_HOUR = 0
    user = UserFactory()
    redis_store.down()
    with console_output():
        queued = messaging_notify_user(
            user=user, kind="account_password_changed", context={}, channels=("sms",)
        )
    redis_store.up()
    clock.advance(minutes=10)
    assert outbox_deliver(message_id=queued[0].pk) == "failed"
    failed = OutboxMessage.objects.get(pk=queued[0].pk)
    assert failed.status == OutboxMessage.Status.FAILED
    assert "refused by the spend guard (number_hour)" in failed.last_error
    assert sms.outbox == []
    assert AuditEvent.objects.filter(event="messaging.failed", user=user).exists()
