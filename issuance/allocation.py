"""Primary allocation: the issuer allocates a live instrument to investors (organisations)
and to brokers' client accounts, each allocation settled delivery versus payment on chain.

Each allocation is its own DvP batch (``ledger.dvp``), so that a payer short of cash fails
its own allocation and no other. The issuer's account issues the batch's units to itself;
then, per allocation, the DvP service queues the standing approvals the senders lack and one
DvP instruction created by the issuer (legs: the units from the issuer to the investor's
address, the cash from the payer to the issuer). A client account's payer is its broker: the
client's securities sit at the client's own address, the cash comes from the broker (as a
settlement agent pays for its clients). The allocation is ``instructed`` when its instruction
exists (the issuer and the payer then affirm it), ``affirmed`` when both affirmations are
Final (the issuer then settles it), and ``settled`` when that is Final; ``failed`` with the
reason otherwise (e.g. ``insufficient_balance (leg 1)``: the payer lacks the cash), nothing
moved.

Units on chain: the security token has 0 decimals; one unit is the minimum denomination for
an instrument sized in nominal, else one share or fund unit. Cash: the genesis cash token in
the instrument's currency (EUR or USD on a devnet, 2 decimals; docs/contracts.md), in cents.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum

from chain.node.client import contract_abi
from common.exceptions import ConflictError, InvalidInput
from common.services import audit_entry_create
from identity.models import ClientAccount, Organisation, User
from identity.roles import Role
from issuance.models import (
    OPEN_ALLOCATION_STATUSES,
    Allocation,
    AllocationBatch,
    AllocationStatus,
    Instrument,
    InstrumentStatus,
    IssueSizeUnit,
)
from issuance.selectors import instrument_get
from issuance.services import check_issuer_role
from ledger.chain import get_cash_tokens, get_node_client
from ledger.dvp import DvpFailed, DvpFlow, DvpKinds, DvpLegFailed, DvpOutcome, dvp_batch_start
from ledger.models import ChainAccount, ChainSubmission
from ledger.outbox import chain_call_enqueue

CASH_MINOR_UNITS = 100
CSV_COLUMNS = ("investor_lei", "broker_lei", "client_account", "quantity", "price")
MAX_CSV_ROWS = 1_000
KIND_ISSUE, KIND_APPROVE = "allocation.issue", "allocation.approve"
KIND_CREATE, KIND_AFFIRM, KIND_SETTLE = "allocation.create", "allocation.affirm", "allocation.settle"


@dataclass(frozen=True)
class AllocationLine:
    """A validated line: exactly one of ``investor`` and ``client_account``."""

    investor: Organisation | None
    client_account: ClientAccount | None
    quantity: Decimal
    price: Decimal
    settlement_amount: Decimal


@dataclass(frozen=True)
class RowError:
    row: int
    """1-based line number of the CSV (the header is line 1), or the form row."""
    field: str
    message: str


def _plain(value: Decimal) -> str:
    """``value`` without trailing zeros and never in exponent notation (1000, not 1E+3)."""
    return format(value.normalize(), "f")


def compute_units(instrument: Instrument, quantity: Decimal) -> int:
    """``quantity`` in token units (see the module docstring); ``InvalidInput`` if it is not
    a whole number of units."""
    unit = instrument.token_unit
    if unit <= 0:
        raise InvalidInput("The instrument has no minimum denomination.", code="no_denomination")
    units = quantity / unit
    if units != units.to_integral_value():
        raise InvalidInput(
            f"The quantity must be a multiple of {_plain(unit)}.", code="not_a_whole_denomination"
        )
    return int(units)


def compute_settlement_amount(instrument: Instrument, quantity: Decimal, price: Decimal) -> Decimal:
    """Nominal × price / 100 for an instrument sized in nominal (price in percent of
    nominal), else quantity × price; rounded half up to the cent."""
    amount = (
        quantity * price / 100 if instrument.issue_size_unit == IssueSizeUnit.NOMINAL else quantity * price
    )
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def parse_allocation_csv(*, content: bytes) -> list[dict[str, str]]:
    """The rows of an allocation CSV (UTF-8, optional BOM; columns ``CSV_COLUMNS``, either
    ``investor_lei`` or ``broker_lei`` + ``client_account`` per row). ``InvalidInput`` if the
    file is not such a CSV or has more than ``MAX_CSV_ROWS`` rows."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput("The file is not UTF-8 text.", code="invalid_csv") from exc
    reader = csv.DictReader(io.StringIO(text))
    header = [name.strip() for name in reader.fieldnames or []]
    missing = [c for c in ("quantity", "price") if c not in header]
    if missing or not ({"investor_lei"} & set(header) or {"broker_lei", "client_account"} <= set(header)):
        raise InvalidInput(
            f"The header must name {', '.join(CSV_COLUMNS)} "
            "(investor_lei, or broker_lei and client_account).",
            code="invalid_csv",
            details={"header": header},
        )
    rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    if len(rows) > MAX_CSV_ROWS:
        raise InvalidInput(f"At most {MAX_CSV_ROWS} rows per file.", code="too_many_rows")
    if not rows:
        raise InvalidInput("The file has no allocation rows.", code="invalid_csv")
    return rows


def validate_allocation_rows(
    *, actor: User, instrument: Instrument, rows: Sequence[Mapping[str, str]], first_row: int = 2
) -> tuple[list[AllocationLine], list[RowError]]:
    """Check every row (nothing is written): the investor exists on the platform with a chain
    address, the quantity is a positive whole number of units, the price positive, and the
    total fits in what is left of the issue. Returns the lines and every error by row."""
    _check_can_allocate(actor=actor, instrument=instrument)
    lines: list[AllocationLine] = []
    errors: list[RowError] = []
    for number, row in enumerate(rows, start=first_row):
        row_errors: list[RowError] = []

        def fail(field: str, message: str, n: int = number, bucket: list[RowError] = row_errors) -> None:
            bucket.append(RowError(n, field, message))

        investor, client_account = _investor(row, fail)
        quantity = _decimal(row.get("quantity", ""), "quantity", fail)
        price = _decimal(row.get("price", ""), "price", fail)
        if quantity is not None:
            try:
                compute_units(instrument, quantity)
            except InvalidInput as exc:
                fail("quantity", str(exc))
        if not row_errors and quantity is not None and price is not None:
            amount = compute_settlement_amount(instrument, quantity, price)
            lines.append(AllocationLine(investor, client_account, quantity, price, amount))
        errors += row_errors
    total = sum((line.quantity for line in lines), Decimal(0))
    left = instrument.issue_size - _allocated(instrument)
    if not errors and total > left:
        errors.append(
            RowError(
                0,
                "quantity",
                f"The allocations total {_plain(total)} but only {_plain(left)} is left.",
            )
        )
    return lines, errors


def _check_can_allocate(*, actor: User, instrument: Instrument) -> None:
    check_issuer_role(actor=actor, instrument=instrument, role=Role.ISSUER_ADMIN, action="allocate")
    if instrument.status != InstrumentStatus.LIVE:
        raise ConflictError("Only a live instrument (deployed and Final) can be allocated.", code="not_live")
    if instrument.currency not in settings.GLOAM_CASH_CURRENCIES:
        raise InvalidInput(
            f"The chain has no cash token in {instrument.currency}; "
            f"it has {', '.join(settings.GLOAM_CASH_CURRENCIES)}.",
            code="no_cash_token",
        )


def _allocated(instrument: Instrument) -> Decimal:
    total = (
        Allocation.objects.filter(instrument=instrument)
        .exclude(status=AllocationStatus.FAILED)
        .aggregate(total=Sum("quantity"))["total"]
    )
    return total or Decimal(0)


def _decimal(text: str, field: str, fail: Callable[[str, str], None]) -> Decimal | None:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        fail(field, f"{field} must be a number, not {text!r}.")
        return None
    if not value.is_finite() or value <= 0:
        fail(field, f"{field} must be positive.")
        return None
    return value


def _investor(
    row: Mapping[str, str], fail: Callable[[str, str], None]
) -> tuple[Organisation | None, ClientAccount | None]:
    lei, broker_lei, reference = (
        row.get("investor_lei", ""),
        row.get("broker_lei", ""),
        row.get("client_account", ""),
    )
    if bool(lei) == bool(broker_lei or reference):
        fail("investor_lei", "Give either investor_lei, or broker_lei and client_account.")
        return None, None
    if lei:
        investor = Organisation.objects.filter(lei=lei.upper()).first()
        if investor is None:
            fail("investor_lei", f"No organisation with LEI {lei} on the platform.")
        elif not ChainAccount.objects.filter(organisation=investor).exists():
            fail("investor_lei", f"{investor.legal_name} has no chain account.")
        else:
            return investor, None
        return None, None
    account = (
        ClientAccount.objects.select_related("broker")
        .filter(broker__lei=broker_lei.upper(), account_reference=reference)
        .first()
    )
    if account is None:
        fail("client_account", f"No client account {reference} at the broker with LEI {broker_lei}.")
    elif account.status != ClientAccount.Status.ACTIVE:
        fail("client_account", f"Client account {reference} is not active.")
    elif not ChainAccount.objects.filter(client_account=account).exists():
        fail("client_account", f"Client account {reference} has no chain address.")
    elif not ChainAccount.objects.filter(organisation=account.broker).exists():
        fail("broker_lei", f"{account.broker.legal_name} (the payer) has no chain account.")
    else:
        return None, account
    return None, None


def _payer(allocation: Allocation) -> Organisation:
    if allocation.investor is not None:
        return allocation.investor
    assert allocation.client_account is not None  # noqa: S101 - the model's check constraint
    return allocation.client_account.broker


def _receiver(allocation: Allocation) -> bytes:
    if allocation.investor is not None:
        return ChainAccount.objects.get(organisation=allocation.investor).address
    return ChainAccount.objects.get(client_account=allocation.client_account).address


@transaction.atomic
def allocation_batch_create(
    *, actor: User, instrument_id: uuid.UUID, rows: Sequence[Mapping[str, str]], source: str = "form"
) -> AllocationBatch:
    """Validate ``rows`` (as :func:`validate_allocation_rows`) and, only if every row is
    valid, record the batch and queue stage 1 on chain in the same transaction. Raises
    ``InvalidInput`` (``invalid_allocations``, ``details.rows``: every error) otherwise;
    nothing is saved or sent. The instrument row is locked, so two batches cannot together
    exceed the issue size."""
    instrument_get(user=actor, instrument_id=instrument_id)
    instrument = Instrument.objects.select_for_update().select_related("issuer").get(pk=instrument_id)
    lines, errors = validate_allocation_rows(actor=actor, instrument=instrument, rows=rows)
    if errors:
        raise InvalidInput(
            f"{len(errors)} allocation row(s) are invalid; nothing was submitted.",
            code="invalid_allocations",
            details={"rows": [{"row": e.row, "field": e.field, "message": e.message} for e in errors]},
        )
    batch = AllocationBatch.objects.create(instrument=instrument, created_by=actor, source=source)
    allocations = [
        Allocation.objects.create(
            batch=batch,
            instrument=instrument,
            investor=line.investor,
            client_account=line.client_account,
            quantity=line.quantity,
            price=line.price,
            settlement_amount=line.settlement_amount,
        )
        for line in lines
    ]
    _queue_stage_one(instrument, batch, allocations)
    audit_entry_create(
        actor=actor,
        action="allocation_batch.create",
        obj=batch,
        organisation=instrument.issuer,
        changes={
            "instrument": instrument.isin,
            "source": source,
            "allocations": [
                {"investor": a.investor_name, "quantity": str(a.quantity), "price": str(a.price)}
                for a in allocations
            ],
        },
    )
    return batch


def _queue_stage_one(
    instrument: Instrument, batch: AllocationBatch, allocations: Iterable[Allocation]
) -> None:
    token = bytes.fromhex(instrument.contract_id.removeprefix("0x"))
    cash_tokens = get_cash_tokens()
    if instrument.currency not in cash_tokens:
        raise InvalidInput(f"The chain has no cash token in {instrument.currency}.", code="no_cash_token")
    cash = bytes.fromhex(cash_tokens[instrument.currency].removeprefix("0x"))
    issuer = instrument.issuer
    issuer_address = ChainAccount.objects.get(organisation=issuer).address
    allocations = list(allocations)
    chain_call_enqueue(
        organisation=issuer,
        kind=KIND_ISSUE,
        contract=instrument.contract_id,
        fn_name="issue",
        fn_args=contract_abi.encode_address_amount(
            issuer_address, sum(compute_units(instrument, a.quantity) for a in allocations)
        ),
        subject=batch,
    )
    with get_node_client() as client:  # reads the allowances
        for allocation in allocations:
            payer = ChainAccount.objects.get(organisation=_payer(allocation)).address
            legs = [
                contract_abi.Leg(
                    token,
                    issuer_address,
                    _receiver(allocation),
                    compute_units(instrument, allocation.quantity),
                ),
                contract_abi.Leg(cash, payer, issuer_address, _cents(allocation)),
            ]
            dvp_batch_start(
                flow=ALLOCATION_FLOW, subject=allocation, creator=issuer, legs=legs, client=client
            )


def _cents(allocation: Allocation) -> int:
    return int(allocation.settlement_amount * CASH_MINOR_UNITS)


# -- the DvP batch's steps and outcome (ledger.dvp), each once, when its block is Final --------
def _allocation_of(submission: ChainSubmission) -> Allocation | None:
    allocation = (
        Allocation.objects.select_for_update(of=("self",))
        .select_related("instrument__issuer", "investor", "client_account__broker")
        .filter(pk=submission.subject_id)
        .first()
    )
    if allocation is None or allocation.status not in OPEN_ALLOCATION_STATUSES:
        return None
    if not allocation.plan:
        allocation.plan = _plan_of_earlier_code(allocation)
    return allocation


def _plan_of_earlier_code(allocation: Allocation) -> dict[str, Any]:
    """The DvP plan (``ledger.dvp``) of an allocation started before allocations had one: its
    submissions, by kind (one ``create``, the affirmations, the ``settle`` if queued)."""
    submissions = ChainSubmission.objects.filter(subject_id=str(allocation.pk)).order_by("created_at", "id")
    ids = {
        kind: [str(s.pk) for s in submissions if s.kind == kind]
        for kind in (KIND_CREATE, KIND_AFFIRM, KIND_SETTLE)
    }
    return {
        "instructions": [
            {"create": create, "id": allocation.dvp_instruction_id} for create in ids[KIND_CREATE]
        ],
        "affirms": ids[KIND_AFFIRM],
        "settle": ids[KIND_SETTLE][0] if ids[KIND_SETTLE] else None,
        "outcome": None,
    }


def _fail(allocation: Allocation, reason: str) -> None:
    allocation.status = AllocationStatus.FAILED
    allocation.failure_reason = reason[:200]
    allocation.save(update_fields=["status", "failure_reason", "updated_at"])
    audit_entry_create(
        actor=None,
        action="allocation.failed",
        obj=allocation,
        organisation=allocation.instrument.issuer,
        changes={"reason": allocation.failure_reason},
    )


def on_instruction_created(allocation: Allocation, created: Sequence[contract_abi.DvpCreated]) -> None:
    """The allocation's DvP instruction exists (the issuer and the payer affirm it next)."""
    allocation.dvp_instruction_id = created[0].instruction_id
    allocation.status = AllocationStatus.INSTRUCTED
    allocation.save(update_fields=["dvp_instruction_id", "status", "updated_at"])


def on_instruction_affirmed(allocation: Allocation) -> None:
    """Both affirmations are Final (the issuer settles next)."""
    allocation.status = AllocationStatus.AFFIRMED
    allocation.save(update_fields=["status", "updated_at"])


FAILURES = {
    "create": "DvP instruction not created",
    "affirm": "affirmation failed",
    "settle": "settlement failed",
}


def on_instruction_settled(allocation: Allocation, outcome: DvpOutcome) -> None:
    """Settled at the batch's height, or failed with the failing leg's code (``failure_reason``
    e.g. ``insufficient_balance (leg 1)``) or the failed step's error."""
    if isinstance(outcome, DvpLegFailed):
        _fail(allocation, f"{outcome.code.code} (leg {outcome.leg_index})")
        return
    if isinstance(outcome, DvpFailed):
        _fail(allocation, f"{FAILURES[outcome.step]}: {outcome.error}")
        return
    allocation.status = AllocationStatus.SETTLED
    allocation.settled_height = outcome.height
    allocation.save(update_fields=["status", "settled_height", "updated_at"])
    audit_entry_create(
        actor=None,
        action="allocation.settled",
        obj=allocation,
        organisation=allocation.instrument.issuer,
        changes={"dvp_instruction_id": allocation.dvp_instruction_id, "height": outcome.height},
    )


ALLOCATION_FLOW: DvpFlow[Allocation] = DvpFlow(
    kinds=DvpKinds(approve=KIND_APPROVE, create=KIND_CREATE, affirm=KIND_AFFIRM, settle=KIND_SETTLE),
    lock=_allocation_of,
    on_outcome=on_instruction_settled,
    on_created=on_instruction_created,
    on_affirmed=on_instruction_affirmed,
)
OUTCOME_HANDLERS: dict[str, Callable[[ChainSubmission], None]] = ALLOCATION_FLOW.outcome_handlers()
