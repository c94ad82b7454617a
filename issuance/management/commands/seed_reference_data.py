"""``manage.py seed_reference_data``: the sample Treasuries and LEIs (``make run``)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from issuance.management.commands.import_treasury_auctions import DEFAULT_TREASURY_LEI
from issuance.reference_data import reference_data_load


class Command(BaseCommand):
    help = "Load the project's sample of real US Treasuries and LEIs (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--treasury-lei", default=DEFAULT_TREASURY_LEI)

    def handle(self, *args: Any, **options: Any) -> None:
        counts = Counter(reference_data_load(treasury_lei=options["treasury_lei"]))
        self.stdout.write("Reference data: " + ", ".join(f"{n} {o}" for o, n in sorted(counts.items())))
