"""The chain boundary's Celery tasks are registered under ``ledger``'s names, and the beat
schedules only tasks a worker knows (a renamed task left in the schedule would be dropped by
every worker as unregistered)."""

from __future__ import annotations

from django.conf import settings

from config.celery import app


def _registered() -> set[str]:
    app.loader.import_default_modules()  # what a worker does at start: autodiscover tasks.py
    return set(app.tasks)


def test_every_scheduled_task_is_registered():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled - _registered() == set()


def test_the_outbox_and_indexer_tasks_have_ledger_names():
    registered = _registered()
    assert {
        "ledger.tasks.chain_outbox_flush",
        "ledger.tasks.chain_outbox_tick",
        "ledger.tasks.index_final_events",
    } <= registered
    assert (
        not {
            "identity.tasks.chain_outbox_flush",
            "identity.tasks.chain_outbox_tick",
            "settlement.tasks.index_final_events",
        }
        & registered
    )
    assert settings.CELERY_BEAT_SCHEDULE["chain-outbox"]["task"] == "ledger.tasks.chain_outbox_tick"
    assert settings.CELERY_BEAT_SCHEDULE["chain-indexer"]["task"] == "ledger.tasks.index_final_events"


def test_the_phoenix_scanner_is_a_scheduled_ledger_task_that_waits_for_a_chain():
    from ledger.tasks import scan_phoenix_notes_task

    assert "ledger.tasks.scan_phoenix_notes" in _registered()
    assert settings.CELERY_BEAT_SCHEDULE["phoenix-note-scanner"]["task"] == "ledger.tasks.scan_phoenix_notes"
    assert settings.GLOAM_NODE_URLS == []  # the test settings: no chain configured
    assert scan_phoenix_notes_task() == {}
