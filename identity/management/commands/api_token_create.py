"""``manage.py api_token_create <username>``: issue an API token for a user without its
password (an operator's command; ``POST /api/v1/auth/token/`` is the usual way)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from knox.models import AuthToken

from identity.models import User


class Command(BaseCommand):
    help = (
        "Issue a new API token for a user and print it (only its digest is stored: it cannot be "
        "shown again). It expires after GLOAM_API_TOKEN_TTL_HOURS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = User.objects.get(username=options["username"])
        except User.DoesNotExist as exc:
            raise CommandError(f"No user {options['username']!r}.") from exc
        if not user.is_active:
            raise CommandError(f"User {user.username!r} is deactivated.")
        instance, token = AuthToken.objects.create(user=user)
        self.stderr.write(f"Token for {user.username}, expires {instance.expiry:%Y-%m-%d %H:%M} UTC:")
        self.stdout.write(token)
