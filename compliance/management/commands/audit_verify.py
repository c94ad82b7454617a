"""``manage.py audit_verify [--chain]``: verify the audit trail; exit 1 if anything is wrong."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from compliance.audit import audit_trail_verify


class Command(BaseCommand):
    help = (
        "Verify the audit trail: recompute the hash chain (any edited, inserted or deleted entry is "
        "found) and check every Final anchor against the entries, and with --chain against the memo "
        "on a chain node."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chain", action="store_true", help="also read every anchor's memo from a node")

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_trail_verify(against_chain=options["chain"])
        if report.chain.broken_at is not None:
            raise CommandError(f"audit chain broken at entry {report.chain.broken_at}: {report.chain.reason}")
        if report.anchor_problems:
            listed = "; ".join(f"anchor at entry {p.sequence}: {p.reason}" for p in report.anchor_problems)
            raise CommandError(f"audit anchors do not match: {listed}")
        where = "on chain" if report.checked_on_chain else "in the database"
        self.stdout.write(
            f"audit chain intact: {report.chain.entries} entries, head {report.chain.head_hash}; "
            f"{report.anchors_checked} anchors checked {where}, last at entry {report.last_anchored_sequence}"
        )
