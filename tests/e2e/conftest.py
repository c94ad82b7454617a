"""Fixtures shared by the browser tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import kombu.pools
import pytest


@pytest.fixture
def memory_broker() -> Iterator[None]:
    """Tasks queued on commit go to Kombu's in-memory transport for this test."""
    from config.celery import app as celery_app

    app: Any = celery_app  # reaches into Celery's connection pools (private attributes)
    names = ("broker_url", "broker_transport_options", "result_backend")
    saved = {name: app.conf[name] for name in names}

    def reset() -> None:
        if app._pool is not None:
            app._pool.force_close_all()
        kombu.pools.reset()  # and Kombu's process-wide producer pools, which kept the closed ones
        app._after_fork()  # forget the connection and producer pools of the old broker
        app._backend_cache = None  # and the result backends built from the old settings
        app._local = threading.local()

    app.conf.update(broker_url="memory://", broker_transport_options={}, result_backend="cache+memory://")
    reset()
    try:
        yield
    finally:
        app.conf.update(saved)
        reset()
