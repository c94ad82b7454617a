"""Shielded cash: cash held as Phoenix notes of the genesis ``phoenix`` contract (docs/zk.md
"Phoenix transfers", docs/contracts.md "phoenix", ``reference/dusk-protocol.md`` §2.3).

Each organisation has one Phoenix key in platform custody (``ledger.phoenix``); the note
scanner stores the notes its view key finds in Final blocks (``ledger.models.ShieldedNote``).
Shielded cash is cash: it is one genesis cash token (EUR by default; the genesis chooses,
``GLOAM_SHIELDED_CURRENCY`` on a devnet; ``ledger.phoenix.phoenix_cash_token``), held by the
phoenix contract for the notes, so public + shielded cash of all holders is the token's supply.
Amounts below are in that currency ("the currency"), in minor units (cents) on chain.

- :func:`shielded_cash_shield` (Moonlight → Phoenix): the cash token's ``approve`` of the
  phoenix contract, then ``phoenix.shield`` of a transparent note to the organisation's own
  key, ``after`` the approval (both through the outbox, signed by its chain account).
- :func:`shielded_cash_send` (to another organisation, by LEI) and
  :func:`shielded_cash_unshield` (Phoenix → Moonlight, to the organisation's own chain
  account): 1-2 unspent notes covering the amount (fee 0) are marked ``pending``, their Merkle
  openings fetched against one root (again if the head moved between them), the two outputs
  (receiver, change to self) and the witness built, and a proof job requested
  (``phoenix_transfer`` or ``phoenix_transfer_2``). All in one database transaction: a failure
  before the job is stored releases the notes by rolling back. When the proving worker
  finishes the job (``proving.hooks.register_job_finished``, inside its transaction) a done
  job's proof is queued as a proven call through the outbox; a failed job releases the notes.
  The outbox's outcome handler marks the transfer ``final`` or ``failed`` (releasing the notes
  unless spent). The witness, with the secret openings and signatures, is stored only in the
  proof job, encrypted, and wiped when the job finishes (``proving.models.ProofJob``).

What is shielded: amounts and receivers of ``send`` are hidden on chain (an obfuscated note,
verified by a Groth16 proof the node checks). ``shield`` and ``unshield`` are public by
nature (the amount and the public account are on chain). The platform itself, as custodian
of the keys, sees everything: it is not private from the operator.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Model, Q, QuerySet, Sum

from chain.node.client import RpcError, contract_abi, phoenix_wallet
from common.exceptions import (
    ApplicationError,
    ChainUnavailable,
    InvalidInput,
    NotFoundError,
    PermissionDeniedError,
)
from common.services import audit_entry_create
from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from identity.selectors import apply_filters, user_sees_all_organisations
from ledger.chain import get_node_client
from ledger.models import ChainAccount, ChainSubmission, PhoenixKey, ShieldedNote, TokenHolding
from ledger.outbox import chain_call_enqueue, chain_proven_call_enqueue
from ledger.phoenix import (
    phoenix_cash_token,
    phoenix_contract_id,
    phoenix_key_get_or_create,
    with_phoenix_secret_key,
)
from proving.models import ProofJob
from proving.services import proof_job_request
from settlement.cash import MINOR_UNITS
from settlement.filters import ShieldedNoteFilter, ShieldedTransferFilter
from settlement.models import ShieldedTransfer

#: The largest amount a note holds: u64 minor units.
MAX_AMOUNT = Decimal(2**64 - 1) / MINOR_UNITS
APPROVE_KIND = "shielded.approve"
SHIELD_KIND = "shielded.shield"
TRANSFER_KIND = "shielded.transfer"
#: Times the openings are fetched again when the tree's head moved between two of them.
OPENING_ATTEMPTS = 5

Kind = ShieldedTransfer.Kind
Status = ShieldedTransfer.Status
NoteStatus = ShieldedNote.Status


# -- checks ----------------------------------------------------------------------------------
def _require_back_office(actor: User) -> Organisation:
    if not actor.has_role(Role.BROKER_BACK_OFFICE) or actor.organisation is None:
        raise PermissionDeniedError("Only a broker's back office moves shielded cash.")
    organisation = actor.organisation
    if organisation.kind != OrganisationKind.BROKER:
        raise PermissionDeniedError("Only brokers hold shielded cash.")
    return organisation


def _cents(amount: Decimal) -> int:
    cents = amount * MINOR_UNITS
    if amount <= 0 or amount > MAX_AMOUNT or cents != cents.to_integral_value():
        raise InvalidInput(
            "The amount must be positive, in whole cents.", code="invalid_amount", details={"field": "amount"}
        )
    return int(cents)


def _chain_account(organisation: Organisation) -> ChainAccount:
    account = ChainAccount.objects.filter(organisation=organisation).first()
    if account is None:
        raise InvalidInput(f"{organisation.legal_name} has no chain account.", code="no_chain_account")
    return account


def _phoenix() -> str:
    contract = phoenix_contract_id()
    if contract is None:
        raise InvalidInput(
            "The chain has no phoenix contract (the Phoenix transfer keys are not set up).",
            code="no_phoenix_contract",
        )
    return contract


def shielded_currency() -> str:
    """The ISO 4217 currency of shielded cash (``InvalidInput`` ``no_phoenix_contract``)."""
    return phoenix_cash_token()[0]


# -- shield ----------------------------------------------------------------------------------
@transaction.atomic
def shielded_cash_shield(*, actor: User, amount: Decimal) -> ShieldedTransfer:
    """Turn ``amount`` of the currency (whole cents) of the actor's organisation's public cash into a
    transparent note to its own Phoenix key: ``approve`` then ``shield`` through the outbox.

    Broker back office only (``PermissionDeniedError``). ``InvalidInput``: ``invalid_amount``,
    ``no_chain_account``, ``no_phoenix_contract``, ``no_cash_token``, ``insufficient_cash``
    (the Final public balance is below the amount). ``ChainUnavailable`` if no node answers."""
    organisation = _require_back_office(actor)
    cents = _cents(amount)
    account = _chain_account(organisation)
    phoenix = _phoenix()
    currency, token = phoenix_cash_token()
    holding = TokenHolding.objects.filter(contract=token, holder=account.address.hex()).first()
    if holding is None or holding.balance < cents:
        raise InvalidInput(
            f"The public {currency} balance (Final) is below the amount.", code="insufficient_cash"
        )
    key = phoenix_key_get_or_create(organisation_id=organisation.pk)
    public_key = bytes.fromhex(key.public_key.removeprefix("0x"))
    note = phoenix_wallet.make_shield_note(
        sender_public_key=public_key, receiver_public_key=public_key, value=cents
    )
    transfer = ShieldedTransfer.objects.create(
        organisation=organisation,
        requested_by=actor,
        kind=Kind.SHIELD,
        amount=amount,
        currency=currency,
        status=Status.SUBMITTED,
    )
    pool = contract_abi.contract_address(bytes.fromhex(phoenix.removeprefix("0x")))
    approve = chain_call_enqueue(
        organisation=organisation,
        kind=APPROVE_KIND,
        contract=token,
        fn_name="approve",
        fn_args=contract_abi.encode_address_amount(pool, cents),
        subject=transfer,
    )
    transfer.submission = chain_call_enqueue(
        organisation=organisation,
        kind=SHIELD_KIND,
        contract=phoenix,
        fn_name="shield",
        fn_args=note,
        subject=transfer,
        after=approve,
    )
    transfer.save(update_fields=["submission", "updated_at"])
    audit_entry_create(
        actor=actor,
        action="shielded_cash.shield",
        obj=transfer,
        organisation=organisation,
        changes={"amount": str(amount), "currency": currency, "status": transfer.status},
    )
    return transfer


# -- send and unshield -----------------------------------------------------------------------
def select_notes(notes: list[tuple[int, int]], amount: int) -> list[int] | None:
    """Which 1 or 2 of ``notes`` (``(position, value)``) to spend for ``amount``: the smallest
    single note that covers it, else the pair with the smallest total that does (ties: lower
    positions). ``None`` if no one or two notes cover it. The circuits spend at most two."""
    singles = sorted((v, p) for p, v in notes if v >= amount)
    if singles:
        return [singles[0][1]]
    best: tuple[int, int, int] | None = None
    ordered = sorted(notes)
    for i, (p1, v1) in enumerate(ordered):
        for p2, v2 in ordered[i + 1 :]:
            if v1 + v2 >= amount and (best is None or v1 + v2 < best[0]):
                best = (v1 + v2, p1, p2)
    return None if best is None else [best[1], best[2]]


def _reserve(key: PhoenixKey, cents: int, transfer: ShieldedTransfer) -> list[ShieldedNote]:
    unspent = list(
        ShieldedNote.objects.select_for_update()
        .filter(key=key, status=NoteStatus.UNSPENT)
        .order_by("position")
    )
    chosen = select_notes([(n.position, n.value) for n in unspent], cents)
    if chosen is None:
        total = sum(n.value for n in unspent)
        if total >= cents:
            raise InvalidInput(
                "No one or two notes cover the amount: send a smaller amount first to merge notes.",
                code="too_many_notes",
            )
        raise InvalidInput("The shielded balance is below the amount.", code="insufficient_shielded_cash")
    notes = [n for n in unspent if n.position in chosen]
    for note in notes:
        note.status, note.reserved_for = NoteStatus.PENDING, str(transfer.pk)
        note.save(update_fields=["status", "reserved_for", "updated_at"])
    return notes


def _openings(notes: list[ShieldedNote]) -> tuple[str, list[Any]]:
    """The notes' openings against one root (fetched again if the head moved in between)."""
    try:
        with get_node_client() as client:
            for _ in range(OPENING_ATTEMPTS):
                infos = [client.get_note_opening(n.position) for n in notes]
                roots = {info.root for info in infos}
                if len(roots) == 1:
                    return infos[0].root, [info.opening for info in infos]
    except RpcError as exc:
        raise ChainUnavailable(f"The note tree cannot be read: {exc}") from exc
    raise ChainUnavailable("The note tree kept moving while its openings were read.")


def _vk_id(phoenix: str, inputs: int) -> str:
    try:
        with get_node_client() as client:
            info = contract_abi.decode_phoenix_info(client.query_contract(phoenix, "info"))
    except (RpcError, contract_abi.AbiError) as exc:
        raise ChainUnavailable(f"The phoenix contract cannot be read: {exc}") from exc
    return "0x" + info.vk_ids[inputs - 1].hex()


def _prepare(
    secret_key: bytes,
    *,
    notes: list[ShieldedNote],
    root: str,
    openings: list[Any],
    receiver_public_key: bytes,
    amount: int,
    deposit: int,
    withdraw_to: bytes | None,
    phoenix: str,
    payment: phoenix_wallet.PaymentNote | None,
    dvp: tuple[str, int] | None,
) -> phoenix_wallet.PreparedTransfer:
    return phoenix_wallet.prepare_transfer(
        secret_key=secret_key,
        spends=[(bytes(n.note), n.position, o) for n, o in zip(notes, openings, strict=True)],
        root=root,
        receiver_public_key=receiver_public_key,
        amount=amount,
        deposit=deposit,
        withdraw_to=withdraw_to,
        chain_id=settings.GLOAM_CHAIN_ID,
        contract_id=phoenix,
        payment=payment,
        dvp=dvp,
    )


def _public_key(key: PhoenixKey) -> bytes:
    return bytes.fromhex(key.public_key.removeprefix("0x"))


def prove_spend(
    transfer: ShieldedTransfer,
    *,
    actor: User,
    key: PhoenixKey,
    receiver_public_key: bytes,
    amount: int,
    deposit: int = 0,
    withdraw_to: bytes | None = None,
    payment: phoenix_wallet.PaymentNote | None = None,
    dvp: tuple[str, int] | None = None,
) -> ShieldedTransfer:
    """Reserve 1-2 of ``key``'s notes for ``transfer`` (``amount`` + ``deposit`` cents), read
    their openings, build the witness (``phoenix_wallet.prepare_transfer``: ``payment`` and
    ``dvp`` for a DvP payment) and request its proof; the transfer becomes ``proving``. In the
    caller's transaction. Raises ``InvalidInput`` (``insufficient_shielded_cash``,
    ``too_many_notes``, ``no_phoenix_contract``, ``wallet_<reason>``, ``unknown_circuit``) or
    ``ChainUnavailable``; nothing is reserved then once the caller rolls back."""
    phoenix = _phoenix()
    total = amount + deposit
    notes = _reserve(key, total, transfer)
    root, openings = _openings(notes)
    try:
        prepared = with_phoenix_secret_key(
            key,
            functools.partial(
                _prepare,
                notes=notes,
                root=root,
                openings=openings,
                receiver_public_key=receiver_public_key,
                amount=amount,
                deposit=deposit,
                withdraw_to=withdraw_to,
                phoenix=phoenix,
                payment=payment,
                dvp=dvp,
            ),
        )
    except phoenix_wallet.PhoenixWalletError as exc:
        raise InvalidInput(f"The transfer cannot be built: {exc}", code=f"wallet_{exc.reason}") from None
    job, _ = proof_job_request(
        actor=actor,
        circuit=prepared.circuit,
        witness=prepared.inputs,
        idempotency_key=f"shielded-transfer:{transfer.pk}",
    )
    transfer.status = Status.PROVING
    transfer.proof_job = job
    transfer.circuit = prepared.circuit
    transfer.vk_id = _vk_id(phoenix, len(notes))
    transfer.root = root
    transfer.fn_args = prepared.args
    transfer.public_signals = [str(v) for v in prepared.public_signals]
    transfer.save()
    audit_entry_create(
        actor=actor,
        action=f"shielded_cash.{transfer.kind}",
        obj=transfer,
        organisation=transfer.organisation,
        changes={
            "amount": str(transfer.amount),
            "currency": transfer.currency,
            "receiver": transfer.receiver.lei if transfer.receiver is not None else "",
            "notes": [n.position for n in notes],
            "proof_job": str(job.pk),
            "status": transfer.status,
        },
    )
    return transfer


def _spend(
    *,
    actor: User,
    organisation: Organisation,
    kind: str,
    amount: Decimal,
    receiver: Organisation | None,
) -> ShieldedTransfer:
    cents = _cents(amount)
    _phoenix()
    key = PhoenixKey.objects.filter(organisation=organisation).first()
    if key is None:
        raise InvalidInput("The shielded balance is below the amount.", code="insufficient_shielded_cash")
    transfer = ShieldedTransfer.objects.create(
        organisation=organisation,
        receiver=receiver,
        requested_by=actor,
        kind=kind,
        amount=amount,
        currency=shielded_currency(),
        status=Status.PROVING,
    )
    if kind == Kind.SEND:
        assert receiver is not None  # noqa: S101 - the caller passes one for a send
        receiver_key = phoenix_key_get_or_create(organisation_id=receiver.pk)
        return prove_spend(
            transfer, actor=actor, key=key, receiver_public_key=_public_key(receiver_key), amount=cents
        )
    return prove_spend(
        transfer,
        actor=actor,
        key=key,
        receiver_public_key=_public_key(key),
        amount=0,
        deposit=cents,
        withdraw_to=_chain_account(organisation).address,
    )


@transaction.atomic
def shielded_cash_send(*, actor: User, receiver_lei: str, amount: Decimal) -> ShieldedTransfer:
    """Pay ``amount`` (whole cents of the currency) of shielded cash to the broker with ``receiver_lei``:
    reserve 1-2 notes, build the witness and request its proof (module docstring); the
    proven call is queued when the proof is done.

    Broker back office only. ``InvalidInput``: ``invalid_amount``, ``unknown_lei`` (no broker
    with that LEI, or the sender itself), ``insufficient_shielded_cash``, ``too_many_notes``,
    ``no_phoenix_contract``, ``unknown_circuit`` (no proving key for the circuit yet),
    ``wallet_<reason>``. ``ChainUnavailable`` if the note tree cannot be read."""
    organisation = _require_back_office(actor)
    receiver = Organisation.objects.filter(lei=receiver_lei.upper(), kind=OrganisationKind.BROKER).first()
    if receiver is None or receiver.pk == organisation.pk:
        raise InvalidInput(
            f"No other broker with LEI {receiver_lei}.", code="unknown_lei", details={"field": "receiver_lei"}
        )
    return _spend(actor=actor, organisation=organisation, kind=Kind.SEND, amount=amount, receiver=receiver)


@transaction.atomic
def shielded_cash_unshield(*, actor: User, amount: Decimal) -> ShieldedTransfer:
    """Turn ``amount`` (whole cents) of shielded cash back into public cash at the
    organisation's own chain account (the transfer's ``deposit``, paid by the phoenix
    contract); errors as :func:`shielded_cash_send` and ``no_chain_account``."""
    organisation = _require_back_office(actor)
    _chain_account(organisation)
    return _spend(actor=actor, organisation=organisation, kind=Kind.UNSHIELD, amount=amount, receiver=None)


# -- outcomes --------------------------------------------------------------------------------
def release_notes(transfer: ShieldedTransfer) -> None:
    """Unreserve ``transfer``'s pending notes (spent ones stay spent)."""
    ShieldedNote.objects.filter(reserved_for=str(transfer.pk), status=NoteStatus.PENDING).update(
        status=NoteStatus.UNSPENT, reserved_for=""
    )


def shielded_transfer_fail(transfer: ShieldedTransfer, code: str) -> None:
    """Record ``transfer`` failed with ``code`` (64 characters kept) and release its notes;
    audited."""
    release_notes(transfer)
    transfer.status, transfer.error_code = Status.FAILED, code[:64]
    transfer.save(update_fields=["status", "error_code", "updated_at"])
    audit_entry_create(
        actor=None,
        action="shielded_cash.fail",
        obj=transfer,
        organisation=transfer.organisation,
        changes={"status": Status.FAILED, "error_code": transfer.error_code},
    )


def on_proof_job_finished(job: ProofJob) -> None:
    """``proving.hooks`` handler: a shielded transfer's proof job is ``done`` (queue the proven
    call, signed by the organisation's chain account) or ``failed`` (release the notes). Runs
    in the job's finishing transaction; a job that is not a waiting transfer's is ignored.
    Public signals that differ from the ones the wallet computed fail the transfer, and so
    does a proof the outbox refuses to queue: the job's outcome is always recorded."""
    transfer = (
        ShieldedTransfer.objects.select_for_update()
        .select_related("organisation")
        .filter(proof_job_id=job.pk, status=Status.PROVING)
        .exclude(kind=Kind.DVP)  # settlement.shielded_dvp's
        .first()
    )
    if transfer is None:
        return
    error = proven_transfer_enqueue(transfer, job, kind=TRANSFER_KIND, subject=transfer)
    if error is not None:
        shielded_transfer_fail(transfer, error)


def proven_transfer_enqueue(
    transfer: ShieldedTransfer, job: ProofJob, *, kind: str, subject: Model
) -> str | None:
    """Queue ``transfer`` (its proof ``job`` finished) as its organisation's proven
    ``phoenix.transfer`` in the outbox (``kind``, ``subject``): the transfer becomes
    ``submitted``; returns ``None``. Else returns the code that fails the transfer, nothing
    queued: ``proof_<code>`` (the job failed), ``proof_statement_mismatch`` (its public signals
    are not the ones the wallet computed) or the outbox's refusal (e.g. the chain account is
    gone: never block the job)."""
    if job.status != ProofJob.Status.DONE:
        return f"proof_{job.error_code or 'failed'}"
    if list(job.public_signals) != list(transfer.public_signals):
        return "proof_statement_mismatch"
    try:
        with transaction.atomic():
            transfer.submission = chain_proven_call_enqueue(
                organisation=transfer.organisation,
                kind=kind,
                contract="genesis:phoenix",
                fn_name="transfer",
                fn_args=bytes(transfer.fn_args),
                vk_id=transfer.vk_id,
                public_inputs=bytes(job.public_inputs or b""),
                proof=bytes(job.proof or b""),
                subject=subject,
            )
    except ApplicationError as exc:
        return exc.code
    transfer.status = Status.SUBMITTED
    transfer.save(update_fields=["submission", "status", "updated_at"])
    return None


def on_submission_outcome(submission: ChainSubmission) -> None:
    """Outbox handler of ``shielded.shield`` and ``shielded.transfer``: Final and successful →
    ``final``; refused or failed → ``failed`` with the node's or the receipt's reason, the
    notes released (unless a Final ``spend`` already marked them spent)."""
    transfer = (
        ShieldedTransfer.objects.select_for_update()
        .filter(pk=submission.subject_id, status=Status.SUBMITTED)
        .select_related("organisation")
        .first()
    )
    if transfer is None:
        return
    if submission.status == ChainSubmission.Status.FINAL and submission.succeeded:
        transfer.status = Status.FINAL
        transfer.save(update_fields=["status", "updated_at"])
        audit_entry_create(
            actor=None,
            action="shielded_cash.final",
            obj=transfer,
            organisation=transfer.organisation,
            changes={"status": Status.FINAL, "tx_id": submission.tx_id, "height": submission.block_height},
        )
        return
    shielded_transfer_fail(transfer, submission.error or "failed")


OUTCOME_HANDLERS = {SHIELD_KIND: on_submission_outcome, TRANSFER_KIND: on_submission_outcome}


# -- reads -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShieldedBalance:
    lei: str
    name: str
    currency: str
    unspent: Decimal
    pending: Decimal
    notes: int
    height: int
    """The scanner's Final height."""


def _visible_organisations(user: User) -> QuerySet[Organisation]:
    """The brokers whose shielded cash ``user`` reads: its own organisation if a broker (any
    member), every broker for regulators and operators."""
    brokers = Organisation.objects.filter(kind=OrganisationKind.BROKER)
    if user_sees_all_organisations(user=user):
        return brokers
    if user.organisation_id is None:
        return brokers.none()
    return brokers.filter(pk=user.organisation_id)


def shielded_balance_list(*, user: User) -> list[ShieldedBalance]:
    """Shielded cash per broker (the caller's own, for any member of a broker; all for
    regulators and operators): the sum of unspent and of pending notes found in Final blocks,
    with the scanner's Final height; ``currency`` is empty while the chain does not answer."""
    from ledger.models import PHOENIX_CURSOR, ChainCursor

    try:
        currency = shielded_currency()
    except ApplicationError:
        currency = ""

    cursor = ChainCursor.objects.filter(name=PHOENIX_CURSOR).first()
    height = cursor.final_height if cursor else 0
    balances = []
    for organisation in _visible_organisations(user).order_by("legal_name"):
        notes = ShieldedNote.objects.filter(key__organisation=organisation)
        sums = {
            status: notes.filter(status=status).aggregate(total=Sum("value"))["total"] or 0
            for status in (NoteStatus.UNSPENT, NoteStatus.PENDING)
        }
        balances.append(
            ShieldedBalance(
                organisation.lei,
                organisation.legal_name,
                currency,
                Decimal(sums[NoteStatus.UNSPENT]) / MINOR_UNITS,
                Decimal(sums[NoteStatus.PENDING]) / MINOR_UNITS,
                notes.exclude(status=NoteStatus.SPENT).count(),
                height,
            )
        )
    return balances


def shielded_note_list(*, user: User, filters: Any = None) -> QuerySet[ShieldedNote]:
    """The notes of the brokers the caller sees (newest first), filtered by ``status``
    (``ShieldedNoteFilter``)."""
    notes = ShieldedNote.objects.filter(key__organisation__in=_visible_organisations(user)).select_related(
        "key__organisation"
    )
    return apply_filters(ShieldedNoteFilter, notes, filters)


def shielded_transfer_list(*, user: User, filters: Any = None) -> QuerySet[ShieldedTransfer]:
    """Shielded transfers the caller sees: made by or paid to its organisation (all for
    regulators and operators), newest first; filters ``kind`` and ``status``
    (``ShieldedTransferFilter``)."""
    transfers = ShieldedTransfer.objects.select_related(
        "organisation", "receiver", "submission", "proof_job"
    ).order_by("-created_at", "-id")
    if not user_sees_all_organisations(user=user):
        if user.organisation_id is None:
            return transfers.none()
        transfers = transfers.filter(
            Q(organisation_id=user.organisation_id) | Q(receiver_id=user.organisation_id)
        )
    return apply_filters(ShieldedTransferFilter, transfers, filters)


def shielded_transfer_get(*, user: User, transfer_id: Any) -> ShieldedTransfer:
    """One transfer the caller sees; ``NotFoundError`` otherwise."""
    transfer = shielded_transfer_list(user=user).filter(pk=transfer_id).first()
    if transfer is None:
        raise NotFoundError("No such shielded transfer.")
    return transfer
