"""The chain indexer: follows the nodes' event feed from a stored cursor and applies the
events of **Final** blocks to the read models (DESIGN.md: the chain is the source of truth,
Postgres holds read models built from Final blocks).

Exactly once: a page of events and the cursor that follows it are written in one database
transaction, so a crash repeats nothing and loses nothing. Only events at or below the Final
height are read: above it a block may still be reverted and its event sequence numbers
reused (reference §1.7; ``Node.get_events``), below it never.

Token events (docs/contracts.md): ``issue`` (to ‖ amount), ``redeem`` (from ‖ amount),
``burn`` (holder ‖ amount), ``transfer`` (from ‖ to ‖ amount), ``forced_transfer`` (from ‖ to
‖ amount ‖ reason), ``mint`` (cash: to ‖ amount) and the cash tokens' ``burn`` (from ‖
amount), from the contracts the platform knows: the genesis cash tokens and the token
contracts of the sources registered with :func:`register_token_source` (issuance registers
every instrument's security token from its ``ready()``). A security token's ``split``
(checkpoint ‖ n ‖ d ‖ ...) sets every holding of the token to ⌊balance × n / d⌋, the same
integer arithmetic as the contract's (docs/contracts.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from chain.node.client import ChainEvent, NodeClient
from ledger.chain import get_cash_tokens, get_node_client
from ledger.models import HOLDINGS_CURSOR, ChainCursor, TokenHolding

PAGE = 500
ADDRESS = 49
#: topic → (offset of the debited Address or None, offset of the credited one or None, offset of the amount)
MOVES: dict[str, tuple[int | None, int | None, int]] = {
    "issue": (None, 0, ADDRESS),
    "mint": (None, 0, ADDRESS),
    "redeem": (0, None, ADDRESS),
    "burn": (0, None, ADDRESS),
    "transfer": (0, ADDRESS, 2 * ADDRESS),
    "forced_transfer": (0, ADDRESS, 2 * ADDRESS),
}

TokenSource = Callable[[], Iterable[str]]
_token_sources: dict[str, TokenSource] = {}


def register_token_source(name: str, source: TokenSource) -> None:
    """Have the indexer follow the token contracts ``source()`` returns (0x ids), asked
    afresh at each run, besides the genesis cash tokens. Register from an app's ``ready()``;
    registering ``name`` again replaces its source."""
    _token_sources[name] = source


def get_final_height(client: NodeClient) -> int:
    """The highest Final height the node knows (its head under a single authority)."""
    status = client.get_status()
    consensus = status.get("consensus")
    if isinstance(consensus, dict) and "final_height" in consensus:
        return int(consensus["final_height"])
    return int(status["head_height"])


def index_final_events(*, max_pages: int = 20) -> dict[str, int]:
    """Apply the Final events after the cursor, a page at a time; returns how many events
    were read and applied, and the heights reached."""
    read = applied = 0
    with get_node_client() as client:
        final_height = get_final_height(client)
        tokens = get_known_tokens()
        for _ in range(max_pages):
            cursor, _ = ChainCursor.objects.get_or_create(name=HOLDINGS_CURSOR)
            page = client.get_events(after=cursor.sequence, limit=PAGE)
            events = [e for e in page.events if e.height <= final_height]
            if not events:
                ChainCursor.objects.filter(name=HOLDINGS_CURSOR).update(final_height=final_height)
                break
            applied += apply_events_page(events, tokens, final_height)
            read += len(events)
            if len(events) < len(page.events) or len(page.events) < PAGE:
                break
    cursor = ChainCursor.objects.get(name=HOLDINGS_CURSOR)
    return {"read": read, "applied": applied, "height": cursor.height, "final_height": final_height}


def get_known_tokens() -> set[str]:
    """The token contracts whose events the indexer applies: the genesis cash tokens and
    those of the registered sources. Raises ``ChainUnavailable`` if no node answers."""
    known = set(get_cash_tokens().values())
    for source in _token_sources.values():
        known.update(source())
    return known


@transaction.atomic
def apply_events_page(events: Iterable[ChainEvent], tokens: set[str], final_height: int) -> int:
    """Apply one page of Final events of ``tokens`` to the holdings and move the cursor past
    the page, in one transaction; returns how many events changed holdings. Events at or
    before the cursor are skipped (another indexer applied them first)."""
    cursor = ChainCursor.objects.select_for_update().get(name=HOLDINGS_CURSOR)
    applied = 0
    now = timezone.now()
    last: ChainEvent | None = None
    for event in events:
        last = event
        if event.sequence <= cursor.sequence:
            continue  # another indexer applied it first
        if event.topic == "split" and event.source in tokens:
            _split(event, now)
            applied += 1
            continue
        move = MOVES.get(event.topic)
        if move is None or event.source not in tokens:
            continue
        data = bytes.fromhex(event.data.removeprefix("0x"))
        debit, credit, amount_at = move
        if len(data) < amount_at + 8:
            continue
        amount = Decimal(int.from_bytes(data[amount_at : amount_at + 8], "little"))
        for offset, sign in ((debit, -1), (credit, 1)):
            if offset is not None:
                _add(event, data[offset : offset + ADDRESS].hex(), sign * amount, now)
        applied += 1
    if last is not None and last.sequence > cursor.sequence:
        cursor.sequence, cursor.height, cursor.final_height = last.sequence, last.height, final_height
        cursor.save()
    return applied


def _split(event: ChainEvent, now: datetime) -> None:
    data = bytes.fromhex(event.data.removeprefix("0x"))
    numerator, denominator = int.from_bytes(data[4:8], "little"), int.from_bytes(data[8:12], "little")
    for holding in TokenHolding.objects.select_for_update().filter(contract=event.source, balance__gt=0):
        holding.balance = Decimal(int(holding.balance) * numerator // denominator)
        holding.last_height, holding.last_tx_id, holding.last_changed_at = event.height, event.tx_id, now
        holding.save()


def _add(event: ChainEvent, holder: str, amount: Decimal, now: datetime) -> None:
    holding, _ = TokenHolding.objects.select_for_update().get_or_create(
        contract=event.source,
        holder=holder,
        defaults={
            "balance": Decimal(0),
            "last_height": event.height,
            "last_tx_id": event.tx_id,
            "last_changed_at": now,
        },
    )
    holding.balance += amount
    holding.last_height, holding.last_tx_id, holding.last_changed_at = event.height, event.tx_id, now
    holding.save()
