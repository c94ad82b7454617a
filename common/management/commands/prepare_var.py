"""``manage.py prepare_var``: create the embedded default's folders under ``var/`` and its
SQLite database file, mode 0600 (``common.sqlite_files``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from common.sqlite_files import create_private, sqlite_database_path
from config.env import VAR_DIR


class Command(BaseCommand):
    help = "Create var/, its log and redis folders and the SQLite file, mode 0600 (embedded default)."

    def handle(self, *args: Any, **options: Any) -> None:
        for folder in (VAR_DIR, VAR_DIR / "log", VAR_DIR / "redis"):
            folder.mkdir(parents=True, exist_ok=True)
        database = sqlite_database_path()
        if database is not None:
            create_private(database)
        self.stdout.write(f"var/ ready at {VAR_DIR}")
