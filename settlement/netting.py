"""Netting cycles: matched instructions due by a date, netted multilaterally and settled as
one all-or-nothing DvP batch on chain (docs/settlement.md).

A cycle (:func:`netting_cycle_run`, scheduled at the cut-offs of ``GLOAM_NETTING_CUTOFFS``):

1. takes every matched (or pending, or failed-on-date) pair of instructions due by the cycle
   date; checks each pair with the security token's ``check_transfer`` (the transfer rules)
   and takes out those that fail (pending: compliance, with the rule codes);
2. nets them per participant: one net securities position per (instrument, holder address:
   the client account's) and one net cash position per (currency, broker account); a
   participant whose net debit exceeds its balance on chain is taken out with its
   instructions (pending: lacking securities / lacking cash) and the rest is netted again,
   until everyone left can deliver;
3. turns the net positions into direct legs from net debtors to net creditors and settles
   them as one DvP batch created by the operator's account (``ledger.dvp``: standing approvals
   where allowances are short, ``create``, ``affirm`` by every account that delivers, one
   ``settle_batch``).

The batch settles whole or not at all. If it fails on a leg (``DvpLegFailed``), the
participant of that leg is taken out and a new attempt nets the rest; any other failure
recycles the whole cycle. Instructions become settled only when the batch's block is Final
(the outcome reaches :func:`on_batch_outcome` then). Taken-out instructions are recycled to the
next cycle with their reason; nothing settles twice: an instruction belongs to one cycle at a
time and is settled once.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from celery import current_app
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from chain.node.client import NodeClient, contract_abi
from corporate_actions.models import CorporateAction, CorporateActionStatus
from corporate_actions.services import SPLIT_KINDS
from identity.selectors import operator_chain_account
from issuance.allocation import compute_units
from ledger.chain import get_cash_tokens, get_node_client
from ledger.dvp import DvpFailed, DvpFlow, DvpKinds, DvpLegFailed, DvpOutcome, dvp_batch_start
from ledger.models import ChainAccount, ChainSubmission
from settlement.models import (
    CashLeg,
    CycleStatus,
    InstructionStatus,
    NettingCycle,
    PendingReason,
    SettlementInstruction,
    Side,
)
from settlement.services import instruction_status_record

CENTS = 100
KIND_APPROVE, KIND_CREATE = "netting.approve", "netting.create"
KIND_AFFIRM, KIND_SETTLE = "netting.affirm", "netting.settle"
ELIGIBLE = (InstructionStatus.MATCHED, InstructionStatus.PENDING, InstructionStatus.FAILED)
#: A cycle takes pairs (oldest due first) while they involve at most this many participants
#: (token, address): its net legs are fewer (per token, debtors + creditors − 1), so its batch
#: stays within one ``settle_batch`` (``contract_abi.MAX_BATCH`` instructions of
#: ``contract_abi.MAX_LEGS`` legs) and within ``DVP_SETTLE_BATCH_GAS`` (1,500 legs of about
#: 1.14 million gas: 1.7 billion). The rest waits for the next cycle, which starts as soon as
#: this one settles.
MAX_CYCLE_PARTICIPANTS = 1_500


@dataclass(frozen=True)
class Pair:
    """A matched buy and sell, as the chain sees them."""

    buy: SettlementInstruction
    sell: SettlementInstruction
    token: str
    """The security token (0x id)."""
    cash: str
    """The cash token in the instrument's currency (0x id)."""
    currency: str
    """That currency (ISO 4217)."""
    units: int
    cents: int
    seller: str
    """Address hex of the seller's client account (delivers the securities)."""
    buyer: str
    payer: str
    """Address hex of the buyer's broker (pays the cash)."""
    payee: str


def _address(account: ChainAccount) -> str:
    return account.address.hex()


def compute_pairs(instructions: Iterable[SettlementInstruction]) -> list[Pair]:
    cash_tokens = get_cash_tokens()
    by_id = {i.pk: i for i in instructions}
    # every chain address in two queries, not four a pair (a cycle can hold thousands)
    clients = {
        a.client_account_id: _address(a)
        for a in ChainAccount.objects.filter(client_account__in={i.client_account_id for i in by_id.values()})
    }
    brokers = {
        a.organisation_id: _address(a)
        for a in ChainAccount.objects.filter(organisation__in={i.broker_id for i in by_id.values()})
    }
    pairs = []
    for instruction in by_id.values():
        other = None if instruction.matched_with_id is None else by_id.get(instruction.matched_with_id)
        if instruction.side != Side.BUY or other is None:
            continue
        buy, sell = instruction, other
        pairs.append(
            Pair(
                buy=buy,
                sell=sell,
                token=buy.instrument.contract_id,
                cash=cash_tokens[buy.currency],
                currency=buy.currency,
                units=compute_units(buy.instrument, buy.quantity),
                cents=int(buy.settlement_amount * CENTS),
                seller=clients[sell.client_account_id],
                buyer=clients[buy.client_account_id],
                payer=brokers[buy.broker_id],
                payee=brokers[sell.broker_id],
            )
        )
    return pairs


def select_cycle_pairs(
    pairs: Sequence[Pair], max_participants: int = MAX_CYCLE_PARTICIPANTS
) -> tuple[list[Pair], list[Pair]]:
    """(taken, left): the pairs, in the given order, while their participants — (security
    token, seller), (security token, buyer), (cash token, paying broker), (cash token, paid
    broker) — number at most ``max_participants``; the first pair that would exceed it and
    every later one are left for the next cycle (first in, first settled)."""
    seen: set[tuple[str, str]] = set()
    for index, pair in enumerate(pairs):
        mine = {
            (pair.token, pair.seller),
            (pair.token, pair.buyer),
            (pair.cash, pair.payer),
            (pair.cash, pair.payee),
        }
        if len(seen | mine) > max_participants:
            return list(pairs[:index]), list(pairs[index:])
        seen |= mine
    return list(pairs), []


def compute_net_positions(pairs: Iterable[Pair]) -> dict[tuple[str, str], int]:
    """(token, address) → net position in base units (negative: owes), securities and cash."""
    net: dict[tuple[str, str], int] = defaultdict(int)
    for p in pairs:
        net[(p.token, p.seller)] -= p.units
        net[(p.token, p.buyer)] += p.units
        net[(p.cash, p.payer)] -= p.cents
        net[(p.cash, p.payee)] += p.cents
    return {key: value for key, value in net.items() if value}


def compute_net_legs(net: dict[tuple[str, str], int]) -> list[tuple[str, str, str, int]]:
    """Direct legs (token, from, to, amount) that settle ``net``: per token, net debtors pay
    net creditors in address order, greedily (at most debtors + creditors − 1 legs)."""
    legs = []
    for token in sorted({t for t, _ in net}):
        debtors = sorted((a, -v) for (t, a), v in net.items() if t == token and v < 0)
        creditors = sorted((a, v) for (t, a), v in net.items() if t == token and v > 0)
        i = j = 0
        while i < len(debtors) and j < len(creditors):
            amount = min(debtors[i][1], creditors[j][1])
            legs.append((token, debtors[i][0], creditors[j][0], amount))
            debtors[i] = (debtors[i][0], debtors[i][1] - amount)
            creditors[j] = (creditors[j][0], creditors[j][1] - amount)
            i += debtors[i][1] == 0
            j += creditors[j][1] == 0
    return legs


def compute_report(pairs: list[Pair], legs: list[tuple[str, str, str, int]]) -> dict[str, Any]:
    """Gross versus net obligations and the netting efficiency (1 − net ÷ gross, in percent):
    cash per currency (``cash``: ISO 4217 code → ``gross_cents``, ``net_cents``,
    ``efficiency_percent``; amounts of different currencies are never added), securities in
    units."""
    currency_of = {p.cash: p.currency for p in pairs}
    gross_cash: dict[str, int] = defaultdict(int)
    net_cash: dict[str, int] = defaultdict(int)
    for p in pairs:
        gross_cash[p.currency] += p.cents
    for token, _, _, amount in legs:
        if token in currency_of:
            net_cash[currency_of[token]] += amount
    gross_units = sum(p.units for p in pairs)
    net_units = sum(amount for token, _, _, amount in legs if token not in currency_of)

    def efficiency(gross: int, net: int) -> str:
        return "0" if gross == 0 else str((Decimal(100) * (gross - net) / gross).quantize(Decimal("0.01")))

    return {
        "instructions": 2 * len(pairs),
        "cash": {
            currency: {
                "gross_cents": gross_cash[currency],
                "net_cents": net_cash[currency],
                "efficiency_percent": efficiency(gross_cash[currency], net_cash[currency]),
            }
            for currency in sorted(gross_cash)
        },
        "gross_securities_units": gross_units,
        "net_securities_units": net_units,
        "securities_efficiency_percent": efficiency(gross_units, net_units),
        "legs": len(legs),
    }


def operator_account() -> ChainAccount:
    account = operator_chain_account()
    if account is None:
        raise RuntimeError("netting needs the operator's chain account (it creates and settles batches)")
    return account


def due_instructions(*, cycle_date: datetime.date, cash_leg: str) -> QuerySet[SettlementInstruction]:
    """The matched (or pending, or failed) instructions with ``cash_leg`` due by ``cycle_date``
    that are in no cycle, locked (``select_for_update``, to be evaluated in the caller's
    transaction), without those of an instrument whose split is on its way to the chain."""
    return (
        SettlementInstruction.objects.select_for_update(of=("self",))
        .select_related("instrument", "client_account", "broker", "created_by")
        .filter(
            status__in=ELIGIBLE,
            cycle__isnull=True,
            intended_settlement_date__lte=cycle_date,
            cash_leg=cash_leg,
        )
        .exclude(matched_with__isnull=True)
        .exclude(instrument_id__in=splitting_instruments())
    )


def netting_cycle_run(*, cycle_date: datetime.date) -> NettingCycle | None:
    """Start a cycle over the matched instructions due by ``cycle_date`` that are in no
    cycle; ``None`` if there are none. The rest happens in the outbox's handlers."""
    with transaction.atomic():
        # shielded pairs settle gross (settlement.shielded_dvp)
        instructions = list(due_instructions(cycle_date=cycle_date, cash_leg=CashLeg.PUBLIC))
        # newly matched first, then those a cycle took out before (pending, failed), each by
        # due date: a backlog that keeps failing cannot fill every capped cycle
        ordered = sorted(
            compute_pairs(instructions),
            key=lambda p: (
                p.buy.status != InstructionStatus.MATCHED,
                p.buy.intended_settlement_date,
                p.buy.created_at,
                p.buy.pk,
            ),
        )
        pairs, left = select_cycle_pairs(ordered)
        if not pairs:
            return None
        cycle = NettingCycle.objects.create(cycle_date=cycle_date, report={"left_for_next_cycle": len(left)})
        for pair in pairs:
            for instruction in (pair.buy, pair.sell):
                instruction_status_record(
                    instruction,
                    InstructionStatus.PENDING,
                    f"in netting cycle {cycle.pk}",
                    cycle=cycle,
                    pending_reason="",
                )
        with get_node_client() as client:
            _prepare_attempt(cycle, pairs, client)
        return cycle


def splitting_instruments() -> QuerySet[CorporateAction, Any]:
    """Instruments whose split is on its way to the chain (``recording``): their instructions,
    in units before the split, wait (the split cancels them; docs/corporate-actions.md)."""
    return CorporateAction.objects.filter(
        kind__in=SPLIT_KINDS,
        status=CorporateActionStatus.RECORDING,
    ).values("instrument_id")


def _query_u64(client: NodeClient, token: str, fn: str, args: bytes, cache: dict[Any, int]) -> int:
    key = (token, fn, args)
    if key not in cache:
        cache[key] = contract_abi.decode_u64(client.query_contract(token, fn, args))
    return cache[key]


def exclude_pair(pair: Pair, reason: str, detail: str, excluded: list[dict[str, str]]) -> None:
    for instruction in (pair.buy, pair.sell):
        instruction_status_record(
            instruction,
            InstructionStatus.PENDING,
            detail,
            cycle=None,
            pending_reason=reason,
        )
        excluded.append(
            {
                "reference": instruction.reference,
                "broker": instruction.broker.lei,
                "reason": reason,
                "detail": detail,
            }
        )


def compute_rule_codes(pair: Pair, client: NodeClient) -> list[contract_abi.TransferCode]:
    """The transfer rules the pair's delivery breaks, as the security token's ``check_transfer``
    answers now (a short balance is not a rule: netting may cover it)."""
    args = bytes.fromhex(pair.seller) + bytes.fromhex(pair.buyer) + pair.units.to_bytes(8, "little")
    codes = contract_abi.decode_codes(client.query_contract(pair.token, "check_transfer", args))
    return [c for c in codes if c != contract_abi.TransferCode.INSUFFICIENT_BALANCE]


def _prepare_attempt(cycle: NettingCycle, pairs: list[Pair], client: NodeClient) -> None:
    excluded: list[dict[str, str]] = list(cycle.excluded)
    remaining = []
    for pair in pairs:
        rules = compute_rule_codes(pair, client)
        if rules:
            detail = "rules: " + ", ".join(c.code for c in rules)
            exclude_pair(pair, PendingReason.COMPLIANCE, detail, excluded)
        else:
            remaining.append(pair)
    cache: dict[Any, int] = {}
    while True:  # take out whoever cannot cover its net debit, and net the rest again
        net = compute_net_positions(remaining)
        short = {
            (token, address)
            for (token, address), position in net.items()
            if position < 0
            and _query_u64(client, token, "balance_of", bytes.fromhex(address), cache) < -position
        }
        if not short:
            break
        kept = []
        for pair in remaining:
            if (pair.token, pair.seller) in short:
                exclude_pair(
                    pair,
                    PendingReason.LACKING_SECURITIES,
                    "the seller's net delivery exceeds its holding",
                    excluded,
                )
            elif (pair.cash, pair.payer) in short:
                exclude_pair(
                    pair,
                    PendingReason.LACKING_CASH,
                    "the buyer's broker's net payment exceeds its cash",
                    excluded,
                )
            else:
                kept.append(pair)
        remaining = kept
    cycle.excluded = excluded
    if not remaining:
        cycle.status = CycleStatus.FAILED
        cycle.report = {"instructions": 0, "excluded": len(excluded)}
        cycle.save()
        return
    legs = compute_net_legs(compute_net_positions(remaining))
    cycle.plan = {
        "attempt": cycle.attempt,
        "pairs": [[str(p.buy.pk), str(p.sell.pk)] for p in remaining],
        "cash_tokens": sorted({p.cash for p in remaining}),
    }
    dvp_batch_start(
        flow=NETTING_FLOW,
        subject=cycle,
        creator=operator_account(),
        legs=[
            contract_abi.Leg(bytes.fromhex(t.removeprefix("0x")), bytes.fromhex(f), bytes.fromhex(to), amount)
            for t, f, to, amount in legs
        ],
        client=client,
    )
    cycle.report = {
        **compute_report(remaining, legs),
        "left_for_next_cycle": cycle.report.get("left_for_next_cycle", 0),
    }
    cycle.status = CycleStatus.SETTLING
    cycle.save()


# -- the batch's outcome (ledger.dvp): once, when the settle_batch is Final or a step failed --
def settling_cycle_lock(submission: ChainSubmission) -> NettingCycle | None:
    """The submission's cycle, locked, while it is settling; else ``None``."""
    cycle = NettingCycle.objects.select_for_update().filter(pk=submission.subject_id).first()
    if cycle is None or cycle.status != CycleStatus.SETTLING:
        return None
    return cycle


def _recycle_all(cycle: NettingCycle, reason: str) -> None:
    for instruction in SettlementInstruction.objects.select_for_update().filter(cycle=cycle):
        instruction_status_record(instruction, InstructionStatus.PENDING, reason, cycle=None)
    cycle.status = CycleStatus.FAILED
    cycle.report = {**cycle.report, "failure": reason}
    cycle.save()


FAILURES = {
    "create": "DvP instruction not created",
    "affirm": "affirmation failed",
    "settle": "batch failed",
}


def on_batch_outcome(cycle: NettingCycle, outcome: DvpOutcome) -> None:
    """The cycle's batch settled (its instructions are settled at the batch's height and
    position; a capped cycle's rest is netted at once), failed on a leg (that participant is
    taken out and the rest netted again) or failed otherwise (every instruction recycled)."""
    if isinstance(outcome, DvpLegFailed):
        _retry_without(cycle, "0x" + outcome.token.hex(), outcome.sender.hex(), outcome.code)
        return
    if isinstance(outcome, DvpFailed):
        _recycle_all(cycle, f"{FAILURES[outcome.step]}: {outcome.error}")
        return
    now = timezone.now()
    for instruction in SettlementInstruction.objects.select_for_update().filter(cycle=cycle):
        instruction_status_record(
            instruction,
            InstructionStatus.SETTLED,
            f"settled in cycle {cycle.pk} at height {outcome.height}",
            pending_reason="",
            settled_height=outcome.height,
            settled_tx_index=outcome.tx_index,
            settled_at=now,
        )
    cycle.status, cycle.settled_height, cycle.settled_at = CycleStatus.SETTLED, outcome.height, now
    cycle.save()
    if cycle.report.get("left_for_next_cycle"):
        # the cycle was capped (MAX_CYCLE_PARTICIPANTS): net the rest now, not at the next cut-off
        cycle_date = cycle.cycle_date
        transaction.on_commit(
            lambda: current_app.send_task(
                "settlement.tasks.netting_cycle", kwargs={"cycle_date": str(cycle_date)}
            )
        )


def _retry_without(cycle: NettingCycle, token: str, sender: str, code: contract_abi.TransferCode) -> None:
    """The batch failed on ``sender``'s leg of ``token``: take that participant's pairs out
    (with the code) and net the rest again in a new attempt."""
    cash_tokens = set(cycle.plan["cash_tokens"])
    pair_ids = {i for pair in cycle.plan["pairs"] for i in pair}
    instructions = list(
        SettlementInstruction.objects.select_for_update(of=("self",))
        .select_related("instrument", "client_account", "broker")
        .filter(pk__in=pair_ids)
    )
    pairs = compute_pairs(instructions)
    excluded = list(cycle.excluded)
    kept = []
    for pair in pairs:
        if token in cash_tokens and pair.cash == token and pair.payer == sender:
            exclude_pair(pair, PendingReason.LACKING_CASH, f"batch failed: {code.code}", excluded)
        elif token not in cash_tokens and pair.token == token and pair.seller == sender:
            reason = (
                PendingReason.LACKING_SECURITIES
                if code == contract_abi.TransferCode.INSUFFICIENT_BALANCE
                else PendingReason.COMPLIANCE
            )
            exclude_pair(pair, reason, f"batch failed: {code.code}", excluded)
        else:
            kept.append(pair)
    cycle.excluded = excluded
    cycle.attempt += 1
    with get_node_client() as client:
        _prepare_attempt(cycle, kept, client)


NETTING_FLOW = DvpFlow(
    kinds=DvpKinds(approve=KIND_APPROVE, create=KIND_CREATE, affirm=KIND_AFFIRM, settle=KIND_SETTLE),
    lock=settling_cycle_lock,
    on_outcome=on_batch_outcome,
)
OUTCOME_HANDLERS = NETTING_FLOW.outcome_handlers()
