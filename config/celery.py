"""The Celery app: workers and beat for background jobs.

Broker: Redis; in the embedded default a private redis-server that ``make run`` supervises
(config/supervisord.conf). Tasks are enqueued after commit (``common.tasks.enqueue_on_commit``).
"""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.embedded")

app = Celery("gloam")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
def _heartbeat_when_ready(**kwargs: object) -> None:
    """A worker records its heartbeat as soon as it is ready (``common.tasks``)."""
    from common.tasks import worker_ready_heartbeat

    worker_ready_heartbeat(**kwargs)
