"""Compliance actions on chain: freezing or unfreezing an account on an instrument, pausing
or unpausing the instrument, and forced transfers under maker-checker.

Each action is a ``ComplianceAction`` row executed as one call of the security token
(``freeze``, ``pause`` / ``unpause``, ``force_transfer``) from the issuer's chain account
through the outbox, and closed by its outcome handler when the block is Final. Only a
compliance officer of the issuer acts (``compliance.permissions``); the check, the row, the
queued call and the audit entry are one transaction: bad input changes nothing.

Freeze and pause take effect at once (one officer, a reason required). Forced transfers:
proposed (pending) by one officer with a reason and a PDF; approved by another officer of
the issuer (submitted), executed when Final; or rejected.
"""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal, InvalidOperation

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from chain.node.client import contract_abi
from common.exceptions import ConflictError, InvalidInput, PermissionDeniedError
from common.services import audit_entry_create
from compliance.models import ActionKind, ActionStatus, ComplianceAction, ForcedTransferReason
from compliance.permissions import officer_instrument, require_on_chain
from identity.models import User
from issuance.allocation import compute_units
from issuance.services import MAX_DOCUMENT_BYTES, validate_pdf
from ledger import outbox
from ledger.models import ChainSubmission, TokenHolding

KIND_ACTION = "compliance.action"


def parse_address(value: str, field: str = "address") -> bytes:
    """A 49-byte Address from hex (``0x`` optional); ``InvalidInput`` naming ``field``."""
    text = value.strip().removeprefix("0x")
    try:
        raw = bytes.fromhex(text)
        if len(raw) != 49 or raw[0] not in (0, 1):
            raise ValueError
    except ValueError:
        raise InvalidInput(
            f"{field} is not a 49-byte Address in hex (tag 0 account or 1 contract).",
            code="invalid_address",
            details={field: ["Not an Address."]},
        ) from None
    return raw


def _action_execute(action: ComplianceAction, *, fn_name: str, fn_args: bytes, actor: User) -> None:
    action.submission = outbox.chain_call_enqueue(
        organisation=action.instrument.issuer,
        kind=KIND_ACTION,
        contract=action.instrument.contract_id,
        fn_name=fn_name,
        fn_args=fn_args,
        subject=action,
    )
    action.status = ActionStatus.SUBMITTED
    action.save()


@transaction.atomic
def account_freeze(
    *, actor: User, instrument_id: uuid.UUID, holder: str, frozen: bool, reason: str
) -> ComplianceAction:
    """Freeze (or unfreeze) an account on an instrument at once (the token's ``freeze``, as
    its compliance agent); a reason is required. Audited with the flag before and after."""
    instrument = officer_instrument(actor=actor, instrument_id=instrument_id, action="freeze accounts")
    require_on_chain(instrument)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Say why.", code="reason_required", details={"reason_text": ["Required."]})
    address = parse_address(holder, "holder")
    action = ComplianceAction.objects.create(
        instrument=instrument,
        kind=ActionKind.FREEZE if frozen else ActionKind.UNFREEZE,
        holder=address.hex(),
        reason_text=reason,
        proposed_by=actor,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    _action_execute(action, fn_name="freeze", fn_args=address + bytes([1 if frozen else 0]), actor=actor)
    audit_entry_create(
        actor=actor,
        action=f"compliance_action.{action.kind}",
        obj=action,
        organisation=instrument.issuer,
        before={"frozen": not frozen},
        changes={
            "holder": action.holder,
            "frozen": frozen,
            "reason": reason,
            "submission": str(action.submission_id),
        },
    )
    return action


@transaction.atomic
def instrument_pause(*, actor: User, instrument_id: uuid.UUID, paused: bool, reason: str) -> ComplianceAction:
    """Pause (or unpause) every transfer of an instrument at once (the token's ``pause``,
    as its issuer agent); a reason is required."""
    instrument = officer_instrument(actor=actor, instrument_id=instrument_id, action="pause the instrument")
    require_on_chain(instrument)
    reason = reason.strip()
    if not reason:
        raise InvalidInput("Say why.", code="reason_required", details={"reason_text": ["Required."]})
    action = ComplianceAction.objects.create(
        instrument=instrument,
        kind=ActionKind.PAUSE if paused else ActionKind.UNPAUSE,
        reason_text=reason,
        proposed_by=actor,
        decided_by=actor,
        decided_at=timezone.now(),
    )
    _action_execute(action, fn_name="pause" if paused else "unpause", fn_args=b"", actor=actor)
    audit_entry_create(
        actor=actor,
        action=f"compliance_action.{action.kind}",
        obj=action,
        organisation=instrument.issuer,
        before={"paused": not paused},
        changes={"paused": paused, "reason": reason, "submission": str(action.submission_id)},
    )
    return action


@transaction.atomic
def forced_transfer_propose(
    *,
    actor: User,
    instrument_id: uuid.UUID,
    holder: str,
    receiver: str,
    quantity: Decimal,
    reason_code: int,
    reason_text: str,
    document: UploadedFile | None,
) -> ComplianceAction:
    """Propose a forced transfer of ``quantity`` (the instrument's quantity: nominal or
    units) from ``holder`` to ``receiver`` (Address hex). Mandatory: a reason code
    (``ForcedTransferReason``) and text, and a PDF document (checked with pypdf; its
    SHA-256 is kept). Raises ``InvalidInput`` listing every missing or wrong field; nothing
    is stored then. Executed only after another officer approves."""
    instrument = officer_instrument(
        actor=actor, instrument_id=instrument_id, action="propose forced transfers"
    )
    require_on_chain(instrument)
    errors: dict[str, list[str]] = {}
    if reason_code not in ForcedTransferReason.values:
        errors["reason_code"] = [f"One of {', '.join(str(v) for v in ForcedTransferReason.values)}."]
    if not reason_text.strip():
        errors["reason_text"] = ["A forced transfer needs a reason."]
    content = b""
    if document is None:
        errors["document"] = ["A forced transfer needs its document (court order, declaration …) as a PDF."]
    elif document.size is not None and document.size > MAX_DOCUMENT_BYTES:
        errors["document"] = ["The document is larger than 20 MiB."]
    else:
        content = document.read()
        try:
            validate_pdf(content=content)
        except InvalidInput as exc:
            errors["document"] = [exc.message]
    sender = receiver_address = b""
    try:
        sender = parse_address(holder, "holder")
    except InvalidInput as exc:
        errors["holder"] = [exc.message]
    try:
        receiver_address = parse_address(receiver, "receiver")
    except InvalidInput as exc:
        errors["receiver"] = [exc.message]
    if sender and sender == receiver_address:
        errors["receiver"] = ["The receiver must differ from the holder."]
    units = 0
    try:
        units = compute_units(instrument, Decimal(str(quantity)))
        if units <= 0:
            errors["quantity"] = ["Must be positive."]
    except (InvalidInput, InvalidOperation) as exc:
        errors["quantity"] = [getattr(exc, "message", "Not a number.")]
    if sender and units > 0 and "quantity" not in errors:
        held = TokenHolding.objects.filter(contract=instrument.contract_id, holder=sender.hex()).first()
        if held is None or int(held.balance) < units:
            errors["quantity"] = [
                f"The holder holds {0 if held is None else int(held.balance)} units, fewer than {units}."
            ]
    if errors:
        raise InvalidInput(
            "The forced transfer cannot be proposed: " + " ".join(f"{k}: {v[0]}" for k, v in errors.items()),
            code="invalid_forced_transfer",
            details=errors,
        )
    assert document is not None  # checked above  # noqa: S101
    sha256 = hashlib.sha256(content).hexdigest()
    action = ComplianceAction(
        instrument=instrument,
        kind=ActionKind.FORCED_TRANSFER,
        holder=sender.hex(),
        receiver=receiver_address.hex(),
        quantity=Decimal(str(quantity)),
        units=units,
        reason_code=reason_code,
        reason_text=reason_text.strip(),
        document_filename=(document.name or "document.pdf")[:255],
        document_sha256=sha256,
        proposed_by=actor,
    )
    action.document.save(f"{uuid.uuid4()}.pdf", ContentFile(content), save=False)
    action.save()
    audit_entry_create(
        actor=actor,
        action="compliance_action.forced_transfer_propose",
        obj=action,
        organisation=instrument.issuer,
        changes={
            "holder": action.holder,
            "receiver": action.receiver,
            "quantity": str(action.quantity),
            "units": units,
            "reason_code": reason_code,
            "reason_text": action.reason_text,
            "document_sha256": sha256,
        },
    )
    return action


def _locked_action(*, actor: User, action_id: uuid.UUID, action: str) -> ComplianceAction:
    from compliance.selectors import action_get

    row = action_get(user=actor, action_id=action_id)  # 404 unless the actor may know it
    officer_instrument(actor=actor, instrument_id=row.instrument_id, action=action)
    return (
        ComplianceAction.objects.select_for_update(of=("self",))
        .select_related("instrument__issuer")
        .get(pk=action_id)
    )


@transaction.atomic
def forced_transfer_approve(*, actor: User, action_id: uuid.UUID) -> ComplianceAction:
    """A second compliance officer approves: ``force_transfer`` (``from ‖ to ‖ amount ‖
    reason:u16``) is queued. Raises ``PermissionDeniedError`` (``maker_cannot_approve``)
    for the proposer, ``ConflictError`` unless pending."""
    action = _locked_action(actor=actor, action_id=action_id, action="approve forced transfers")
    if action.kind != ActionKind.FORCED_TRANSFER or action.status != ActionStatus.PENDING:
        raise ConflictError(
            "Only a pending forced transfer can be approved.",
            code="invalid_transition",
            details={"status": action.status},
        )
    if actor.pk == action.proposed_by_id:
        raise PermissionDeniedError(
            "The proposer of a forced transfer cannot approve it: a second compliance officer must.",
            code="maker_cannot_approve",
        )
    action.decided_by, action.decided_at = actor, timezone.now()
    args = (
        bytes.fromhex(action.holder)
        + bytes.fromhex(action.receiver)
        + contract_abi.encode_u64(int(action.units or 0))
        + int(action.reason_code or 0).to_bytes(2, "little")
    )
    _action_execute(action, fn_name="force_transfer", fn_args=args, actor=actor)
    audit_entry_create(
        actor=actor,
        action="compliance_action.forced_transfer_approve",
        obj=action,
        organisation=action.instrument.issuer,
        before={"status": ActionStatus.PENDING},
        changes={"status": ActionStatus.SUBMITTED, "submission": str(action.submission_id)},
    )
    return action


@transaction.atomic
def forced_transfer_reject(*, actor: User, action_id: uuid.UUID, comment: str) -> ComplianceAction:
    """A second compliance officer rejects a pending forced transfer (comment required)."""
    comment = comment.strip()
    if not comment:
        raise InvalidInput(
            "Say why the forced transfer is rejected.",
            code="comment_required",
            details={"comment": ["Required."]},
        )
    action = _locked_action(actor=actor, action_id=action_id, action="reject forced transfers")
    if action.kind != ActionKind.FORCED_TRANSFER or action.status != ActionStatus.PENDING:
        raise ConflictError(
            "Only a pending forced transfer can be rejected.",
            code="invalid_transition",
            details={"status": action.status},
        )
    if actor.pk == action.proposed_by_id:
        raise PermissionDeniedError(
            "The proposer of a forced transfer cannot reject it.", code="maker_cannot_approve"
        )
    action.status, action.decided_by, action.decided_at, action.rejection_comment = (
        ActionStatus.REJECTED,
        actor,
        timezone.now(),
        comment,
    )
    action.save()
    audit_entry_create(
        actor=actor,
        action="compliance_action.forced_transfer_reject",
        obj=action,
        organisation=action.instrument.issuer,
        before={"status": ActionStatus.PENDING},
        changes={"status": ActionStatus.REJECTED, "comment": comment},
    )
    return action


def on_action_submission(submission: ChainSubmission) -> None:
    """Outcome handler: the action is executed (Final, succeeded) or failed; audited."""
    action = (
        ComplianceAction.objects.select_for_update(of=("self",))
        .select_related("instrument__issuer")
        .filter(pk=submission.subject_id)
        .first()
    )
    if action is None or action.status != ActionStatus.SUBMITTED:
        return
    old = action.status
    if submission.succeeded:
        action.status, action.executed_height = ActionStatus.EXECUTED, submission.block_height
    else:
        action.status, action.error = ActionStatus.FAILED, (submission.error or "failed")[:200]
    action.save()
    audit_entry_create(
        actor=None,
        action=f"compliance_action.{action.kind}_{action.status}",
        obj=action,
        organisation=action.instrument.issuer,
        before={"status": old},
        changes={
            "status": action.status,
            "height": submission.block_height,
            "tx_id": submission.tx_id,
            **({"error": action.error} if action.error else {}),
        },
    )


OUTCOME_HANDLERS = {KIND_ACTION: on_action_submission}
