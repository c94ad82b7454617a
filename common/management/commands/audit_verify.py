"""``manage.py audit_verify``: recompute the audit trail's hash chain; exit 1 if broken."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from common.services import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain: any edited, inserted or deleted entry is found."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_chain_verify()
        if report.broken_at is not None:
            raise CommandError(f"audit chain broken at entry {report.broken_at}: {report.reason}")
        self.stdout.write(f"audit chain intact: {report.entries} entries, head {report.head_hash}")
