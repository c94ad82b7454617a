"""``manage.py prepare_var``: create the embedded default's folders under ``var/``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from config.celery import ensure_broker_folders
from config.env import VAR_DIR


class Command(BaseCommand):
    help = "Create var/ and the filesystem broker's folders (embedded default)."

    def handle(self, *args: Any, **options: Any) -> None:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        ensure_broker_folders()
        self.stdout.write(f"var/ ready at {VAR_DIR}")
