"""Reads of instruments, their documents, history and schedule, scoped to the asking user.

Who sees an instrument:
- users of the issuer that owns it, in every status;
- regulators and operators (``identity.selectors.user_sees_all_organisations``): all;
- everyone else: published instruments (approved and later) and imported reference data.

An instrument the user may not see is not found (404), never forbidden.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Sum

from common.exceptions import InvalidInput, NotFoundError, PermissionDeniedError
from common.models import AuditEntry
from identity.hooks import SecurityToken
from identity.models import User
from identity.roles import Role
from identity.selectors import apply_filters, scope_audit_entries, user_sees_all_organisations
from issuance.filters import InstrumentFilter
from issuance.models import (
    PUBLISHED_STATUSES,
    Allocation,
    AllocationBatch,
    AllocationStatus,
    Instrument,
    InstrumentCheckpoint,
    InstrumentDocument,
    InstrumentStatus,
    KycMode,
)
from issuance.schedule import CouponPeriod, CouponTerms, ScheduleError, compute_coupon_schedule
from ledger.models import ChainSubmission


def instrument_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[Instrument]:
    queryset = Instrument.objects.select_related("issuer")
    if not user_sees_all_organisations(user=user):
        visible = Q(status__in=PUBLISHED_STATUSES) | Q(is_reference_data=True)
        if user.organisation_id is not None:
            visible |= Q(issuer_id=user.organisation_id)
        queryset = queryset.filter(visible)
    return apply_filters(InstrumentFilter, queryset, filters)


def instrument_citadel_list(*, user: User) -> QuerySet[Instrument]:
    """Live instruments that accept Citadel sessions (KYC mode ``citadel`` or ``both``; docs/kyc.md
    "Citadel"), by name."""
    return (
        instrument_list(user=user)
        .filter(status=InstrumentStatus.LIVE, kyc_mode__in=[KycMode.CITADEL, KycMode.BOTH])
        .order_by("name", "isin")
    )


def instrument_get(*, user: User, instrument_id: uuid.UUID) -> Instrument:
    try:
        return instrument_list(user=user).get(pk=instrument_id)
    except Instrument.DoesNotExist as exc:
        raise NotFoundError("Instrument not found.") from exc


def instrument_approval_inbox(*, user: User) -> QuerySet[Instrument]:
    """Submitted instruments of the user's issuer awaiting an approver (empty for others)."""
    if not user.has_role(Role.ISSUER_APPROVER) or user.organisation_id is None:
        return Instrument.objects.none()
    return (
        Instrument.objects.select_related("issuer", "submitted_by")
        .filter(issuer_id=user.organisation_id, status=InstrumentStatus.SUBMITTED)
        .order_by("submitted_at")
    )


def instrument_document_list(*, user: User, instrument: Instrument) -> QuerySet[InstrumentDocument]:
    instrument_get(user=user, instrument_id=instrument.pk)
    return instrument.documents.select_related("uploaded_by")


def instrument_history(*, user: User, instrument: Instrument) -> QuerySet[AuditEntry]:
    """The instrument's audit entries (creation, edits, documents, transitions), newest first,
    as far as the user reads the audit trail (``identity.selectors.scope_audit_entries``: the
    issuer's own users, regulators and operators; nobody else reads who at the issuer did
    what)."""
    instrument_get(user=user, instrument_id=instrument.pk)
    return scope_audit_entries(
        AuditEntry.objects.select_related("actor").filter(
            object_type=Instrument._meta.label, object_id=str(instrument.pk)
        ),
        user=user,
    )


def instrument_coupon_terms(*, instrument: Instrument) -> CouponTerms:
    """The terms ``issuance.schedule`` needs, read from the instrument.

    Raises ``InvalidInput`` (``no_schedule``) for shares, fund units and undated debt.
    """
    if instrument.maturity_date is None:
        raise InvalidInput(
            f"{instrument.get_kind_display()} {instrument.isin} has no maturity, so no coupon schedule.",
            code="no_schedule",
        )
    return CouponTerms(
        accrual_start=instrument.accrual_start,
        maturity_date=instrument.maturity_date,
        coupon_rate=(
            None
            if instrument.kind == "floating_rate_note"
            else (instrument.coupon_rate if instrument.coupon_rate is not None else Decimal(0))
        ),
        frequency=instrument.coupon_frequency,
        day_count=instrument.day_count,
        business_day_convention=instrument.business_day_convention,
        calendar=instrument.calendar,
        end_of_month=instrument.end_of_month,
        face_value=instrument.face_value,
    )


def instrument_coupon_schedule(
    *, user: User, instrument_id: uuid.UUID
) -> tuple[Instrument, list[CouponPeriod]]:
    """The instrument and its coupon schedule (``issuance.schedule``); 404 if not visible."""
    instrument = instrument_get(user=user, instrument_id=instrument_id)
    try:
        periods = compute_coupon_schedule(terms=instrument_coupon_terms(instrument=instrument))
    except ScheduleError as exc:
        raise InvalidInput(str(exc), code="no_schedule") from exc
    except RuntimeError as exc:  # QuantLib's, e.g. a maturity beyond 2199
        raise InvalidInput(f"QuantLib cannot compute the schedule: {exc}", code="no_schedule") from exc
    return instrument, periods


def instrument_terms_errors(
    *, terms: dict[str, Any], issuer_id: uuid.UUID | None, instrument_id: uuid.UUID | None = None
) -> dict[str, list[str]]:
    """What is wrong with ``terms`` (field → messages), without saving: inline validation.

    The same checks as ``instrument_create``/``instrument_update``: field validators, the
    cross-field rules of ``Instrument.clean`` and the uniqueness of ISIN and CUSIP.
    """
    from issuance.models import compute_isin_from_cusip

    instrument = Instrument(**terms)
    if issuer_id is not None:
        instrument.issuer_id = issuer_id
    if instrument_id is not None:
        instrument.pk = instrument_id
    if instrument.cusip and not instrument.isin and not instrument.errors_in("cusip"):
        instrument.isin = compute_isin_from_cusip(instrument.cusip)
    errors: dict[str, list[str]] = {}
    try:
        instrument.full_clean(exclude=["issuer"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors = {name: list(messages) for name, messages in exc.message_dict.items()}
    others = Instrument.objects.exclude(pk=instrument.pk)
    if instrument.isin and "isin" not in errors and others.filter(isin=instrument.isin).exists():
        errors["isin"] = [f"An instrument with ISIN {instrument.isin} already exists."]
    if instrument.cusip and "cusip" not in errors and others.filter(cusip=instrument.cusip).exists():
        errors["cusip"] = [f"An instrument with CUSIP {instrument.cusip} already exists."]
    return errors


# -- on chain: deployment, allocations, checkpoints ------------------------------------------
#: The outbox kinds of an instrument's deployment and checkpoints (``issuance.deployment`` and
#: ``issuance.register`` write them; both build on this module).
DEPLOY_KIND = "instrument.deploy"
CHECKPOINT_KIND = "instrument.checkpoint"


def _subject_rows(instrument: Instrument, kind: str) -> QuerySet[ChainSubmission]:
    return ChainSubmission.objects.filter(
        kind=kind, subject_type=Instrument._meta.label_lower, subject_id=str(instrument.pk)
    )


def instrument_deployment_get(*, user: User, instrument: Instrument) -> ChainSubmission | None:
    """The instrument's latest deployment submission (status, tx id, height, finality), or
    ``None`` before it is queued. A transaction on chain is public: whoever sees the
    instrument sees it."""
    instrument_get(user=user, instrument_id=instrument.pk)
    return _subject_rows(instrument, DEPLOY_KIND).order_by("-created_at", "-id").first()


def user_reads_issuance_books(*, user: User, instrument: Instrument) -> bool:
    """Allocations and the register name investors: the issuer's own users, regulators and
    operators read them (as ``issuance.register``); nobody else."""
    return user_sees_all_organisations(user=user) or (
        user.organisation_id == instrument.issuer_id and not instrument.is_reference_data
    )


def _books_instrument(*, user: User, instrument_id: uuid.UUID) -> Instrument:
    instrument = instrument_get(user=user, instrument_id=instrument_id)
    if not user_reads_issuance_books(user=user, instrument=instrument):
        raise PermissionDeniedError("Only the issuer, regulators and operators read the allocations.")
    return instrument


def allocation_list(
    *, user: User, instrument_id: uuid.UUID, status: str | None = None
) -> QuerySet[Allocation]:
    """The instrument's allocations, oldest first, optionally of one ``status``
    (``InvalidInput`` for an unknown one). 404 if the instrument is not visible, 403 for a
    user who does not read the issuer's books."""
    instrument = _books_instrument(user=user, instrument_id=instrument_id)
    queryset = Allocation.objects.filter(instrument=instrument).select_related(
        "batch", "investor", "client_account__broker"
    )
    if status:
        if status not in AllocationStatus.values:
            raise InvalidInput(
                f"Unknown allocation status {status!r}.",
                code="validation_error",
                details={"status": [f"One of {', '.join(AllocationStatus.values)}."]},
            )
        queryset = queryset.filter(status=status)
    return queryset


def allocation_batch_list(*, user: User, instrument_id: uuid.UUID) -> QuerySet[AllocationBatch]:
    """The instrument's allocation batches, newest first, with their allocations."""
    instrument = _books_instrument(user=user, instrument_id=instrument_id)
    return (
        AllocationBatch.objects.filter(instrument=instrument)
        .select_related("created_by")
        .prefetch_related("allocations__investor", "allocations__client_account__broker")
    )


@dataclass(frozen=True)
class AllocationTotals:
    issue_size: Decimal
    allocated: Decimal
    """Every allocation not failed (open or settled), in the issue-size unit."""
    settled: Decimal

    @property
    def left(self) -> Decimal:
        return self.issue_size - self.allocated


def allocation_totals(*, instrument: Instrument) -> AllocationTotals:
    """What the instrument's allocations take of the issue (the rule of
    ``issuance.allocation.validate_allocation_rows``: failed allocations give it back)."""
    rows = Allocation.objects.filter(instrument=instrument)
    allocated = rows.exclude(status=AllocationStatus.FAILED).aggregate(t=Sum("quantity"))["t"]
    settled = rows.filter(status=AllocationStatus.SETTLED).aggregate(t=Sum("quantity"))["t"]
    return AllocationTotals(instrument.issue_size, allocated or Decimal(0), settled or Decimal(0))


def instrument_checkpoint_list(*, user: User, instrument_id: uuid.UUID) -> QuerySet[InstrumentCheckpoint]:
    """The instrument's recorded (Final) checkpoints, newest first."""
    instrument = _books_instrument(user=user, instrument_id=instrument_id)
    return InstrumentCheckpoint.objects.filter(instrument=instrument).order_by("-number")


def instrument_checkpoint_requests(*, user: User, instrument_id: uuid.UUID) -> QuerySet[ChainSubmission]:
    """Checkpoints asked for whose block is not Final yet (nor refused)."""
    instrument = _books_instrument(user=user, instrument_id=instrument_id)
    return _subject_rows(instrument, CHECKPOINT_KIND).filter(status__in=ChainSubmission.OPEN_STATUSES)


def instrument_security_tokens(contract_ids: Collection[str]) -> dict[str, SecurityToken]:
    """The instruments whose security token contracts (0x ids) are among ``contract_ids``, by
    contract id: identity's lookup (``identity.hooks``, registered in ``IssuanceConfig.ready``)."""
    return {
        i.contract_id: SecurityToken(i.pk, i.isin, i.name, i.token_unit)
        for i in Instrument.objects.filter(contract_id__in=list(contract_ids))
    }


def instrument_contract_ids() -> list[str]:
    """The security token contract ids (0x hex) of every deployed instrument: the indexer's
    token source for issuance (registered in ``IssuanceConfig.ready``)."""
    return list(Instrument.objects.exclude(contract_id="").values_list("contract_id", flat=True))
