"""``manage.py prepare_var``: create the embedded default's folders under ``var/``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from config.env import VAR_DIR


class Command(BaseCommand):
    help = "Create var/ and its log and redis folders (embedded default)."

    def handle(self, *args: Any, **options: Any) -> None:
        for folder in (VAR_DIR, VAR_DIR / "log", VAR_DIR / "redis"):
            folder.mkdir(parents=True, exist_ok=True)
        self.stdout.write(f"var/ ready at {VAR_DIR}")
