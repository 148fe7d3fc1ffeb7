"""Playwright driving Debian's Chromium (never a downloaded browser) against the live server."""

from __future__ import annotations

import os

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def _playwright():
    # Playwright's sync API runs an event loop; Django refuses ORM calls from such a thread
    # unless told this is a test.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def chromium(_playwright):
    browser = _playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(locale="zh-CN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# --- Shared by the journeys (and by whoever needs a phone, screenshots or a real worker) ------
@pytest.fixture
def new_context(chromium, live_server):
    """``new_context(locale="zh-CN", phone=False, **options)``: a browser context of its own
    (cookies and all) on the live server; ``phone=True`` is a 390×844 touch phone. Closed after
    the test."""
    from tests.e2e.browser import PHONE

    opened = []

    def make(*, locale: str = "zh-CN", phone: bool = False, **options):
        context = chromium.new_context(
            locale=locale, base_url=live_server.url, **(PHONE if phone else {}), **options
        )
        context.set_default_timeout(15_000)
        opened.append(context)
        return context

    yield make
    for context in opened:
        context.close()


@pytest.fixture(scope="session")
def shots():
    """Screenshots of key pages into ``PORTAL_SCREENSHOTS_DIR`` (default var/screenshots/)."""
    from tests.e2e.browser import Screenshots

    return Screenshots()


@pytest.fixture(scope="session")
def _journey_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """One real Celery worker for the session's journeys when PostgreSQL and Redis are there
    (CI); None otherwise (a plain ``make test`` on SQLite runs the tasks in-process)."""
    from django.conf import settings
    from django.db import connection

    from tests.conftest import _redis_reason
    from tests.messaging.worker import Worker

    sms_file = tmp_path_factory.mktemp("journey-sms") / "sms.jsonl"
    with django_db_blocker.unblock():
        db_name = connection.settings_dict["NAME"]
        vendor = connection.vendor
    if vendor != "postgresql" or _redis_reason() is not None:
        yield None, sms_file
        return
    worker = Worker(
        db_name=db_name,
        broker_url=os.environ["REDIS_URL"],
        webhook_url="http://127.0.0.1:9/unused",
        webhook_secret="unused",
        sms_file=str(sms_file),
        cache_prefix=settings.CACHES["default"]["KEY_PREFIX"],
    )
    try:
        worker.wait_ready()
        yield worker, sms_file
    finally:
        worker.stop()


@pytest.fixture
def tasks(_journey_worker, settings):
    """The journeys' background work: a real Celery worker on Redis and PostgreSQL (CI; its
    absence fails there) or in-process tasks on SQLite. Either way SMS go to a file (the ``file``
    backend), which ``tasks.code(...)`` reads as the person reads the phone."""
    from tests.e2e.browser import Tasks
    from tests.messaging.worker import producer

    worker, sms_file = _journey_worker
    sms_file.write_text("")
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(sms_file)
    if worker is None:
        if os.environ.get("PORTAL_REQUIRE_ALL") == "1":
            pytest.fail("the journeys need a real Celery worker in CI (PostgreSQL and Redis)")
        yield Tasks(sms_file=sms_file, worker=None)
        return
    with producer(broker_url=worker.broker_url, queue=worker.queue):
        tasks = Tasks(sms_file=sms_file, worker=worker)
        yield tasks
        tasks.settle()
