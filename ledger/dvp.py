"""The one DvP batch workflow (DESIGN.md, "one owner per rule"): the chain mechanics of
settling legs delivery versus payment with the genesis DvP contract (docs/contracts.md), for
netting cycles, primary allocations and corporate action payments.

An owner describes its flow once (:class:`DvpFlow`: its submission kinds and callbacks),
registers ``flow.outcome_handlers()`` with the outbox from its ``AppConfig.ready`` and starts a
batch with :func:`dvp_batch_start` in the transaction of its business change. Then, through
the outbox (``ledger.outbox``), each step queued by the outcome handler of the one before:

1. **approve**: for each (token, sender) of the legs whose allowance to the DvP contract on
   chain is below what the batch moves, and for which no standing approval is already queued,
   the sender approves ``MAX_ALLOWANCE``. A standing approval is safe: the DvP contract moves
   nothing its sender has not affirmed, in an instruction only its creator settles.
2. **create**: the legs, in order, in DvP instructions of at most ``contract_abi.MAX_LEGS``
   legs, at most ``contract_abi.MAX_BATCH`` of them (one ``settle_batch``), by the creator
   (the settlement agent: the operator for netting, the issuer for allocations and payments).
3. **affirm**: once every ``create`` is Final, each sender of an instruction's legs affirms it
   (ids and legs read from the ``created`` events, ``contract_abi.decode_dvp_created``).
4. **settle**: once every affirmation is Final, the creator settles every instruction in one
   ``settle_batch`` (all or nothing).

**A shielded cash leg** (docs/zk.md "DvP against shielded cash"): a batch started with
``payment`` holds one instruction of security legs only, bound to the Phoenix note its payment
must create. In step 3 the creator also binds it (``bind_shielded_cash``, queued with the
affirmations and awaited like one). In step 4, instead of a ``settle_batch``, the owner's
``pay(subject, instruction id)`` starts the payment (a proven Phoenix transfer that settles the
instruction in the same call); the owner names the payment's submission, of the flow's
``settle`` kind, with :func:`dvp_payment_record` when it queues it, and step 5 reads its
receipt as a settle's.
5. **outcome**: when the ``settle_batch`` is Final, or a step failed, the owner's
   ``on_outcome`` gets a :data:`DvpOutcome` once: :class:`DvpSettled` (height and position
   of the transaction), :class:`DvpLegFailed` (the failing leg and its ``TransferCode``, from
   ``settle_failed``) or :class:`DvpFailed` (the step and the chain's or node's error).

**Why each step waits for Finality of the one before.** An affirmation comes from another
account than the settle (every seller and payer of a netting cycle): the chain orders
different accounts' transactions as it likes, so a settle queued at once behind the last
affirmation (``after``) could still be included before the others and fail ``not_affirmed``;
an affirmation that is included but not Final can be reverted and land after the settle; and
a submission queued with ``after`` holds its account's queue (the outbox signs an account's
submissions in nonce order), so every later call of the operator or issuer, such as another
batch or a record checkpoint, would wait behind it. Waiting in the handler instead holds
nothing, spends no gas on a settle that cannot succeed and reports a failed affirmation as
such. Likewise the affirmations wait for every ``create``: if one fails, nobody has
affirmed anything for a batch that will not settle.

**State** is the owner's row (the *subject*, with a ``plan`` JSON field; the owner keeps its
own keys beside these):

- ``instructions``: ``[{"create": <submission id>, "id": <instruction id or null>}, …]``;
- ``affirms``: the affirmation submissions' ids, once queued;
- ``settle``: the ``settle_batch`` submission's id, once queued, else ``null``;
- ``outcome``: ``null`` while the batch runs, then a JSON summary of the outcome.

**Once and only once.** The outbox runs a kind's handler once per submission, in the
transaction that records the submission Final, so a crash rolls both back and the handler runs
again. Each step also checks the plan before it queues anything: the affirmations only when
none are queued, the settle only when none is, the outcome only while none is recorded; a
submission not named in the plan (an earlier attempt's) is ignored. So however often a handler
runs, nothing is created, affirmed or settled twice.

**Upgrade: batches started by the earlier code** (three copies of this workflow) finish.
Submission kinds are unchanged (``netting.*``, ``allocation.*``, ``corporate_action.*``) and
the plan keys are compatible rather than migrated: netting's plans already had these keys;
the owners read an older plan when they lock their row (corporate actions: ``creates`` as
``instructions``; allocations, which had no plan: rebuilt from their submissions). A batch
whose settle the earlier code had already queued finishes with it (an allocation's single
``settle`` emits the same events as a ``settle_batch``).

This module is below the apps that use it: it imports nothing from issuance, settlement,
compliance, corporate actions or frontend (an import-linter contract).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar, cast

from django.db.models import Model

from chain.node.client import NodeClient, RpcError, contract_abi
from common.exceptions import InvalidInput
from ledger.chain import DVP_SETTLE_BATCH_GAS, get_genesis_contracts, get_node_client
from ledger.models import ChainAccount, ChainSubmission
from ledger.outbox import DEFAULT_CALL_GAS, OutcomeHandler, Signer, chain_call_enqueue

__all__ = [
    "MAX_ALLOWANCE",
    "DvpFailed",
    "DvpFlow",
    "DvpKinds",
    "DvpLegFailed",
    "DvpOutcome",
    "DvpSettled",
    "compute_settle_batch_gas",
    "dvp_batch_start",
    "dvp_payment_fail",
    "dvp_payment_record",
]

#: A standing approval (the largest u64 amount).
MAX_ALLOWANCE = 2**64 - 1
DVP_CONTRACT = "genesis:dvp"
Status = ChainSubmission.Status
DvpStep = Literal["create", "affirm", "settle"]


@dataclass(frozen=True, slots=True)
class DvpSettled:
    """Every instruction of the batch settled, in the transaction at ``tx_index`` of the Final
    block ``height``."""

    height: int
    tx_index: int


@dataclass(frozen=True, slots=True)
class DvpLegFailed:
    """The ``settle_batch`` moved nothing: ``leg`` (index ``leg_index``) of instruction
    ``instruction_id``, the first failing one, would fail with ``code``."""

    instruction_id: int
    leg_index: int
    leg: contract_abi.Leg
    code: contract_abi.TransferCode

    @property
    def token(self) -> bytes:
        """The leg's token: a 32-byte contract id."""
        return self.leg.token

    @property
    def sender(self) -> bytes:
        """The leg's sender: a 49-byte account Address."""
        return self.leg.sender


@dataclass(frozen=True, slots=True)
class DvpFailed:
    """A step failed on chain or was refused by the node (``error``: the receipt's error or
    the node's reason); nothing moved."""

    step: DvpStep
    error: str


DvpOutcome = DvpSettled | DvpLegFailed | DvpFailed


class DvpSubject(Protocol):
    """The owner's row a batch belongs to (a netting cycle, an allocation, a corporate
    action): the plan lives in its ``plan`` JSON field."""

    pk: Any
    plan: Any

    def save(self, *args: Any, **kwargs: Any) -> None: ...


S = TypeVar("S", bound=DvpSubject)


@dataclass(frozen=True, slots=True)
class DvpKinds:
    """The outbox kinds of one flow's submissions (e.g. ``netting.create``)."""

    approve: str
    create: str
    affirm: str
    settle: str


@dataclass(frozen=True)
class DvpFlow(Generic[S]):
    """One owner's use of the workflow.

    ``lock(submission)`` returns the submission's subject, locked (``select_for_update``), if
    its batch is still the owner's business (e.g. the cycle is still settling), else ``None``
    (the handler then does nothing). ``on_outcome(subject, outcome)`` runs once per batch, in
    the outbox's transaction; the owner decides what follows (a retry is a new
    :func:`dvp_batch_start` on the same subject). ``on_created(subject, created)`` runs once
    every instruction exists (the ``created`` events, in order), ``on_affirmed(subject)`` once
    every affirmation is Final and the settle is queued. ``pay(subject, instruction id)``
    starts the payment of a batch bound to a shielded cash leg (module docstring), once its
    binding and every affirmation are Final; a flow without it cannot start such a batch."""

    kinds: DvpKinds
    lock: Callable[[ChainSubmission], S | None]
    on_outcome: Callable[[S, DvpOutcome], None]
    on_created: Callable[[S, Sequence[contract_abi.DvpCreated]], None] | None = None
    on_affirmed: Callable[[S], None] | None = None
    pay: Callable[[S, int], None] | None = None

    def outcome_handlers(self) -> dict[str, OutcomeHandler]:
        """Kind → outbox outcome handler of the create, affirm and settle steps (approvals
        have none: a failed one shows as the settle's ``insufficient_allowance``)."""
        return {
            self.kinds.create: lambda submission: _on_created(self, submission),
            self.kinds.affirm: lambda submission: _on_affirmed(self, submission),
            self.kinds.settle: lambda submission: _on_settled(self, submission),
        }


def compute_settle_batch_gas(legs: int) -> int:
    """Gas for a ``settle_batch`` of up to ``legs`` legs: ``DVP_SETTLE_BATCH_GAS`` (sized for a
    full batch, ``MAX_LEGS`` × ``MAX_BATCH`` legs, docs/benchmarks.md) pro rata, at least
    ``DEFAULT_CALL_GAS``. Unused gas is refunded, but the sender must hold the whole limit's
    fee, so a batch of one allocation does not ask for a full batch's."""
    full = contract_abi.MAX_LEGS * contract_abi.MAX_BATCH
    return max(DEFAULT_CALL_GAS, min(DVP_SETTLE_BATCH_GAS, math.ceil(DVP_SETTLE_BATCH_GAS * legs / full)))


# -- start ----------------------------------------------------------------------------------
def dvp_batch_start(
    *,
    flow: DvpFlow[S],
    subject: S,
    creator: Signer,
    legs: Sequence[contract_abi.Leg],
    client: NodeClient | None = None,
    payment: bytes | None = None,
) -> list[ChainSubmission]:
    """Queue a batch of ``legs`` for ``subject`` (in the caller's transaction): the approvals
    its senders lack, then the ``create`` submissions by ``creator``, and write the plan's
    keys (replacing an earlier attempt's). Returns the ``create`` submissions.

    ``payment``: the 128 payment fields of a shielded cash leg
    (``contract_abi.phoenix_payment_fields``); the legs (at most ``MAX_LEGS``, one instruction)
    are then the security legs only and the flow must have ``pay`` (``invalid_legs``
    otherwise).

    ``client`` reads the allowances (else a client of ``GLOAM_NODE_URLS``); an allowance that
    cannot be read counts as short (an extra approval costs gas, a missing one fails the batch).
    Raises ``InvalidInput`` (``invalid_legs``: none, or more than ``MAX_LEGS`` × ``MAX_BATCH``;
    ``no_chain_account``: a sender that is not an account of the platform) or ``AbiError``
    (a leg out of its layout) before anything is queued or written."""
    capacity = contract_abi.MAX_LEGS * contract_abi.MAX_BATCH
    if not 1 <= len(legs) <= capacity:
        raise InvalidInput(f"a DvP batch moves 1 to {capacity} legs, not {len(legs)}", code="invalid_legs")
    if payment is not None and (flow.pay is None or len(legs) > contract_abi.MAX_LEGS or len(payment) != 128):
        raise InvalidInput(
            "a DvP against shielded cash is one instruction of a flow that pays", code="invalid_legs"
        )
    chunks = [legs[i : i + contract_abi.MAX_LEGS] for i in range(0, len(legs), contract_abi.MAX_LEGS)]
    create_args = [contract_abi.encode_dvp_create(chunk) for chunk in chunks]
    senders = _accounts({leg.sender for leg in legs})
    dvp = _dvp_address()
    needed: dict[tuple[bytes, bytes], int] = defaultdict(int)
    for leg in legs:
        needed[(leg.token, leg.sender)] += leg.amount
    if client is None:
        with get_node_client() as own:
            short = _short_allowances(own, needed, dvp)
    else:
        short = _short_allowances(client, needed, dvp)
    for token, sender in short:
        account = senders[sender]
        token_hex = "0x" + token.hex()
        approval = contract_abi.encode_address_amount(dvp, MAX_ALLOWANCE)
        if not ChainSubmission.objects.filter(
            chain_account=account,
            contract=token_hex,
            fn_name="approve",
            fn_args=approval,
            status__in=ChainSubmission.OPEN_STATUSES,
        ).exists():
            chain_call_enqueue(
                organisation=account,
                kind=flow.kinds.approve,
                contract=token_hex,
                fn_name="approve",
                fn_args=approval,
                subject=_model(subject),
            )
    creates = [
        chain_call_enqueue(
            organisation=creator,
            kind=flow.kinds.create,
            contract=DVP_CONTRACT,
            fn_name="create",
            fn_args=args,
            subject=_model(subject),
        )
        for args in create_args
    ]
    subject.plan = {
        **(subject.plan or {}),
        "instructions": [{"create": str(c.pk), "id": None} for c in creates],
        "affirms": [],
        "settle": None,
        "outcome": None,
        "payment": None if payment is None else payment.hex(),
    }
    _save_plan(subject)
    return creates


def _model(subject: DvpSubject) -> Model:
    """The subject as the outbox records it (``subject_type``, ``subject_id``): a model row."""
    return cast(Model, subject)


def _dvp_address() -> bytes:
    return contract_abi.contract_address(bytes.fromhex(get_genesis_contracts()["dvp"].removeprefix("0x")))


def _accounts(addresses: Iterable[bytes]) -> dict[bytes, ChainAccount]:
    """The platform's chain accounts behind account Addresses (tag 0 ‖ key); ``InvalidInput``
    (``no_chain_account``) for one that has none."""
    wanted = set(addresses)
    keys = {"0x" + a[1:].hex(): a for a in wanted if len(a) == contract_abi.ADDRESS_BYTES and a[0] == 0}
    found = {keys[a.public_key.lower()]: a for a in ChainAccount.objects.filter(public_key__in=keys)}
    missing = sorted(a.hex() for a in wanted - found.keys())
    if missing:
        raise InvalidInput(
            "a DvP leg's sender has no chain account on the platform",
            code="no_chain_account",
            details={"senders": missing},
        )
    return found


def _short_allowances(
    client: NodeClient, needed: dict[tuple[bytes, bytes], int], dvp: bytes
) -> list[tuple[bytes, bytes]]:
    short = []
    for (token, sender), amount in sorted(needed.items()):
        try:
            allowance = contract_abi.decode_u64(
                client.query_contract("0x" + token.hex(), "allowance", sender + dvp)
            )
        except (RpcError, contract_abi.AbiError):
            allowance = 0
        if allowance < amount:
            short.append((token, sender))
    return short


def _save_plan(subject: DvpSubject) -> None:
    subject.save(update_fields=["plan", "updated_at"])


# -- the outcome handlers -------------------------------------------------------------------
def _current(flow: DvpFlow[S], submission: ChainSubmission) -> S | None:
    """The submission's subject, if its batch is still open (the owner's ``lock``, and no
    outcome recorded)."""
    subject = flow.lock(submission)
    if subject is None or not isinstance(subject.plan, dict) or subject.plan.get("outcome"):
        return None
    return subject


def _created(plan: dict[str, Any]) -> dict[str, contract_abi.DvpCreated]:
    """Create submission id → its ``created`` event, for those of the plan that have one."""
    ids = [entry["create"] for entry in plan.get("instructions", [])]
    events = {}
    for create in ChainSubmission.objects.filter(pk__in=ids, status=Status.FINAL):
        data = create.event_data("created")
        if create.succeeded and data is not None:
            events[str(create.pk)] = contract_abi.decode_dvp_created(data)
    return events


def _on_created(flow: DvpFlow[S], submission: ChainSubmission) -> None:
    """A ``create`` is Final (or refused): record the instruction id; once every one exists,
    queue each sender's affirmation of each instruction."""
    subject = _current(flow, submission)
    if subject is None:
        return
    plan = subject.plan
    entry = next((e for e in plan.get("instructions", []) if e["create"] == str(submission.pk)), None)
    if entry is None:
        return  # an earlier attempt's
    data = submission.event_data("created")
    if not submission.succeeded or data is None:
        _finish(flow, subject, DvpFailed("create", submission.error or "no created event"))
        return
    entry["id"] = contract_abi.decode_dvp_created(data).instruction_id
    if any(e["id"] is None for e in plan["instructions"]) or plan.get("affirms"):
        _save_plan(subject)
        return
    events = _created(plan)
    created = [events[e["create"]] for e in plan["instructions"]]
    senders = _accounts({leg.sender for instruction in created for leg in instruction.legs})
    plan["affirms"] = [
        str(
            chain_call_enqueue(
                organisation=senders[sender],
                kind=flow.kinds.affirm,
                contract=DVP_CONTRACT,
                fn_name="affirm",
                fn_args=contract_abi.encode_u64(instruction.instruction_id),
                subject=_model(subject),
            ).pk
        )
        for instruction in created
        for sender in sorted({leg.sender for leg in instruction.legs})
    ]
    if plan.get("payment"):
        plan["affirms"].append(
            str(
                chain_call_enqueue(
                    organisation=submission.chain_account,
                    kind=flow.kinds.affirm,
                    contract=DVP_CONTRACT,
                    fn_name="bind_shielded_cash",
                    fn_args=contract_abi.encode_dvp_bind_shielded_cash(
                        created[0].instruction_id, bytes.fromhex(plan["payment"])
                    ),
                    subject=_model(subject),
                ).pk
            )
        )
    _save_plan(subject)
    if flow.on_created is not None:
        flow.on_created(subject, created)


def _on_affirmed(flow: DvpFlow[S], submission: ChainSubmission) -> None:
    """An affirmation (or the binding of a shielded cash leg) is Final (or refused): a failed
    one ends the batch; once every one is Final, the creator settles every instruction in one
    ``settle_batch``, or, for a shielded cash leg, the owner's ``pay`` starts the payment."""
    subject = _current(flow, submission)
    if subject is None:
        return
    plan = subject.plan
    if str(submission.pk) not in plan.get("affirms", []):
        return  # an earlier attempt's
    if not submission.succeeded:
        _finish(flow, subject, DvpFailed("affirm", submission.error or "the affirmation failed"))
        return
    if plan.get("settle") is not None:
        return
    final = ChainSubmission.objects.filter(pk__in=plan["affirms"], status=Status.FINAL, succeeded=True)
    if final.count() < len(plan["affirms"]):
        return  # the last one's handler settles
    if plan.get("payment"):
        plan["settle"] = "paying"
        _save_plan(subject)
        assert flow.pay is not None  # noqa: S101 - dvp_batch_start refuses a payment otherwise
        flow.pay(subject, plan["instructions"][0]["id"])
        return
    creates = [entry["create"] for entry in plan["instructions"]]
    creator = ChainSubmission.objects.select_related("chain_account").get(pk=creates[0]).chain_account
    settle = chain_call_enqueue(
        organisation=creator,
        kind=flow.kinds.settle,
        contract=DVP_CONTRACT,
        fn_name="settle_batch",
        fn_args=contract_abi.encode_dvp_settle_batch([entry["id"] for entry in plan["instructions"]]),
        subject=_model(subject),
        gas_limit=compute_settle_batch_gas(len(creates) * contract_abi.MAX_LEGS),
    )
    plan["settle"] = str(settle.pk)
    _save_plan(subject)
    if flow.on_affirmed is not None:
        flow.on_affirmed(subject)


def dvp_payment_record(subject: DvpSubject, submission: ChainSubmission) -> None:
    """Name ``submission`` (of the flow's ``settle`` kind, subject ``subject``) as the payment
    that settles the subject's shielded batch: its receipt is the batch's outcome. In the
    owner's ``pay`` or later (once the payment's proof is made), in the transaction that
    queues it."""
    subject.plan["settle"] = str(submission.pk)
    _save_plan(subject)


def dvp_payment_fail(flow: DvpFlow[S], subject: S, error: str) -> None:
    """End the subject's shielded batch before its payment settles (the payment could not be
    built or proved): the owner's ``on_outcome`` gets ``DvpFailed("settle", error)``, once."""
    if isinstance(subject.plan, dict) and not subject.plan.get("outcome"):
        _finish(flow, subject, DvpFailed("settle", error))


def _on_settled(flow: DvpFlow[S], submission: ChainSubmission) -> None:
    """The ``settle_batch`` is Final (or refused): hand its outcome to the owner."""
    subject = _current(flow, submission)
    if subject is None or subject.plan.get("settle") != str(submission.pk):
        return
    _finish(flow, subject, compute_dvp_outcome(submission, subject.plan))


def compute_dvp_outcome(settle: ChainSubmission, plan: dict[str, Any]) -> DvpOutcome:
    """The outcome of a Final (or refused) ``settle_batch`` of the plan's instructions: settled
    when the receipt succeeded with a ``settled`` event for every instruction, the failing leg
    when it has a ``settle_failed`` event (decoded with ``contract_abi``, the leg read from
    the instruction's ``created`` event), else the error (a refusal, or a batch that reverted,
    e.g. ``transfer_failed`` or out of gas)."""
    if settle.status != Status.FINAL or not settle.succeeded:
        return DvpFailed("settle", settle.error or "the settle_batch failed")
    failed = settle.event_data("settle_failed")
    if failed is not None:
        try:
            event = contract_abi.decode_dvp_settle_failed(failed)
        except contract_abi.AbiError as exc:
            return DvpFailed("settle", f"unreadable settle_failed event: {exc}")
        entry = next((e for e in plan["instructions"] if e["id"] == event.instruction_id), None)
        created = None if entry is None else _created(plan).get(entry["create"])
        if created is None or event.leg >= len(created.legs):
            return DvpFailed(
                "settle", f"{event.code.code} in instruction {event.instruction_id}, leg {event.leg}"
            )
        return DvpLegFailed(event.instruction_id, event.leg, created.legs[event.leg], event.code)
    settled = set()
    for event in settle.events:
        if event.get("topic") == "settled":
            settled.add(contract_abi.decode_dvp_settled(bytes.fromhex(str(event["data"]).removeprefix("0x"))))
    if settled != {e["id"] for e in plan["instructions"]}:
        return DvpFailed("settle", "the receipt does not settle every instruction of the batch")
    return DvpSettled(height=settle.block_height or 0, tx_index=settle.tx_index or 0)


def _summary(outcome: DvpOutcome) -> dict[str, Any]:
    if isinstance(outcome, DvpSettled):
        return {"status": "settled", "height": outcome.height, "tx_index": outcome.tx_index}
    if isinstance(outcome, DvpLegFailed):
        return {
            "status": "failed",
            "step": "settle",
            "instruction": outcome.instruction_id,
            "leg": outcome.leg_index,
            "code": outcome.code.code,
        }
    return {"status": "failed", "step": outcome.step, "error": outcome.error}


def _finish(flow: DvpFlow[S], subject: S, outcome: DvpOutcome) -> None:
    """Record the outcome in the plan (so that it is handed over once), then hand it over."""
    subject.plan["outcome"] = _summary(outcome)
    _save_plan(subject)
    flow.on_outcome(subject, outcome)
