"""Shared runner of the importers: a rich progress bar, one transaction a row, a report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from issuance.importers import ImportOutcome, ImportRejected, ImportRow


def run_import(
    command: BaseCommand,
    rows: Iterable[ImportRow],
    upsert: Callable[[ImportRow], ImportOutcome],
    *,
    what: str,
) -> Counter[ImportOutcome]:
    """Upsert every row with a progress bar on stderr; print each rejected row and a summary."""
    rows = list(rows)
    counts: Counter[ImportOutcome] = Counter()
    rejected: list[tuple[ImportRow, str]] = []
    console = Console(stderr=True)
    with Progress(
        TextColumn(f"Importing {what}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task(what, total=len(rows))
        for row in rows:
            try:
                outcome = upsert(row)
            except ImportRejected as exc:
                outcome = ImportOutcome.REJECTED
                rejected.append((row, str(exc)))
            counts[outcome] += 1
            progress.advance(task)
    for row, reason in rejected:
        command.stdout.write(f"rejected {row.label} {row.key}: {reason}")
    command.stdout.write(
        f"{what}: {len(rows)} rows, {counts[ImportOutcome.CREATED]} created, "
        f"{counts[ImportOutcome.UPDATED]} updated, {counts[ImportOutcome.UNCHANGED]} unchanged, "
        f"{counts[ImportOutcome.REJECTED]} rejected"
    )
    return counts
