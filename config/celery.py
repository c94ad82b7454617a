"""The Celery app: workers and beat for background jobs.

Broker: Redis; in the embedded default a private redis-server that ``make run`` supervises
(config/supervisord.conf). Tasks are enqueued after commit (``common.tasks.enqueue_on_commit``).
"""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")

app = Celery("gloam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
