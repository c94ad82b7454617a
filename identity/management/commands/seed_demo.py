"""``manage.py seed_demo``: demo organisations and one user per role (embedded default)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.env import env
from identity.demo import DEFAULT_DEMO_PASSWORD, demo_data_create


class Command(BaseCommand):
    help = "Create demo organisations and one user per role, and print their log-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even when DEBUG is off (never do this on a real deployment).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("seed_demo refuses to run with DEBUG off (demo passwords are public).")
        password = env.str("GLOAM_DEMO_PASSWORD", default=DEFAULT_DEMO_PASSWORD)
        users = demo_data_create(password=password)
        self.stdout.write(f"Demo users (password: {password}):")
        for user in users:
            roles = ", ".join(sorted(user.roles))
            org = user.organisation.legal_name if user.organisation else "-"
            self.stdout.write(f"  {user.username:<20} {roles:<22} {org}")
