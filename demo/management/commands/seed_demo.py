"""``manage.py seed_demo``: demo organisations and one user per role (embedded default)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from config.env import VAR_DIR, env
from demo.services import demo_data_create, demo_regulator_key_create
from identity.demo import DEFAULT_DEMO_PASSWORD

#: The demo regulator's disclosure secret key, under ``var/`` (demo only: a real regulator
#: never gives its secret key to the platform).
DEMO_REGULATOR_KEY_FILE = "demo-regulator-x25519.key"


class Command(BaseCommand):
    help = "Create demo organisations and one user per role, and print their log-ins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even when GLOAM_DEMO is off (never do this on a real deployment).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.GLOAM_DEMO and not options["allow_production"]:
            raise CommandError("seed_demo refuses to run with GLOAM_DEMO off (demo passwords are public).")
        password = env.str("GLOAM_DEMO_PASSWORD", default=DEFAULT_DEMO_PASSWORD)
        users = demo_data_create(password=password)
        self.stdout.write(f"Demo users (password: {password}):")
        for user in users:
            roles = ", ".join(sorted(user.roles))
            org = user.organisation.legal_name if user.organisation else "-"
            self.stdout.write(f"  {user.username:<20} {roles:<22} {org}")
        secret_path = VAR_DIR / DEMO_REGULATOR_KEY_FILE
        if demo_regulator_key_create(username="regulator", secret_path=secret_path) is not None:
            self.stdout.write(
                f"The demo regulator's X25519 secret key (demo only) is in {secret_path}; "
                "verify its packages with python -m compliance.verify_disclosure."
            )
