"""``manage.py settlement_integrity``: after a crash (or the chaos test), check that nothing
was lost and nothing done twice.

Waits up to ``--wait`` seconds (a progress line every 10 s) until the chain outbox has no
open submission (queued, signed, submitted or included: each must reach Final or be
rejected), then checks that:

- no settlement instruction was recorded ``settled`` more than once (its event history) and
  each settled one has its settlement height;
- no netting cycle is left ``netting`` or ``settling``;
- every DvP instruction the platform created on chain emitted ``settled`` at most once
  (the Final events of the DvP contract: a second settlement of one obligation would show
  here, and in the balances ``run_scenario`` reconciles).

Prints one summary line and exits 1 (``CommandError``) naming every problem found.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count

from chain.node.client import NodeClient, RpcError
from common.exceptions import ChainUnavailable
from ledger.chain import get_genesis_contracts
from ledger.models import ChainSubmission
from settlement.models import (
    CycleStatus,
    InstructionEvent,
    InstructionStatus,
    NettingCycle,
    SettlementInstruction,
)
from settlement.waiting import Waiter, WaitTimeout, node_heads

#: Events asked of a node at a time while scanning the DvP contract's.
EVENTS_PAGE = 500


def count_open_submissions() -> dict[str, int]:
    """Open chain submissions by status."""
    rows = (
        ChainSubmission.objects.filter(status__in=ChainSubmission.OPEN_STATUSES)
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return {str(status): int(n) for status, n in rows}


def find_settled_twice() -> list[str]:
    """Instructions with more than one ``settled`` event."""
    rows = (
        InstructionEvent.objects.filter(status=InstructionStatus.SETTLED)
        .values("instruction_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    return [str(row["instruction_id"]) for row in rows]


def count_dvp_settlements(urls: list[str], dvp: str) -> Counter[str]:
    """``settled`` events of the DvP contract at or below the Final height, by instruction id
    (the event's first 8 bytes, docs/contracts.md)."""
    counts: Counter[str] = Counter()
    with NodeClient(urls) as client:
        status = client.get_status()
        final_height = int(status.get("final_height", status["head_height"]))
        cursor = 0
        while True:
            page = client.get_events(after=cursor, limit=EVENTS_PAGE)
            for event in page.events:
                if event.height > final_height:
                    return counts
                if event.source == dvp and event.topic == "settled":
                    counts[event.data.removeprefix("0x")[:16]] += 1
            if not page.events or page.next_cursor == cursor:
                return counts
            cursor = page.next_cursor


class Command(BaseCommand):
    help = "Check, after crashes, that no chain submission is open and nothing settled twice."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--wait", type=float, default=300.0, help="seconds to wait for the outbox")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per request drowns the result
        urls = list(settings.GLOAM_NODE_URLS)
        waiter = Waiter(
            say=lambda line: self.stdout.write(f"[{time.monotonic() - started:7.1f} s] {line}"),
            timeout=float(options["wait"]),
            nodes=lambda: node_heads(urls),
        )
        problems: list[str] = []

        def outbox_drained() -> tuple[bool | None, str]:
            open_ = count_open_submissions()
            if not open_:
                return True, "none open"
            return None, ", ".join(f"{n} {status}" for status, n in sorted(open_.items()))

        try:
            waiter.until("the chain outbox to drain (every submission Final or rejected)", outbox_drained)
        except WaitTimeout as exc:
            problems.append(f"submissions left open: {exc.status}")
        twice = find_settled_twice()
        if twice:
            problems.append(f"instructions recorded settled twice: {', '.join(twice)}")
        unheighted = SettlementInstruction.objects.filter(
            status=InstructionStatus.SETTLED, settled_height__isnull=True
        ).count()
        if unheighted:
            problems.append(f"{unheighted} settled instructions without a settlement height")
        stuck = NettingCycle.objects.filter(status__in=[CycleStatus.NETTING, CycleStatus.SETTLING]).count()
        if stuck:
            problems.append(f"{stuck} netting cycles not finished")
        on_chain = 0
        if urls:
            try:
                counts = count_dvp_settlements(urls, get_genesis_contracts()["dvp"])
            except (RpcError, ChainUnavailable) as exc:
                problems.append(f"the DvP contract's events could not be read: {exc}")
            else:
                on_chain = sum(counts.values())
                doubled = sorted(key for key, n in counts.items() if n > 1)
                if doubled:
                    problems.append(f"DvP instructions settled twice on chain: {', '.join(doubled)}")
        settled = SettlementInstruction.objects.filter(status=InstructionStatus.SETTLED).count()
        final = ChainSubmission.objects.filter(status=ChainSubmission.Status.FINAL).count()
        rejected = ChainSubmission.objects.filter(status=ChainSubmission.Status.REJECTED).count()
        summary = (
            f"{settled} instructions settled once each, {on_chain} DvP settlements on chain, "
            f"{final} submissions Final, {rejected} rejected"
        )
        if problems:
            raise CommandError("integrity check failed: " + "; ".join(problems) + f" ({summary})")
        self.stdout.write(f"integrity: ok: {summary}, none open")
