"""The Celery app: workers and beat for background jobs.

Broker: Redis in production; Kombu's filesystem transport (no server) in the embedded
default. Tasks are enqueued after commit (``common.tasks.enqueue_on_commit``).
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


def ensure_broker_folders() -> None:
    """Create the filesystem transport's folders (embedded default only)."""
    from django.conf import settings

    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if key in options:
            os.makedirs(options[key], exist_ok=True)
    backend = str(settings.CELERY_RESULT_BACKEND)
    if backend.startswith("file://"):
        os.makedirs(backend.removeprefix("file://"), exist_ok=True)
