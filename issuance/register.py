"""The holder register of an instrument, read from Final chain state, and its checkpoints.

- At the latest Final block: the indexer's holdings (``ledger.indexer``), built from the
  security token's events of Final blocks only.
- At a checkpoint: the token's own snapshot (``holders_at``), asked of a node; a checkpoint
  is recorded here only once its block is Final, and its answer never changes afterwards.

Quantities are in the instrument's issue-size unit (nominal or units): token units × the
minimum denomination for an instrument sized in nominal. Percent is of the issue size.
Who may read it: the issuer's users, regulators and operators (a register names holders).
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from common.exceptions import InvalidInput, NotFoundError, PermissionDeniedError
from common.services import audit_entry_create
from identity.models import User
from identity.roles import Role
from identity.selectors import chain_account_owner_name, chain_account_owners, user_sees_all_organisations
from issuance.models import Instrument, InstrumentCheckpoint, InstrumentStatus
from issuance.selectors import CHECKPOINT_KIND, instrument_get
from issuance.services import check_issuer_role
from ledger.chain import get_node_client
from ledger.models import ChainAccount, ChainSubmission, TokenHolding
from ledger.outbox import chain_call_enqueue
from ledger.selectors import indexer_position


@dataclass(frozen=True)
class RegisterRow:
    holder: str
    """The 49-byte Address, hex."""
    name: str
    kind: str
    """``issuer`` (its own, unplaced holding), ``investor``, ``client account`` or ``unknown``."""
    units: int
    quantity: Decimal
    percent: Decimal
    last_height: int | None


@dataclass(frozen=True)
class Register:
    instrument: Instrument
    rows: list[RegisterRow]
    at: str
    """``final`` or ``checkpoint N``."""
    height: int
    """The Final height the holdings are at (the checkpoint's block for a checkpoint)."""
    issued: Decimal
    outstanding: Decimal
    """Issued minus what the issuer itself still holds."""

    @property
    def issue_size(self) -> Decimal:
        return self.instrument.issue_size


def _readable(*, user: User, instrument_id: uuid.UUID) -> Instrument:
    instrument = instrument_get(user=user, instrument_id=instrument_id)
    if not (user_sees_all_organisations(user=user) or user.organisation_id == instrument.issuer_id):
        raise PermissionDeniedError("Only the issuer, regulators and operators read the register.")
    if not instrument.contract_id or instrument.status in (
        InstrumentStatus.APPROVED,
        InstrumentStatus.DEPLOYING,
    ):
        raise NotFoundError("The instrument is not on chain yet.", code="not_on_chain")
    return instrument


def _register(
    instrument: Instrument, holdings: list[tuple[str, int, int | None]], at: str, height: int
) -> Register:
    unit = instrument.token_unit
    owners = chain_account_owners(holder for holder, _, _ in holdings)
    issuer_account = ChainAccount.objects.filter(organisation=instrument.issuer).first()
    issuer_address = "" if issuer_account is None else issuer_account.address.hex()
    rows = []
    for holder, units, last_height in holdings:
        name, kind = chain_account_owner_name(owners.get(holder))
        if holder == issuer_address:
            kind = "issuer"
        quantity = units * unit
        percent = (
            (quantity * 100 / instrument.issue_size).quantize(Decimal("0.0001"))
            if instrument.issue_size
            else Decimal(0)
        )
        rows.append(RegisterRow(holder, name, kind, units, quantity, percent, last_height))
    rows.sort(key=lambda r: (-r.units, r.holder))
    issued = sum((r.quantity for r in rows), Decimal(0))
    treasury = sum((r.quantity for r in rows if r.kind == "issuer"), Decimal(0))
    return Register(instrument, rows, at, height, issued, issued - treasury)


def token_holdings_final(*, contract_id: str) -> list[tuple[str, int]]:
    """The token's holdings at the latest Final block the indexer has applied, unscoped (for
    services and the issuer's own reads): (holder's 49-byte Address in hex, token units) for
    every balance above zero, the largest first (then by holder)."""
    holdings = TokenHolding.objects.filter(contract=contract_id, balance__gt=0)
    return [(holder, int(balance)) for holder, balance in holdings.values_list("holder", "balance")]


def instrument_register(*, user: User, instrument_id: uuid.UUID) -> Register:
    """The register at the latest Final block the indexer has applied."""
    instrument = _readable(user=user, instrument_id=instrument_id)
    holdings: list[tuple[str, int, int | None]] = [
        (h.holder, int(h.balance), h.last_height)
        for h in TokenHolding.objects.filter(contract=instrument.contract_id, balance__gt=0)
    ]
    cursor = indexer_position()
    return _register(instrument, holdings, "final", cursor.final_height if cursor else 0)


def instrument_register_at_checkpoint(*, user: User, instrument_id: uuid.UUID, number: int) -> Register:
    """The register at a recorded (Final) checkpoint, from the token's ``holders_at``.
    Raises ``NotFoundError`` for a checkpoint not recorded."""
    instrument = _readable(user=user, instrument_id=instrument_id)
    checkpoint = InstrumentCheckpoint.objects.filter(instrument=instrument, number=number).first()
    if checkpoint is None:
        raise NotFoundError(f"No checkpoint {number} of {instrument.isin}.", code="checkpoint_not_found")
    with get_node_client() as client:
        at_checkpoint = client.get_holders_at(instrument.contract_id, number)
    holdings: list[tuple[str, int, int | None]] = [(h.holder.hex(), h.balance, None) for h in at_checkpoint]
    return _register(instrument, holdings, f"checkpoint {number}", checkpoint.height)


def register_csv(register: Register) -> str:
    """The register as CSV: holder, name, kind, quantity, units, percent, last change height."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "isin",
            "at",
            "height",
            "holder_address",
            "holder",
            "kind",
            "quantity",
            "units",
            "percent_of_issue",
            "last_change_height",
        ]
    )
    for row in register.rows:
        writer.writerow(
            [
                register.instrument.isin,
                register.at,
                register.height,
                "0x" + row.holder,
                row.name,
                row.kind,
                format(row.quantity.normalize(), "f"),
                row.units,
                format(row.percent.normalize(), "f"),
                "" if row.last_height is None else row.last_height,
            ]
        )
    return out.getvalue()


@transaction.atomic
def instrument_checkpoint_create(*, actor: User, instrument_id: uuid.UUID) -> ChainSubmission:
    """An issuer admin asks the token for a checkpoint (through the outbox); it is recorded
    when its block is Final (``on_checkpoint``)."""
    instrument_get(user=actor, instrument_id=instrument_id)
    instrument = Instrument.objects.select_for_update().select_related("issuer").get(pk=instrument_id)
    check_issuer_role(
        actor=actor, instrument=instrument, role=Role.ISSUER_ADMIN, action="take a checkpoint of"
    )
    if instrument.status != InstrumentStatus.LIVE:
        raise InvalidInput("Only a live instrument has checkpoints.", code="not_live")
    submission = chain_call_enqueue(
        organisation=instrument.issuer,
        kind=CHECKPOINT_KIND,
        contract=instrument.contract_id,
        fn_name="checkpoint",
        fn_args=b"",
        subject=instrument,
    )
    audit_entry_create(
        actor=actor,
        action="instrument.checkpoint_requested",
        obj=instrument,
        organisation=instrument.issuer,
        changes={"submission": str(submission.pk)},
    )
    return submission


def checkpoint_record(
    *, instrument_id: uuid.UUID | str, submission: ChainSubmission
) -> InstrumentCheckpoint | None:
    """Record the checkpoint a Final ``checkpoint`` call took, from its event (``id:u32 ‖
    total_supply:u64 ‖ holder_count:u32``), once (idempotent); ``None`` if the call failed
    or took none. Used by every flow that asks the token for a checkpoint (the register's,
    corporate actions' record dates, ballots)."""
    data = submission.event_data("checkpoint") if submission.succeeded else None
    if data is None:
        return None
    checkpoint, _ = InstrumentCheckpoint.objects.get_or_create(
        instrument_id=instrument_id,
        number=int.from_bytes(data[:4], "little"),
        defaults={
            "height": submission.block_height or 0,
            "total_supply": int.from_bytes(data[4:12], "little"),
            "holder_count": int.from_bytes(data[12:16], "little"),
        },
    )
    return checkpoint


def on_checkpoint(submission: ChainSubmission) -> None:
    """Outcome handler of the register's checkpoints (the submission's subject is the
    instrument)."""
    checkpoint_record(instrument_id=submission.subject_id, submission=submission)
