"""``manage.py import_treasury_auctions PATH [PATH ...]``: US Treasuries as reference data.

Reads TreasuryDirect's auctioned-securities CSV export (UTF-16 or UTF-8, by BOM) and its
auction-results XML (``R_*.xml``). Idempotent: keyed on CUSIP; a second run changes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from identity.demo import compute_demo_lei
from issuance.importers import (
    ImportRow,
    order_treasury_rows,
    read_treasury_file,
    treasury_instrument_upsert,
    treasury_issuer_get_or_create,
)
from issuance.management.commands._progress import run_import

#: Placeholder LEI of the US Treasury (valid check digits, demo prefix 984500, not a real
#: LEI); pass ``--issuer-lei`` with the real one. See docs/issuance.md.
DEFAULT_TREASURY_LEI = compute_demo_lei("USTREASURY01")


class Command(BaseCommand):
    help = "Import US Treasury bills, notes and bonds from TreasuryDirect CSV and XML files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path)
        parser.add_argument(
            "--issuer-lei",
            default=DEFAULT_TREASURY_LEI,
            help="LEI of the U.S. Department of the Treasury organisation (default: a placeholder).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        rows: list[ImportRow] = []
        for path in options["paths"]:
            if not path.is_file():
                raise CommandError(f"{path} is not a file")
            rows.extend(read_treasury_file(path))
        issuer = treasury_issuer_get_or_create(lei=options["issuer_lei"])
        run_import(
            self,
            order_treasury_rows(rows),
            lambda row: treasury_instrument_upsert(row=row, issuer=issuer),
            what="Treasury auctions",
        )
