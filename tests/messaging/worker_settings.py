"""Settings of the real Celery worker that the integration tests and the bench start: the test
settings, non-eager, on the test run's own database and queue, sending SMS to a local fake
gateway. Read only by that subprocess (``DJANGO_SETTINGS_MODULE``)."""

import os

from portal.settings_test import *  # noqa: F403
from portal.settings_test import CACHES, DATABASES

DATABASES["default"]["NAME"] = os.environ["PORTAL_WORKER_DB_NAME"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = os.environ["PORTAL_WORKER_BROKER_URL"]
CELERY_TASK_DEFAULT_QUEUE = os.environ["PORTAL_WORKER_QUEUE"]
SMS_BACKEND = "webhook"
SMS_WEBHOOK_URL = os.environ["PORTAL_WORKER_SMS_WEBHOOK_URL"]
SMS_WEBHOOK_SECRET = os.environ["PORTAL_WORKER_SMS_WEBHOOK_SECRET"]
if os.environ.get("PORTAL_WORKER_SMS_FILE_PATH"):  # the browser journeys read SMS from a file
    SMS_BACKEND = "file"
    SMS_FILE_PATH = os.environ["PORTAL_WORKER_SMS_FILE_PATH"]
# Quick retries, so "three failures then success" takes about a second.
MESSAGING_RETRY_BASE_SECONDS = 0.2
MESSAGING_RETRY_CAP_SECONDS = 1.0
if os.environ.get("PORTAL_WORKER_CACHE_PREFIX"):
    CACHES["default"]["KEY_PREFIX"] = os.environ["PORTAL_WORKER_CACHE_PREFIX"]
