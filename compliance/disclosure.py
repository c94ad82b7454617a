"""Selective disclosure to regulators (docs/disclosure.md): regulator keys, disclosure
packages sealed to them, their hash recorded on chain, and the regulator's portal.

- A regulator organisation's user registers an X25519 public key (:func:`regulator_key_register`);
  one active key per organisation, the earlier ones retired and kept. The platform never
  sees a regulator's secret key.
- The instrument's issuer (an issuer admin or a compliance officer of the issuer) creates a
  disclosure to one regulator organisation (:func:`disclosure_create`): the register at a
  Final checkpoint (given, or taken for it), the token's movements in the window, and the
  instrument's audit entries in the window with what proves them against a Final audit
  anchor. :func:`disclosure_complete` builds the package once the checkpoint and the anchor
  are Final (at once if they already are; otherwise the beat task
  ``compliance.tasks.disclosures_complete`` retries), seals it
  (``compliance.verify_disclosure.seal_package``) and queues the memo ``gloam/disclosure/1: ‖
  id ‖ SHA-256(plaintext)`` from the issuer's chain account through the outbox;
  :func:`on_disclosure_recorded` marks it ``recorded`` at Final with the tx id and height.
- Regulators list what their own organisation received, see the on-chain record, and
  download an envelope (:func:`disclosure_envelope`); issuers list what they disclosed, never
  the content. Every listing and download is written to the audit trail.

Errors: ``InvalidInput`` (``invalid_key``, ``not_a_regulator``, ``no_regulator_key``,
``invalid_window``, ``checkpoint_not_found``, ``not_live``), ``PermissionDeniedError``
(``permission_denied``), ``NotFoundError`` (an instrument or disclosure the user may not know),
``ConflictError`` (``not_recorded``: nothing to download yet), ``ChainUnavailable``.
"""

from __future__ import annotations

import base64
import datetime
import uuid
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from chain.node.client import RpcError
from common.audit_hashing import compute_audit_content_digest
from common.exceptions import (
    ChainUnavailable,
    ConflictError,
    InvalidInput,
    NotFoundError,
    PermissionDeniedError,
)
from common.models import AuditEntry
from common.services import audit_entry_create, audit_entry_document
from compliance.audit import audit_anchor_enqueue
from compliance.models import AuditAnchor, Disclosure, RegulatorKey
from compliance.verify_disclosure import (
    ENVELOPE_SCHEMA,
    PACKAGE_SCHEMA,
    DisclosureError,
    compute_key_fingerprint,
    compute_package_hash,
    encode_disclosure_memo,
    encode_package,
    find_first_height_at,
    get_block_timestamp,
    get_token_movements,
    parse_x25519_key,
    seal_package,
)
from identity.models import Organisation, User
from identity.roles import OrganisationKind, Role
from issuance.deployment import compute_deploy_nonce
from issuance.models import Instrument, InstrumentCheckpoint, InstrumentStatus
from issuance.register import instrument_register_at_checkpoint
from issuance.selectors import CHECKPOINT_KIND, instrument_get
from ledger.chain import get_node_client
from ledger.indexer import get_final_height
from ledger.models import ChainAccount, ChainSubmission
from ledger.outbox import chain_call_enqueue, chain_memo_enqueue, register_outcome_handler

DISCLOSURE_KIND = "compliance.disclosure"
#: Roles of the issuer's users that may disclose its instruments.
DISCLOSER_ROLES = (Role.ISSUER_ADMIN, Role.COMPLIANCE_OFFICER)


# -- regulator keys ----------------------------------------------------------------------------
def _regulator_user(actor: User) -> Organisation:
    organisation = actor.organisation
    is_regulator = organisation is not None and organisation.kind == OrganisationKind.REGULATOR
    if organisation is None or not is_regulator or not actor.has_role(Role.REGULATOR):
        raise PermissionDeniedError(
            "Only a regulator organisation's users register disclosure keys.", code="not_a_regulator"
        )
    return organisation


@transaction.atomic
def regulator_key_register(*, actor: User, public_key: str) -> RegulatorKey:
    """Register the actor's regulator organisation's X25519 public key (32 bytes as base64 or
    hex) as its active key; the previous active key, if any, is retired (kept for the
    packages sealed to it). Raises ``PermissionDeniedError`` (``not_a_regulator``) for anyone
    but a regulator's user, ``InvalidInput`` (``invalid_key``) for anything but 32 bytes, and
    ``ConflictError`` (``key_already_active``) for the key that is already active."""
    organisation = _regulator_user(actor)
    try:
        raw = parse_x25519_key(public_key, name="public key")
    except DisclosureError as exc:
        raise InvalidInput(str(exc).capitalize() + ".", code="invalid_key") from exc
    if raw == bytes(32):
        raise InvalidInput("The all-zero key is not a public key.", code="invalid_key")
    fingerprint = compute_key_fingerprint(raw)
    Organisation.objects.select_for_update().get(pk=organisation.pk)  # one rotation at a time
    previous = RegulatorKey.objects.filter(organisation=organisation, active=True).first()
    if previous is not None and previous.fingerprint == fingerprint:
        raise ConflictError("This key is already the active one.", code="key_already_active")
    if previous is not None:
        previous.active, previous.retired_at = False, timezone.now()
        previous.save(update_fields=["active", "retired_at", "updated_at"])
    key = RegulatorKey.objects.create(
        organisation=organisation,
        public_key=base64.b64encode(raw).decode("ascii"),
        fingerprint=fingerprint,
        registered_by=actor,
    )
    audit_entry_create(
        actor=actor,
        action="regulator_key.register",
        obj=key,
        organisation=organisation,
        changes={"fingerprint": fingerprint, "public_key": key.public_key},
        before={"fingerprint": previous.fingerprint} if previous is not None else None,
    )
    return key


def regulator_key_list(*, user: User) -> QuerySet[RegulatorKey]:
    """The keys (active first, then retired, newest first) of the user's regulator
    organisation; empty for anyone else."""
    if user.organisation is None or user.organisation.kind != OrganisationKind.REGULATOR:
        return RegulatorKey.objects.none()
    return RegulatorKey.objects.filter(organisation=user.organisation).order_by("-active", "-created_at")


def regulator_organisation_list() -> QuerySet[Organisation]:
    """Regulator organisations with an active key: the possible recipients of a disclosure."""
    return Organisation.objects.filter(kind=OrganisationKind.REGULATOR, regulator_keys__active=True).order_by(
        "legal_name"
    )


# -- creating and building disclosures ----------------------------------------------------------
def _check_discloser(actor: User, instrument: Instrument) -> None:
    if actor.organisation_id != instrument.issuer_id or not actor.has_role(*DISCLOSER_ROLES):
        raise PermissionDeniedError(
            f"Only an issuer admin or a compliance officer of {instrument.issuer.legal_name} "
            "may disclose this instrument.",
            details={"required_role": [r.value for r in DISCLOSER_ROLES]},
        )


def _whole_seconds(moment: datetime.datetime) -> datetime.datetime:
    if timezone.is_naive(moment):
        raise InvalidInput("Times must carry a time zone.", code="invalid_window")
    return moment.astimezone(datetime.UTC).replace(microsecond=0)


@transaction.atomic
def disclosure_create(
    *,
    actor: User,
    instrument_id: uuid.UUID,
    regulator_id: uuid.UUID,
    window_start: datetime.datetime,
    window_end: datetime.datetime,
    checkpoint_number: int | None = None,
) -> Disclosure:
    """Disclose ``instrument_id`` to the regulator organisation ``regulator_id`` for the time
    window ``[window_start, window_end)`` (cut to whole seconds, UTC; an end in the future is
    cut to now). The register is at the recorded Final checkpoint ``checkpoint_number``, or,
    if none is given, at a checkpoint taken now through the outbox. Audit entries written
    after this call are not included. The package is built at once if it can be
    (:func:`disclosure_complete`), otherwise when the checkpoint and an audit anchor covering
    its entries are Final (an anchor is queued if none is pending)."""
    instrument = instrument_get(user=actor, instrument_id=instrument_id)
    instrument = Instrument.objects.select_related("issuer").get(pk=instrument.pk)
    _check_discloser(actor, instrument)
    if instrument.status != InstrumentStatus.LIVE or not instrument.contract_id:
        raise InvalidInput("Only a live instrument on chain can be disclosed.", code="not_live")
    regulator = Organisation.objects.filter(pk=regulator_id).first()
    if regulator is None or regulator.kind != OrganisationKind.REGULATOR:
        raise InvalidInput(
            "A disclosure goes to a regulator organisation only.",
            code="not_a_regulator",
            details={"regulator": str(regulator_id)},
        )
    key = RegulatorKey.objects.filter(organisation=regulator, active=True).first()
    if key is None:
        raise InvalidInput(
            f"{regulator.legal_name} has registered no disclosure key.", code="no_regulator_key"
        )
    now = timezone.now().replace(microsecond=0)
    start, end = _whole_seconds(window_start), min(_whole_seconds(window_end), now)
    if start >= end:
        raise InvalidInput(
            "The window must start before it ends, and before now.",
            code="invalid_window",
            details={"window_start": start.isoformat(), "window_end": end.isoformat()},
        )
    checkpoint = None
    if checkpoint_number is not None:
        checkpoints = InstrumentCheckpoint.objects.filter(instrument=instrument)
        checkpoint = checkpoints.filter(number=checkpoint_number).first()
        if checkpoint is None:
            raise InvalidInput(
                f"{instrument.isin} has no recorded checkpoint {checkpoint_number}.",
                code="checkpoint_not_found",
            )
    if not ChainAccount.objects.filter(organisation=instrument.issuer).exists():
        raise InvalidInput(f"{instrument.issuer.legal_name} has no chain account.", code="no_chain_account")
    entries = AuditEntry.objects.filter(sequence__isnull=False).order_by("-sequence")
    head = entries.values_list("sequence", flat=True).first()
    disclosure = Disclosure.objects.create(
        instrument=instrument,
        discloser=instrument.issuer,
        regulator=regulator,
        regulator_key=key,
        created_by=actor,
        window_start=start,
        window_end=end,
        audit_last_sequence=head or 0,
        checkpoint=checkpoint,
    )
    if checkpoint is None:
        disclosure.checkpoint_submission = chain_call_enqueue(
            organisation=instrument.issuer,
            kind=CHECKPOINT_KIND,
            contract=instrument.contract_id,
            fn_name="checkpoint",
            fn_args=b"",
            subject=instrument,
        )
        disclosure.save(update_fields=["checkpoint_submission", "updated_at"])
    audit_entry_create(
        actor=actor,
        action="disclosure.create",
        obj=disclosure,
        organisation=instrument.issuer,
        changes={
            "regulator": str(regulator.pk),
            "regulator_key": key.fingerprint,
            "window_start": start.isoformat(),
            "window_end": end.isoformat(),
            "checkpoint": checkpoint_number,
            "audit_last_sequence": disclosure.audit_last_sequence,
        },
    )
    if _disclosed_entries(disclosure).exists():
        audit_anchor_enqueue()  # nothing if an anchor of the head is already pending or done
    from compliance.tasks import disclosure_complete as complete_task  # the tasks import this module

    disclosure_id = str(disclosure.pk)
    transaction.on_commit(lambda: complete_task.delay(disclosure_id))
    return disclosure


def _disclosed_entries(disclosure: Disclosure) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        instrument_id=str(disclosure.instrument_id),
        created_at__gte=disclosure.window_start,
        created_at__lt=disclosure.window_end,
        sequence__isnull=False,
        sequence__lte=disclosure.audit_last_sequence,
    ).order_by("sequence")


def _fail(disclosure: Disclosure, reason: str) -> Disclosure:
    disclosure.status, disclosure.error = Disclosure.Status.FAILED, reason[:200]
    disclosure.save(update_fields=["status", "error", "updated_at"])
    audit_entry_create(
        actor=None,
        action="disclosure.failed",
        obj=disclosure,
        organisation=disclosure.discloser,
        changes={"error": disclosure.error},
    )
    return disclosure


def _ready_checkpoint(disclosure: Disclosure) -> InstrumentCheckpoint | None | str:
    """The Final checkpoint, ``None`` while it is not, or the reason it never will be."""
    if disclosure.checkpoint is not None:
        return disclosure.checkpoint
    submission = disclosure.checkpoint_submission
    assert submission is not None  # one of the two is set at creation
    if submission.status == ChainSubmission.Status.REJECTED or submission.succeeded is False:
        return f"the checkpoint was not taken: {submission.error or 'rejected'}"
    if submission.status != ChainSubmission.Status.FINAL or not submission.handled:
        return None
    data = submission.event_data("checkpoint")
    if data is None:
        return "the checkpoint's transaction reported no checkpoint"
    number = int.from_bytes(data[:4], "little")
    return InstrumentCheckpoint.objects.filter(instrument=disclosure.instrument, number=number).first()


def _ready_anchor(disclosure: Disclosure, last_sequence: int) -> AuditAnchor | None:
    anchor = (
        AuditAnchor.objects.filter(status=AuditAnchor.Status.ANCHORED, sequence__gte=last_sequence)
        .order_by("sequence")
        .first()
    )
    if (
        anchor is None
        and not AuditAnchor.objects.filter(
            status=AuditAnchor.Status.PENDING, sequence__gte=last_sequence
        ).exists()
    ):
        audit_anchor_enqueue()  # the earlier one failed, or anchoring is off: ask again
    return anchor


def disclosure_complete(*, disclosure_id: uuid.UUID) -> Disclosure:
    """Build, seal and queue the recording of a ``building`` disclosure if its checkpoint and
    the audit anchor it needs are Final and the chain's Final blocks reach the window's end;
    otherwise leave it ``building`` (or ``failed`` if its checkpoint failed). Idempotent.
    Raises ``ChainUnavailable`` if no node answers."""
    with transaction.atomic():
        disclosure = (
            Disclosure.objects.select_for_update()
            .select_related("instrument__issuer", "regulator", "regulator_key", "created_by", "discloser")
            .get(pk=disclosure_id)
        )
        if disclosure.status != Disclosure.Status.BUILDING:
            return disclosure
        checkpoint = _ready_checkpoint(disclosure)
        if isinstance(checkpoint, str):
            return _fail(disclosure, checkpoint)
        if checkpoint is None:
            return disclosure
        entries = list(_disclosed_entries(disclosure))
        anchor = _ready_anchor(disclosure, entries[-1].sequence or 0) if entries else None
        if entries and anchor is None:
            return disclosure
        try:
            package = _build_package(disclosure, checkpoint, entries, anchor)
        except RpcError as exc:
            raise ChainUnavailable(f"The chain cannot be read: {exc}") from exc
        if package is None:
            return disclosure  # the Final blocks do not reach the window's end yet
        plaintext = encode_package(package)
        package_hash = compute_package_hash(plaintext)
        public_key = base64.b64decode(disclosure.regulator_key.public_key)
        disclosure.checkpoint = checkpoint
        disclosure.anchor = anchor
        disclosure.ciphertext = seal_package(plaintext, public_key)
        disclosure.package_sha256 = package_hash
        disclosure.package_size = len(plaintext)
        disclosure.summary = {
            "holders": len(package["register"]["holders"]),
            "transfers": len(package["transfers"]),
            "audit_entries": len(package["audit"]["entries"]),
            "first_height": package["window"]["first_height"],
            "last_height": package["window"]["last_height"],
            "checkpoint": checkpoint.number,
        }
        disclosure.submission = chain_memo_enqueue(
            organisation=disclosure.instrument.issuer,
            kind=DISCLOSURE_KIND,
            memo=encode_disclosure_memo(disclosure.pk, package_hash),
            subject=disclosure,
        )
        disclosure.status = Disclosure.Status.SEALED
        disclosure.save()
        audit_entry_create(
            actor=None,
            action="disclosure.seal",
            obj=disclosure,
            organisation=disclosure.discloser,
            changes={"package_sha256": package_hash, **disclosure.summary},
        )
        return disclosure


def disclosures_complete() -> int:
    """Try every ``building`` disclosure (the beat task); returns how many were sealed."""
    sealed = 0
    building = Disclosure.objects.filter(status=Disclosure.Status.BUILDING).values_list("pk", flat=True)
    for disclosure_id in building:
        if disclosure_complete(disclosure_id=disclosure_id).status == Disclosure.Status.SEALED:
            sealed += 1
    return sealed


def _build_package(
    disclosure: Disclosure,
    checkpoint: InstrumentCheckpoint,
    entries: list[AuditEntry],
    anchor: AuditAnchor | None,
) -> dict[str, Any] | None:
    instrument = disclosure.instrument
    issuer_account = ChainAccount.objects.get(organisation=instrument.issuer)
    start, end = int(disclosure.window_start.timestamp()), int(disclosure.window_end.timestamp())
    with get_node_client(timeout=10.0) as client:
        final = get_final_height(client)
        if get_block_timestamp(client, final) < end:
            return None
        first = find_first_height_at(client, start, final)
        last = find_first_height_at(client, end, final) - 1
        transfers = get_token_movements(client, instrument.contract_id, first, last)
    register = instrument_register_at_checkpoint(
        user=disclosure.created_by, instrument_id=instrument.pk, number=checkpoint.number
    )
    return {
        "schema": PACKAGE_SCHEMA,
        "disclosure_id": str(disclosure.pk),
        "created_at": disclosure.created_at.isoformat(),
        "discloser": _organisation_json(disclosure.discloser),
        "regulator": {
            **_organisation_json(disclosure.regulator),
            "key_fingerprint": disclosure.regulator_key.fingerprint,
        },
        "instrument": {
            "id": str(instrument.pk),
            "isin": instrument.isin,
            "name": instrument.name,
            "kind": instrument.kind,
            "currency": instrument.currency,
            "issue_size": format(instrument.issue_size.normalize(), "f"),
            "issue_size_unit": instrument.issue_size_unit,
            "token_unit": format(instrument.token_unit.normalize(), "f"),
            "contract_id": instrument.contract_id,
            "deploy_nonce": compute_deploy_nonce(instrument),
            "issuer_public_key": issuer_account.public_key,
        },
        "window": {
            "start": disclosure.window_start.isoformat(),
            "end": disclosure.window_end.isoformat(),
            "first_height": first,
            "last_height": last,
        },
        "register": {
            "checkpoint": checkpoint.number,
            "height": checkpoint.height,
            "total_supply": checkpoint.total_supply,
            "holder_count": checkpoint.holder_count,
            "holders": [
                {
                    "holder": "0x" + row.holder,
                    "name": row.name,
                    "kind": row.kind,
                    "units": row.units,
                    "quantity": format(row.quantity.normalize(), "f"),
                    "percent_of_issue": format(row.percent.normalize(), "f"),
                }
                for row in register.rows
            ],
        },
        "transfers": transfers,
        "audit": _audit_section(entries, anchor),
    }


def _organisation_json(organisation: Organisation) -> dict[str, str]:
    return {"id": str(organisation.pk), "legal_name": organisation.legal_name, "lei": organisation.lei}


def _audit_section(entries: list[AuditEntry], anchor: AuditAnchor | None) -> dict[str, Any]:
    if not entries or anchor is None:
        return {"previous_hash": None, "entries": [], "digests": [], "anchor": None}
    disclosed = {entry.sequence for entry in entries}
    between = AuditEntry.objects.filter(
        sequence__gte=entries[0].sequence, sequence__lte=anchor.sequence
    ).exclude(sequence__in=disclosed)
    return {
        "previous_hash": entries[0].previous_hash,
        "entries": [audit_entry_document(entry) for entry in entries],
        "digests": [
            {"sequence": e.sequence, "content_digest": compute_audit_content_digest(audit_entry_document(e))}
            for e in between.order_by("sequence").iterator()
        ],
        "anchor": {
            "sequence": anchor.sequence,
            "entry_hash": anchor.entry_hash,
            "tx_id": anchor.tx_id,
            "height": anchor.block_height,
        },
    }


def on_disclosure_recorded(submission: ChainSubmission) -> None:
    """Outcome handler (ledger.outbox): Final and succeeded → ``recorded`` with the tx id
    and height; otherwise ``failed``."""
    disclosure = Disclosure.objects.filter(submission=submission).select_related("discloser").first()
    if disclosure is None:
        return
    if submission.status == ChainSubmission.Status.FINAL and submission.succeeded:
        disclosure.status = Disclosure.Status.RECORDED
        disclosure.tx_id, disclosure.block_height = submission.tx_id, submission.block_height
        disclosure.save(update_fields=["status", "tx_id", "block_height", "updated_at"])
        audit_entry_create(
            actor=None,
            action="disclosure.record",
            obj=disclosure,
            organisation=disclosure.discloser,
            changes={"tx_id": submission.tx_id, "block_height": submission.block_height},
        )
    else:
        _fail(disclosure, f"the hash was not recorded: {submission.error or 'rejected'}")


def register_handlers() -> None:
    register_outcome_handler(DISCLOSURE_KIND, on_disclosure_recorded)


# -- reading: the portal and the issuer's list --------------------------------------------------
def disclosure_list(*, user: User, instrument_id: uuid.UUID | None = None) -> QuerySet[Disclosure]:
    """Disclosures the user may know of, newest first: a regulator's users see those its
    organisation received; the issuer's users those it made; nobody else any. ``instrument_id``
    narrows it to one instrument."""
    if user.organisation_id is None:
        return Disclosure.objects.none()
    queryset = Disclosure.objects.select_related("instrument", "regulator", "discloser", "regulator_key")
    if user.organisation is not None and user.organisation.kind == OrganisationKind.REGULATOR:
        queryset = queryset.filter(regulator_id=user.organisation_id)
    else:
        queryset = queryset.filter(discloser_id=user.organisation_id)
    if instrument_id is not None:
        queryset = queryset.filter(instrument_id=instrument_id)
    return queryset.order_by("-created_at")


def disclosure_get(*, user: User, disclosure_id: uuid.UUID) -> Disclosure:
    """One disclosure the user may know of; ``NotFoundError`` for any other."""
    disclosure = disclosure_list(user=user).filter(pk=disclosure_id).first()
    if disclosure is None:
        raise NotFoundError("Disclosure not found.")
    return disclosure


def audit_entries_without_other_regulators_disclosures(
    queryset: QuerySet[AuditEntry], *, regulator_organisation_id: uuid.UUID | None
) -> QuerySet[AuditEntry]:
    """``queryset`` without the entries about disclosures sealed to another regulator than
    ``regulator_organisation_id`` (written under the issuer): what a regulator does not read of
    the audit trail besides other regulators' own entries. Registered with identity
    (``identity.hooks.register_regulator_audit_exclusion``, ``ComplianceConfig.ready``)."""
    others = Disclosure.objects.exclude(regulator_id=regulator_organisation_id).values_list("pk", flat=True)
    return queryset.exclude(object_type=Disclosure._meta.label, object_id__in=[str(pk) for pk in others])


@transaction.atomic
def disclosure_access_record(*, actor: User, action: str, filters: dict[str, Any]) -> None:
    """Write a listing of disclosures to the audit trail (access to packages is audited)."""
    audit_entry_create(
        actor=actor,
        action=f"disclosure.{action}",
        obj=actor.organisation or actor,
        organisation=actor.organisation,
        changes={"filters": filters},
        instrument_id=str(filters["instrument"]) if filters.get("instrument") else "",
    )


@transaction.atomic
def disclosure_envelope(*, actor: User, disclosure_id: uuid.UUID) -> dict[str, Any]:
    """The envelope of a recorded disclosure, for its regulator's users only (others: 404),
    audited as ``disclosure.download``: JSON with the disclosure id, the instrument's ISIN and
    token, the key's fingerprint, the package hash and size, the recording tx id and height
    and the base64 ciphertext (docs/disclosure.md). ``ConflictError`` (``not_recorded``)
    before its hash is Final on chain."""
    disclosure = disclosure_get(user=actor, disclosure_id=disclosure_id)
    if disclosure.regulator_id != actor.organisation_id or not actor.has_role(Role.REGULATOR):
        raise NotFoundError("Disclosure not found.")
    if disclosure.status != Disclosure.Status.RECORDED:
        raise ConflictError("The package's hash is not recorded on chain yet.", code="not_recorded")
    audit_entry_create(
        actor=actor,
        action="disclosure.download",
        obj=disclosure,
        organisation=actor.organisation,
        changes={"package_sha256": disclosure.package_sha256},
    )
    return {
        "schema": ENVELOPE_SCHEMA,
        "disclosure_id": str(disclosure.pk),
        "instrument": {"isin": disclosure.instrument.isin, "contract_id": disclosure.instrument.contract_id},
        "regulator_key_fingerprint": disclosure.regulator_key.fingerprint,
        "package_sha256": disclosure.package_sha256,
        "package_size": disclosure.package_size,
        "tx_id": disclosure.tx_id,
        "block_height": disclosure.block_height,
        "ciphertext": base64.b64encode(bytes(disclosure.ciphertext)).decode("ascii"),
    }


def disclosed_instruments(*, user: User) -> QuerySet[Instrument]:
    """Instruments with a disclosure the user may know of (for the portal's filter)."""
    ids = disclosure_list(user=user).values_list("instrument_id", flat=True)
    return Instrument.objects.filter(Q(pk__in=ids)).order_by("isin")
