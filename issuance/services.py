"""Writes: instruments, their documents and the maker-checker workflow. Each change is audited.

Workflow (``InstrumentStatus``)::

    draft ──submit──► submitted ──approve──► approved ──► deploying ──► live ──► matured ──► redeemed
      ▲                   │                                                  └──────────► redeemed
      └──────reject───────┘

Issuer admins (the makers) create, edit (while draft), attach documents (while draft) and
submit; an issuer approver of the same organisation who never changed the instrument (did
not create, edit, attach a document to or submit it: ``MAKER_ACTIONS`` in its audit trail,
``issuance.maker_checker``) approves or rejects it (the checker). Deployment on chain (approved → deploying
→ live) belongs to the chain outbox and is not implemented here; ``ALLOWED_TRANSITIONS``
lists every move the model allows.

Every service checks visibility (404) and role (403) first, validates, then writes and
records its audit entry in one transaction: bad input changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Mapping
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from common.exceptions import ConflictError, InvalidInput, PermissionDeniedError
from common.services import audit_entry_create
from identity.models import User
from identity.roles import OrganisationKind, Role
from issuance.maker_checker import check_not_maker
from issuance.models import (
    Instrument,
    InstrumentDocument,
    InstrumentStatus,
    compute_isin_from_cusip,
)
from issuance.selectors import instrument_get

#: The terms an issuer admin sets at creation and may edit while the instrument is a draft.
TERM_FIELDS: tuple[str, ...] = (
    "isin",
    "cusip",
    "cfi_code",
    "name",
    "kind",
    "currency",
    "face_value",
    "minimum_denomination",
    "issue_size",
    "issue_size_unit",
    "issue_date",
    "dated_date",
    "maturity_date",
    "coupon_rate",
    "coupon_frequency",
    "day_count",
    "business_day_convention",
    "calendar",
    "end_of_month",
    "floating_index",
    "floating_spread",
    "inflation_linked",
    "issuer_sector",
    "liquid_market",
    "sme_growth_market",
)

#: The audited changes that make their actor a maker of the instrument (may not approve it).
MAKER_ACTIONS: frozenset[str] = frozenset(
    {
        "instrument.create",
        "instrument.update",
        "instrument.document_upload",
        "instrument.tokenize",
        f"instrument.{InstrumentStatus.SUBMITTED}",
    }
)

#: Every status move the model allows. Only draft ⇄ submitted → approved is implemented here;
#: the chain outbox moves approved → deploying → live, corporate actions the rest.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    InstrumentStatus.DRAFT: frozenset({InstrumentStatus.SUBMITTED}),
    InstrumentStatus.SUBMITTED: frozenset({InstrumentStatus.APPROVED, InstrumentStatus.DRAFT}),
    InstrumentStatus.APPROVED: frozenset({InstrumentStatus.DEPLOYING}),
    InstrumentStatus.DEPLOYING: frozenset({InstrumentStatus.LIVE, InstrumentStatus.APPROVED}),
    InstrumentStatus.LIVE: frozenset({InstrumentStatus.MATURED, InstrumentStatus.REDEEMED}),
    InstrumentStatus.MATURED: frozenset({InstrumentStatus.REDEEMED}),
    InstrumentStatus.REDEEMED: frozenset(),
}

#: Largest document accepted, in bytes.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def _normalise(terms: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(terms) - set(TERM_FIELDS)
    if unknown:
        raise InvalidInput(
            f"Unknown instrument fields: {', '.join(sorted(unknown))}.",
            code="unknown_fields",
            details={field: ["Not an instrument term."] for field in sorted(unknown)},
        )
    values = dict(terms)
    for field in ("isin", "cusip", "cfi_code", "currency"):
        if isinstance(values.get(field), str):
            values[field] = values[field].strip().upper()
    for field in ("name", "floating_index"):
        if isinstance(values.get(field), str):
            values[field] = values[field].strip()
    return values


def _derive_isin(instrument: Instrument) -> None:
    """Fill the ISIN from a valid CUSIP when it was left empty."""
    if instrument.cusip and not instrument.isin and not instrument.errors_in("cusip"):
        instrument.isin = compute_isin_from_cusip(instrument.cusip)


def _check_identifiers_free(instrument: Instrument) -> None:
    others = Instrument.objects.exclude(pk=instrument.pk)
    if others.filter(isin=instrument.isin).exists():
        raise ConflictError(
            f"An instrument with ISIN {instrument.isin} already exists.",
            code="duplicate_isin",
            details={"isin": [f"An instrument with ISIN {instrument.isin} already exists."]},
        )
    if instrument.cusip and others.filter(cusip=instrument.cusip).exists():
        raise ConflictError(
            f"An instrument with CUSIP {instrument.cusip} already exists.",
            code="duplicate_cusip",
            details={"cusip": [f"An instrument with CUSIP {instrument.cusip} already exists."]},
        )


def _validate_and_save(instrument: Instrument) -> None:
    instrument.full_clean(validate_unique=False, validate_constraints=False)
    _check_identifiers_free(instrument)
    try:
        with transaction.atomic():
            instrument.save()
    except IntegrityError as exc:  # a concurrent insert of the same ISIN or CUSIP
        raise ConflictError(
            f"An instrument with ISIN {instrument.isin} or CUSIP {instrument.cusip} already exists.",
            code="duplicate_isin",
            details={"isin": ["Already exists."]},
        ) from exc


def check_issuer_role(*, actor: User, instrument: Instrument, role: Role, action: str) -> None:
    if actor.organisation_id != instrument.issuer_id or not actor.has_role(role):
        raise PermissionDeniedError(
            f"Only an {role.label.lower()} of {instrument.issuer.legal_name} may {action} this instrument.",
            details={"required_role": role.value},
        )
    if instrument.is_reference_data:
        raise PermissionDeniedError("Imported reference data is read-only.", code="reference_data_read_only")


def apply_transition(
    *, instrument: Instrument, new_status: str, actor: User | None, comment: str = "", **fields: Any
) -> None:
    """Move a locked instrument to ``new_status``, set ``fields``, save and audit.

    Raises ``ConflictError`` (``invalid_transition``) if ``ALLOWED_TRANSITIONS`` forbids it.
    """
    old_status = instrument.status
    if new_status not in ALLOWED_TRANSITIONS[old_status]:
        raise ConflictError(
            f"An instrument that is {InstrumentStatus(old_status).label.lower()} cannot become "
            f"{InstrumentStatus(new_status).label.lower()}.",
            code="invalid_transition",
            details={"status": old_status, "requested": new_status},
        )
    instrument.status = new_status
    for name, value in fields.items():
        setattr(instrument, name, value)
    instrument.save(update_fields=["status", *fields, "updated_at"])
    changes: dict[str, Any] = {"status": {"old": old_status, "new": new_status}}
    if comment:
        changes["comment"] = comment
    audit_entry_create(
        actor=actor,
        action=f"instrument.{new_status}",
        obj=instrument,
        organisation=instrument.issuer,
        changes=changes,
    )


@transaction.atomic
def instrument_create(*, actor: User, terms: Mapping[str, Any]) -> Instrument:
    """Create a draft instrument for the actor's issuer (issuer admin only).

    ``terms`` holds ``TERM_FIELDS``; an empty ISIN is derived from the CUSIP. Raises
    ``ValidationError`` (field → messages), ``ConflictError`` (``duplicate_isin``,
    ``duplicate_cusip``) or ``PermissionDeniedError``.
    """
    organisation = actor.organisation
    if (
        organisation is None
        or organisation.kind != OrganisationKind.ISSUER
        or not actor.has_role(Role.ISSUER_ADMIN)
    ):
        raise PermissionDeniedError("Only an issuer admin may create instruments.")
    values = _normalise(terms)
    instrument = Instrument(issuer=organisation, created_by=actor, status=InstrumentStatus.DRAFT, **values)
    _derive_isin(instrument)
    _validate_and_save(instrument)
    audit_entry_create(
        actor=actor,
        action="instrument.create",
        obj=instrument,
        organisation=organisation,
        changes={field: getattr(instrument, field) for field in TERM_FIELDS},
    )
    return instrument


@transaction.atomic
def instrument_update(*, actor: User, instrument_id: uuid.UUID, changes: Mapping[str, Any]) -> Instrument:
    """Edit a draft's terms (issuer admin of its issuer). Audits each field as old → new."""
    instrument_get(user=actor, instrument_id=instrument_id)
    instrument = Instrument.objects.select_for_update().select_related("issuer").get(pk=instrument_id)
    check_issuer_role(actor=actor, instrument=instrument, role=Role.ISSUER_ADMIN, action="edit")
    if instrument.status != InstrumentStatus.DRAFT:
        raise ConflictError(
            "Only a draft can be edited; a rejected instrument returns to draft.",
            code="not_editable",
            details={"status": instrument.status},
        )
    values = _normalise(changes)
    if values.get("cusip") and "isin" not in values:
        values["isin"] = ""  # derived again from the new CUSIP
    before = {field: getattr(instrument, field) for field in values}
    for field, value in values.items():
        setattr(instrument, field, value)
    _derive_isin(instrument)
    _validate_and_save(instrument)
    diff = {
        field: {"old": old, "new": getattr(instrument, field)}
        for field, old in before.items()
        if old != getattr(instrument, field)
    }
    if diff:
        audit_entry_create(
            actor=actor,
            action="instrument.update",
            obj=instrument,
            organisation=instrument.issuer,
            changes=diff,
        )
    return instrument


@transaction.atomic
def instrument_tokenize(*, actor: User, instrument_id: uuid.UUID) -> Instrument:
    """The issuer of an imported reference-data security (e.g. a US Treasury note) takes it
    up for issuance here: it becomes the issuer admin's draft, with its real identifiers and
    terms, to go through the maker-checker workflow and deployment like any other.

    Raises ``PermissionDeniedError`` unless the actor is an issuer admin of the instrument's
    issuer, ``ConflictError`` (``not_reference_data``) for an instrument already issuable."""
    instrument_get(user=actor, instrument_id=instrument_id)
    instrument = Instrument.objects.select_for_update().select_related("issuer").get(pk=instrument_id)
    if actor.organisation_id != instrument.issuer_id or not actor.has_role(Role.ISSUER_ADMIN):
        raise PermissionDeniedError("Only an issuer admin of the instrument's issuer may tokenize it.")
    if not instrument.is_reference_data:
        raise ConflictError("The instrument is not reference data.", code="not_reference_data")
    if instrument.issue_size <= 0:
        raise InvalidInput(
            "The imported security has no issue size (its source gave none); it cannot be issued here.",
            code="issue_size_required",
            details={"issue_size": ["Must be greater than zero."]},
        )
    instrument.is_reference_data = False
    instrument.created_by = actor
    instrument.save(update_fields=["is_reference_data", "created_by", "updated_at"])
    audit_entry_create(
        actor=actor,
        action="instrument.tokenize",
        obj=instrument,
        organisation=instrument.issuer,
        changes={"is_reference_data": {"old": True, "new": False}, "source": instrument.source},
    )
    return instrument


@transaction.atomic
def instrument_submit(*, actor: User, instrument_id: uuid.UUID) -> Instrument:
    """Submit a draft for approval (issuer admin of its issuer): the actor becomes a maker."""
    instrument_get(user=actor, instrument_id=instrument_id)
    instrument = Instrument.objects.select_for_update().select_related("issuer").get(pk=instrument_id)
    check_issuer_role(actor=actor, instrument=instrument, role=Role.ISSUER_ADMIN, action="submit")
    apply_transition(
        instrument=instrument,
        new_status=InstrumentStatus.SUBMITTED,
        actor=actor,
        submitted_by=actor,
        submitted_at=timezone.now(),
        rejection_comment="",
    )
    return instrument


def _check_checker(*, actor: User, instrument: Instrument, action: str) -> None:
    check_issuer_role(actor=actor, instrument=instrument, role=Role.ISSUER_APPROVER, action=action)
    check_not_maker(
        actor=actor,
        obj=instrument,
        actions=MAKER_ACTIONS,
        also=(instrument.created_by_id, instrument.submitted_by_id),
        message=f"You changed this instrument (created, edited or submitted it), so you cannot "
        f"{action} it: an approver who never changed it must.",
    )


@transaction.atomic
def instrument_approve(*, actor: User, instrument_id: uuid.UUID) -> Instrument:
    """Approve a submitted instrument (the checker).

    The row is locked (``select_for_update``) so that of two concurrent approvals one
    passes and the other finds it approved (``invalid_transition``). Raises
    ``PermissionDeniedError`` (``maker_cannot_approve``) for any of its makers: its creator,
    submitter and everyone who edited it or attached a document.
    """
    instrument_get(user=actor, instrument_id=instrument_id)
    instrument = Instrument.objects.select_for_update().select_related("issuer").get(pk=instrument_id)
    _check_checker(actor=actor, instrument=instrument, action="approve")
    apply_transition(
        instrument=instrument,
        new_status=InstrumentStatus.APPROVED,
        actor=actor,
        approved_by=actor,
        approved_at=timezone.now(),
    )
    if not instrument.is_reference_data:
        from issuance.deployment import queue_deployment  # it builds on this module

        queue_deployment(instrument)
    return instrument


@transaction.atomic
def instrument_reject(*, actor: User, instrument_id: uuid.UUID, comment: str) -> Instrument:
    """Send a submitted instrument back to draft with the checker's comment (required)."""
    comment = comment.strip()
    if not comment:
        raise InvalidInput(
            "Say why the instrument is rejected.",
            code="comment_required",
            details={"comment": ["Required when rejecting."]},
        )
    instrument_get(user=actor, instrument_id=instrument_id)
    instrument = Instrument.objects.select_for_update().select_related("issuer").get(pk=instrument_id)
    _check_checker(actor=actor, instrument=instrument, action="reject")
    apply_transition(
        instrument=instrument,
        new_status=InstrumentStatus.DRAFT,
        actor=actor,
        comment=comment,
        rejection_comment=comment,
    )
    return instrument


def validate_pdf(*, content: bytes) -> int:
    """Check that ``content`` is a readable PDF; returns its page count.

    Raises ``InvalidInput`` (``invalid_pdf``) naming the problem.
    """
    if not content.startswith(b"%PDF-"):
        raise InvalidInput(
            "The file is not a PDF (it does not start with %PDF-).",
            code="invalid_pdf",
            details={"file": ["Not a PDF."]},
        )
    try:
        pages = len(PdfReader(io.BytesIO(content)).pages)
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(
            f"The file is not a readable PDF: {exc}",
            code="invalid_pdf",
            details={"file": ["Not a readable PDF."]},
        ) from exc
    if pages < 1:
        raise InvalidInput(
            "The PDF has no pages.", code="invalid_pdf", details={"file": ["The PDF has no pages."]}
        )
    return pages


@transaction.atomic
def instrument_document_upload(
    *, actor: User, instrument_id: uuid.UUID, kind: str, uploaded_file: UploadedFile
) -> InstrumentDocument:
    """Attach a prospectus or final terms (PDF only) to a draft; stores its SHA-256."""
    instrument_get(user=actor, instrument_id=instrument_id)
    instrument = Instrument.objects.select_for_update().select_related("issuer").get(pk=instrument_id)
    check_issuer_role(
        actor=actor, instrument=instrument, role=Role.ISSUER_ADMIN, action="attach documents to"
    )
    if instrument.status != InstrumentStatus.DRAFT:
        raise ConflictError(
            "Documents are attached while the instrument is a draft.",
            code="not_editable",
            details={"status": instrument.status},
        )
    if (uploaded_file.size or 0) > MAX_DOCUMENT_BYTES:
        raise InvalidInput(
            f"The file is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB.",
            code="file_too_large",
            details={"file": ["Too large."]},
        )
    content = b"".join(uploaded_file.chunks())
    validate_pdf(content=content)
    digest = hashlib.sha256(content).hexdigest()
    uploaded_file.seek(0)
    document = InstrumentDocument(
        instrument=instrument,
        kind=kind,
        file=uploaded_file,
        filename=(uploaded_file.name or "document.pdf")[:255],
        size=len(content),
        sha256=digest,
        uploaded_by=actor,
    )
    document.full_clean(exclude=["file"])
    document.save()
    audit_entry_create(
        actor=actor,
        action="instrument.document_upload",
        obj=instrument,
        organisation=instrument.issuer,
        changes={
            "document": {"kind": kind, "filename": document.filename, "sha256": digest, "size": len(content)}
        },
    )
    return document


@transaction.atomic
def instrument_kyc_mode_set(*, actor: User, instrument_id: uuid.UUID, kyc_mode: str) -> Instrument:
    """The issuer's admin chooses how the instrument's transfer rules accept KYC (``claims``,
    ``citadel`` or ``both``; docs/kyc.md "Citadel"). It takes effect on chain with the next
    rule set applied (compliance compiles the mode into ``set_conditions``). Audited.
    Errors: 403 unless the issuer's admin; ``InvalidInput`` (``invalid_kyc_mode``)."""
    from issuance.models import KycMode

    instrument_get(user=actor, instrument_id=instrument_id)
    instrument = Instrument.objects.select_for_update().select_related("issuer").get(pk=instrument_id)
    check_issuer_role(
        actor=actor, instrument=instrument, role=Role.ISSUER_ADMIN, action="set the KYC mode of"
    )
    if kyc_mode not in KycMode.values:
        raise InvalidInput(
            "The KYC mode is claims, citadel or both.",
            code="invalid_kyc_mode",
            details={"allowed": KycMode.values},
        )
    before = instrument.kyc_mode
    if before == kyc_mode:
        return instrument
    instrument.kyc_mode = kyc_mode
    instrument.save(update_fields=["kyc_mode", "updated_at"])
    audit_entry_create(
        actor=actor,
        action="instrument.kyc_mode",
        obj=instrument,
        organisation=instrument.issuer,
        before={"kyc_mode": before},
        changes={"kyc_mode": kyc_mode},
    )
    return instrument
