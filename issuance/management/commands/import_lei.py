"""``manage.py import_lei PATH [PATH ...]``: organisations from GLEIF Level-1 LEI records.

Reads GLEIF's RDF Turtle (``.ttl``) or golden-copy CSV. Idempotent: keyed on the LEI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from identity.roles import OrganisationKind
from issuance.importers import ImportRow, lei_organisation_upsert, read_lei_file
from issuance.management.commands._progress import run_import


class Command(BaseCommand):
    help = "Import organisations from GLEIF Level-1 LEI data (Turtle or golden-copy CSV)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument(
            "--kind",
            choices=OrganisationKind.values,
            default=OrganisationKind.ISSUER,
            help="Kind of the organisations created (existing ones keep theirs). Default: issuer.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rows: list[ImportRow] = []
        for path in options["paths"]:
            if not path.is_file():
                raise CommandError(f"{path} is not a file")
            rows.extend(read_lei_file(path))
        run_import(
            self, rows, lambda row: lei_organisation_upsert(row=row, kind=options["kind"]), what="LEI records"
        )
