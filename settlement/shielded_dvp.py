"""DvP against shielded cash in the settlement workflow (docs/settlement.md "Shielded DvP",
docs/zk.md "DvP against shielded cash").

Two brokers who both instruct ``cash_leg: shielded`` (a matching field) settle their trade's
cash as a Phoenix payment of the buyer's broker's shielded cash, not as a cash-token leg. Such a
pair is not netted (the payment is one note of the gross amount): at each cut-off
(:func:`shielded_cycles_run`, beside the netting cycle) every due shielded pair gets a cycle of
its own (``NettingCycle.cash_leg = shielded``), settled by the one DvP workflow
(``ledger.dvp``, flow :data:`SHIELDED_DVP_FLOW`):

1. checks as netting does: the token's transfer rules (pending: compliance), the seller's
   holding (lacking securities) and the buyer's broker's unspent shielded notes, one or two of
   which must cover the amount (lacking cash);
2. the seller's wallet chooses the note it will receive (``phoenix_wallet.choose_payment_note``
   to the seller's broker's Phoenix key); the ``ShieldedTransfer`` of kind ``dvp`` (the buyer's
   broker's, ``waiting``) keeps its value, ``r`` and blinder encrypted (``payment_note``);
3. the operator creates the DvP instruction of the security leg and binds it to that note;
   the seller's client account affirms it;
4. once both are Final (``pay``): the buyer's notes are reserved and the payment (output 0 =
   the chosen note, version 2 naming the instruction) is built and its proof requested;
5. when the proving worker finishes (:func:`on_proof_job_finished`), the proof is queued as
   the buyer's broker's proven ``phoenix.transfer`` (the flow's settle kind) and named as the
   batch's payment (``ledger.dvp.dvp_payment_record``); the phoenix contract calls
   ``dvp.settle_shielded`` in the same call, so the securities move with the note or nothing
   moves;
6. outcome (:func:`on_outcome`): Final and successful → both instructions settled at its
   height (``settlement.netting.on_batch_outcome``) and the transfer ``final``; any failure
   (a proof that failed, a refused or reverted payment) → the transfer ``failed`` with its
   notes released, and both instructions recycled to the next cut-off, where a new note and a
   new instruction are chosen.

Once and only once: the payment's proof names the instruction, which settles once on chain
(``already_settled``); an abandoned instruction stays bound to a note nobody else can make.
"""

from __future__ import annotations

import datetime
import json

from django.db import transaction

from chain.node.client import NodeClient, contract_abi, phoenix_wallet
from common.exceptions import ApplicationError, ChainUnavailable
from ledger.chain import get_genesis_contracts, get_node_client
from ledger.dvp import (
    DvpFailed,
    DvpFlow,
    DvpKinds,
    DvpOutcome,
    DvpSettled,
    dvp_batch_start,
    dvp_payment_fail,
    dvp_payment_record,
)
from ledger.models import PhoenixKey, ShieldedNote
from ledger.phoenix import phoenix_key_get_or_create
from proving.models import ProofJob
from settlement import netting
from settlement.models import (
    CashLeg,
    CycleStatus,
    InstructionStatus,
    NettingCycle,
    PendingReason,
    ShieldedTransfer,
)
from settlement.services import instruction_status_record
from settlement.shielded import (
    prove_spend,
    proven_transfer_enqueue,
    select_notes,
    shielded_transfer_fail,
)

KIND_APPROVE, KIND_CREATE = "shielded_dvp.approve", "shielded_dvp.create"
KIND_AFFIRM, KIND_PAY = "shielded_dvp.affirm", "shielded_dvp.pay"
Status = ShieldedTransfer.Status


def _payment_covered(key: PhoenixKey | None, cents: int) -> bool:
    if key is None:
        return False
    notes = ShieldedNote.objects.filter(key=key, status=ShieldedNote.Status.UNSPENT)
    return select_notes(list(notes.values_list("position", "value")), cents) is not None


def _balance(client: NodeClient, token: str, address: str) -> int:
    return contract_abi.decode_u64(client.query_contract(token, "balance_of", bytes.fromhex(address)))


def shielded_cycles_run(*, cycle_date: datetime.date) -> list[NettingCycle]:
    """Start a cycle for each matched shielded pair due by ``cycle_date`` in no cycle (module
    docstring); returns the cycles that settle (a pair that fails a check is pending with
    its reason, and gets no cycle)."""
    with transaction.atomic():
        instructions = list(
            netting.due_instructions(cycle_date=cycle_date, cash_leg=CashLeg.SHIELDED).order_by(
                "intended_settlement_date", "created_at"
            )
        )
        pairs = netting.compute_pairs(instructions)
        if not pairs:
            return []
        started = []
        with get_node_client() as client:
            for pair in pairs:
                cycle = _start(pair, cycle_date, client)
                if cycle is not None:
                    started.append(cycle)
        return started


def _start(pair: netting.Pair, cycle_date: datetime.date, client: NodeClient) -> NettingCycle | None:
    excluded: list[dict[str, str]] = []
    rules = netting.compute_rule_codes(pair, client)
    if rules:
        netting.exclude_pair(
            pair, PendingReason.COMPLIANCE, "rules: " + ", ".join(c.code for c in rules), excluded
        )
        return None
    if _balance(client, pair.token, pair.seller) < pair.units:
        netting.exclude_pair(
            pair, PendingReason.LACKING_SECURITIES, "the seller's delivery exceeds its holding", excluded
        )
        return None
    buyer_key = PhoenixKey.objects.filter(organisation=pair.buy.broker).first()
    if not _payment_covered(buyer_key, pair.cents):
        netting.exclude_pair(
            pair,
            PendingReason.LACKING_CASH,
            "the buyer's broker's shielded cash does not cover the payment in one or two notes",
            excluded,
        )
        return None
    seller_key = phoenix_key_get_or_create(organisation_id=pair.sell.broker_id)
    note = phoenix_wallet.choose_payment_note(
        receiver_public_key=bytes.fromhex(seller_key.public_key.removeprefix("0x")), value=pair.cents
    )
    cycle = NettingCycle.objects.create(cycle_date=cycle_date, cash_leg=CashLeg.SHIELDED)
    for instruction in (pair.buy, pair.sell):
        instruction_status_record(
            instruction,
            InstructionStatus.PENDING,
            f"in shielded DvP cycle {cycle.pk}",
            cycle=cycle,
            pending_reason="",
        )
    ShieldedTransfer.objects.create(
        organisation=pair.buy.broker,
        receiver=pair.sell.broker,
        requested_by=pair.buy.created_by,
        kind=ShieldedTransfer.Kind.DVP,
        amount=pair.buy.settlement_amount,
        currency=pair.currency,
        status=Status.WAITING,
        cycle=cycle,
        payment_note=json.dumps({"value": note.value, "r": str(note.r), "blinder": str(note.blinder)}),
    )
    leg = contract_abi.Leg(
        bytes.fromhex(pair.token.removeprefix("0x")),
        bytes.fromhex(pair.seller),
        bytes.fromhex(pair.buyer),
        pair.units,
    )
    cycle.plan = {"attempt": 1, "pairs": [[str(pair.buy.pk), str(pair.sell.pk)]], "cash_tokens": [pair.cash]}
    dvp_batch_start(
        flow=SHIELDED_DVP_FLOW,
        subject=cycle,
        creator=netting.operator_account(),
        legs=[leg],
        client=client,
        payment=note.fields,
    )
    cycle.report = {
        **netting.compute_report([pair], [(pair.token, pair.seller, pair.buyer, pair.units)]),
        "cash": {
            pair.currency: {
                "gross_cents": pair.cents,
                "net_cents": pair.cents,
                "efficiency_percent": "0",
            }
        },
        "cash_leg": CashLeg.SHIELDED,
    }
    cycle.status = CycleStatus.SETTLING
    cycle.save()
    return cycle


def _payment(cycle: NettingCycle, *statuses: str) -> ShieldedTransfer | None:
    return (
        ShieldedTransfer.objects.select_for_update(of=("self",))
        .select_related("organisation", "receiver", "requested_by")
        .filter(cycle=cycle, kind=ShieldedTransfer.Kind.DVP, status__in=statuses)
        .first()
    )


def _pay(cycle: NettingCycle, instruction_id: int) -> None:
    """``ledger.dvp``'s ``pay``: the instruction is bound and affirmed (Final); build the
    buyer's payment and request its proof. A payment that cannot be built (the notes are gone,
    the wallet refuses) fails the batch; a chain that does not answer raises, so the outbox
    runs this again."""
    transfer = _payment(cycle, Status.WAITING)
    if transfer is None:
        dvp_payment_fail(SHIELDED_DVP_FLOW, cycle, "the payment is no longer waiting")
        return
    chosen = json.loads(transfer.payment_note)
    assert transfer.receiver_id is not None  # noqa: S101 - a DvP payment has its seller's broker
    seller_key = phoenix_key_get_or_create(organisation_id=transfer.receiver_id)
    payment = phoenix_wallet.PaymentNote(
        int(chosen["value"]), int(chosen["r"]), int(chosen["blinder"]), bytes.fromhex(cycle.plan["payment"])
    )
    buyer_key = PhoenixKey.objects.filter(organisation=transfer.organisation).first()
    dvp_contract = get_genesis_contracts()["dvp"]
    try:
        with transaction.atomic():
            if buyer_key is None:
                raise ApplicationError("no Phoenix key", code="insufficient_shielded_cash")
            prove_spend(
                transfer,
                actor=transfer.requested_by,
                key=buyer_key,
                receiver_public_key=bytes.fromhex(seller_key.public_key.removeprefix("0x")),
                amount=int(chosen["value"]),
                payment=payment,
                dvp=(dvp_contract, instruction_id),
            )
    except ChainUnavailable:
        raise  # the outbox runs the handler again
    except ApplicationError as exc:
        shielded_transfer_fail(transfer, exc.code)
        dvp_payment_fail(SHIELDED_DVP_FLOW, cycle, exc.code)


def on_proof_job_finished(job: ProofJob) -> None:
    """``proving.hooks`` handler for DvP payments: a done proof is queued as the buyer's
    broker's proven ``phoenix.transfer`` and named as the batch's payment; a failed one fails
    the transfer and the batch."""
    found = ShieldedTransfer.objects.filter(
        proof_job_id=job.pk, kind=ShieldedTransfer.Kind.DVP, status=Status.PROVING
    ).first()
    if found is None or found.cycle_id is None:
        return
    cycle = NettingCycle.objects.select_for_update().get(pk=found.cycle_id)
    transfer = _payment(cycle, Status.PROVING)
    if transfer is None or cycle.status != CycleStatus.SETTLING:
        return
    error = proven_transfer_enqueue(transfer, job, kind=KIND_PAY, subject=cycle)
    if error is None:
        assert transfer.submission is not None  # noqa: S101 - queued
        dvp_payment_record(cycle, transfer.submission)
        return
    shielded_transfer_fail(transfer, error)
    dvp_payment_fail(SHIELDED_DVP_FLOW, cycle, error)


def on_outcome(cycle: NettingCycle, outcome: DvpOutcome) -> None:
    """The batch's outcome (``ledger.dvp``): the payment transfer becomes ``final`` or
    ``failed`` (notes released), then the instructions settle or are recycled as a netting
    cycle's (``netting.on_batch_outcome``)."""
    transfer = _payment(cycle, Status.WAITING, Status.PROVING, Status.SUBMITTED)
    if transfer is not None:
        if isinstance(outcome, DvpSettled):
            transfer.status = Status.FINAL
            transfer.save(update_fields=["status", "updated_at"])
        else:
            error = outcome.error if isinstance(outcome, DvpFailed) else outcome.code.code
            shielded_transfer_fail(transfer, error)
    netting.on_batch_outcome(cycle, outcome)


SHIELDED_DVP_FLOW = DvpFlow(
    kinds=DvpKinds(approve=KIND_APPROVE, create=KIND_CREATE, affirm=KIND_AFFIRM, settle=KIND_PAY),
    lock=netting.settling_cycle_lock,
    on_outcome=on_outcome,
    pay=_pay,
)
OUTCOME_HANDLERS = SHIELDED_DVP_FLOW.outcome_handlers()

__all__ = [
    "OUTCOME_HANDLERS",
    "SHIELDED_DVP_FLOW",
    "on_outcome",
    "on_proof_job_finished",
    "shielded_cycles_run",
]
