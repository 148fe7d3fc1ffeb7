"""The stack tests' settings: production's (portal.settings, read from the stack's environment)
with the outbox's recovery made quick enough for a test stage of a few minutes. A worker killed
mid-delivery leaves its row ``sending`` for MESSAGING_SENDING_TIMEOUT_SECONDS (production: 180 s,
three times the task's hard time limit) and a row the broker never got waits
MESSAGING_REQUEUE_AFTER_SECONDS (60 s); the sweep runs every 30 s. Here: the same proportions
on a 10 s time limit. Nothing else differs from `make stack`."""

from portal.settings import *  # noqa: F403
from portal.settings import CELERY_BEAT_SCHEDULE

CELERY_TASK_TIME_LIMIT = 10
CELERY_TASK_SOFT_TIME_LIMIT = 8
SMS_HTTP_TIMEOUT = 5.0
MESSAGING_HTTP_TIMEOUT = 5.0
MESSAGING_SENDING_TIMEOUT_SECONDS = 15
MESSAGING_REQUEUE_AFTER_SECONDS = 6
MESSAGING_RETRY_BASE_SECONDS = 1.0
MESSAGING_RETRY_CAP_SECONDS = 4.0
CELERY_BEAT_SCHEDULE["messaging-sweep"] = {
    "task": "messaging.sweep",
    "schedule": 3.0,
    "options": {"expires": 2.5},
}
