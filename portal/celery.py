"""The Celery app. Tasks are thin (ids in, a service call), JSON only, acknowledged late.

Run a worker with ``make worker`` (``celery -A portal worker``) and the scheduler with
``make beat`` (``celery -A portal beat``). The beat schedule lives in settings
(``CELERY_BEAT_SCHEDULE``), filled from each app's ``conf.py``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
