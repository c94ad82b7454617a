"""Writes of transfer rule sets: drafting a version, maker-checker submission, approval and
rejection, applying it on chain through the outbox, and the preview of who would breach it.

A rule set is one version of an instrument's transfer rules; everything here moves a
``RuleSet`` through its states (audited as ``rule_set.<status>``), or reads one to preview
it. Every service checks visibility (404) and role (403) first (``compliance.permissions``),
validates (``compliance.compiled_rules``), then writes and audits in one transaction: bad
input changes nothing. Applying a version opens breaches for holders now out of
compliance, and the preview lists them, both with ``compliance.breaches``.

::

    draft ──submit──► pending ──approve──► approved ──(set_conditions, set_limits Final)──► applied
      ▲                  │                     └──(either fails)──► failed
      └──(edit)          └──reject──► rejected                 previous applied ──► superseded
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from common.exceptions import ChainUnavailable, ConflictError, InvalidInput, NotFoundError
from common.services import audit_entry_create
from compliance.breaches import (
    FoundBreach,
    breach_scan_instrument,
    compute_holder_breaches,
    compute_instruction_breaches,
)
from compliance.compiled_rules import rule_set_compile
from compliance.models import BreachSource, RuleSet, RuleSetStatus
from compliance.permissions import officer_instrument, require_on_chain
from identity.models import User
from issuance.allocation import compute_units
from issuance.maker_checker import check_not_maker
from issuance.models import Instrument
from ledger import outbox
from ledger.models import ChainSubmission

logger = logging.getLogger(__name__)

KIND_CONDITIONS = "compliance.rules.conditions"
KIND_LIMITS = "compliance.rules.limits"

#: The rule-set fields a compliance officer edits.
RULE_FIELDS: tuple[str, ...] = (
    "sender",
    "receiver",
    "kyc_required",
    "accreditation_required",
    "allowed_jurisdictions",
    "denied_jurisdictions",
    "allowed_categories",
    "max_holders",
    "max_ownership_bps",
    "lockup_until",
    "min_holding",
    "comment",
)
#: The audited changes that make their actor a maker of a rule set (may not approve it).
RULE_SET_MAKER_ACTIONS: frozenset[str] = frozenset(
    {"rule_set.create", "rule_set.update", f"rule_set.{RuleSetStatus.PENDING}"}
)


def _clean_rule_values(instrument: Instrument, values: Mapping[str, Any]) -> dict[str, Any]:
    """Normalise the editable fields; ``min_holding_quantity`` (in the instrument's
    quantity) is converted to units with its token unit."""
    unknown = set(values) - set(RULE_FIELDS) - {"min_holding_quantity"}
    if unknown:
        raise InvalidInput(
            f"Unknown rule fields: {', '.join(sorted(unknown))}.",
            code="unknown_fields",
            details={name: ["Not a rule field."] for name in sorted(unknown)},
        )
    out = dict(values)
    if "min_holding_quantity" in out:
        quantity = out.pop("min_holding_quantity")
        if quantity in (None, ""):
            out["min_holding"] = 0
        else:
            try:
                out["min_holding"] = compute_units(instrument, Decimal(str(quantity)))
            except (InvalidOperation, ValueError) as exc:
                raise InvalidInput(
                    "The minimum holding is not a number.", code="invalid_min_holding"
                ) from exc
    for name in ("allowed_jurisdictions", "denied_jurisdictions"):
        if name in out:
            out[name] = [str(c).strip().upper() for c in out[name] or [] if str(c).strip()]
    if "allowed_categories" in out:
        out["allowed_categories"] = [
            str(c).strip().lower() for c in out["allowed_categories"] or [] if str(c).strip()
        ]
    for name in ("sender", "receiver"):
        if name in out:
            requirements = out[name] or []
            if not isinstance(requirements, list) or not all(isinstance(r, list) for r in requirements):
                raise InvalidInput(
                    f"{name} must be a list of requirements (lists of conditions).",
                    code="invalid_requirements",
                )
            out[name] = [[dict(c) for c in r] for r in requirements]
    for name in ("max_holders", "max_ownership_bps", "min_holding"):
        if name in out and (out[name] is None or int(out[name]) < 0):
            raise InvalidInput(
                f"{name} cannot be negative.", code="negative_limit", details={name: ["Must be 0 or more."]}
            )
    return out


def _rule_snapshot(rule_set: RuleSet) -> dict[str, Any]:
    return {
        name: (
            getattr(rule_set, name).isoformat()
            if name == "lockup_until" and rule_set.lockup_until
            else getattr(rule_set, name)
        )
        for name in RULE_FIELDS
    }


@transaction.atomic
def rule_set_draft_save(
    *, actor: User, instrument_id: uuid.UUID, values: Mapping[str, Any], rule_set_id: uuid.UUID | None = None
) -> RuleSet:
    """Create a draft (the next version, starting from the applied one's terms) or edit
    one. Raises ``InvalidInput`` (``invalid_rule_set``) listing every problem: nothing is
    saved then. Warnings do not refuse."""
    instrument = officer_instrument(
        actor=actor, instrument_id=instrument_id, action="edit its transfer rules", lock=True
    )
    require_on_chain(instrument)
    cleaned = _clean_rule_values(instrument, values)
    if rule_set_id is None:
        base = RuleSet.objects.filter(instrument=instrument, status=RuleSetStatus.APPLIED).first()
        version = (
            RuleSet.objects.filter(instrument=instrument).aggregate(top=Max("version"))["top"] or 0
        ) + 1
        rule_set = RuleSet(instrument=instrument, version=version, created_by=actor)
        if base is not None:
            for name in RULE_FIELDS:
                setattr(rule_set, name, getattr(base, name))
        rule_set.comment = ""
        before: dict[str, Any] = {}
    else:
        found = RuleSet.objects.select_for_update().filter(pk=rule_set_id, instrument=instrument).first()
        if found is None:
            raise NotFoundError("Rule set not found.")
        rule_set = found
        if rule_set.status != RuleSetStatus.DRAFT:
            raise ConflictError(
                "Only a draft rule set can be edited.",
                code="not_editable",
                details={"status": rule_set.status},
            )
        before = _rule_snapshot(rule_set)
    for name, value in cleaned.items():
        setattr(rule_set, name, value)
    rule_set_compile(rule_set)
    rule_set.save()
    audit_entry_create(
        actor=actor,
        action="rule_set.create" if not before else "rule_set.update",
        obj=rule_set,
        organisation=instrument.issuer,
        before=before,
        changes={"version": rule_set.version, **_rule_snapshot(rule_set)},
    )
    return rule_set


def _locked_rule_set(*, actor: User, rule_set_id: uuid.UUID, action: str) -> RuleSet:
    from compliance.selectors import rule_set_get

    rule_set = rule_set_get(user=actor, rule_set_id=rule_set_id)  # 404 unless the actor may know it
    officer_instrument(actor=actor, instrument_id=rule_set.instrument_id, action=action)
    return RuleSet.objects.select_for_update().select_related("instrument__issuer").get(pk=rule_set_id)


def _move(
    rule_set: RuleSet,
    *,
    actor: User | None,
    to: str,
    allowed: Sequence[str],
    comment: str = "",
    **fields: Any,
) -> None:
    old = rule_set.status
    if old not in allowed:
        raise ConflictError(
            f"A rule set that is {RuleSetStatus(old).label.lower()} cannot become "
            f"{RuleSetStatus(to).label.lower()}.",
            code="invalid_transition",
            details={"status": old, "requested": to},
        )
    rule_set.status = to
    for name, value in fields.items():
        setattr(rule_set, name, value)
    rule_set.save()
    changes: dict[str, Any] = {
        "status": to,
        **{k: str(getattr(v, "pk", v)) for k, v in fields.items() if k not in ("rejection_comment",)},
    }
    if comment:
        changes["comment"] = comment
    audit_entry_create(
        actor=actor,
        action=f"rule_set.{to}",
        obj=rule_set,
        organisation=rule_set.instrument.issuer,
        before={"status": old},
        changes=changes,
    )


@transaction.atomic
def rule_set_submit(*, actor: User, rule_set_id: uuid.UUID) -> RuleSet:
    """Submit a draft for a second compliance officer's approval (validated again)."""
    rule_set = _locked_rule_set(actor=actor, rule_set_id=rule_set_id, action="submit transfer rules")
    rule_set_compile(rule_set)
    if RuleSet.objects.filter(
        instrument=rule_set.instrument, status__in=[RuleSetStatus.PENDING, RuleSetStatus.APPROVED]
    ).exists():
        raise ConflictError(
            "Another rule set of this instrument awaits approval or is being applied.",
            code="rule_set_in_progress",
        )
    _move(
        rule_set,
        actor=actor,
        to=RuleSetStatus.PENDING,
        allowed=[RuleSetStatus.DRAFT],
        submitted_by=actor,
        submitted_at=timezone.now(),
    )
    return rule_set


def _check_rule_set_checker(*, actor: User, rule_set: RuleSet, action: str) -> None:
    """Every officer who created, edited or submitted the rule set is a maker of it."""
    check_not_maker(
        actor=actor,
        obj=rule_set,
        actions=RULE_SET_MAKER_ACTIONS,
        also=(rule_set.created_by_id, rule_set.submitted_by_id),
        message=f"You changed this rule set (created, edited or submitted it), so you cannot "
        f"{action} it: a compliance officer who never changed it must.",
    )


@transaction.atomic
def rule_set_approve(*, actor: User, rule_set_id: uuid.UUID) -> RuleSet:
    """The checker approves: ``set_conditions`` then ``set_limits`` are queued from the
    issuer's chain account (the second waits for the first to be Final). Raises
    ``PermissionDeniedError`` (``maker_cannot_approve``) for any of its makers (creator,
    editors, submitter)."""
    rule_set = _locked_rule_set(actor=actor, rule_set_id=rule_set_id, action="approve transfer rules")
    _check_rule_set_checker(actor=actor, rule_set=rule_set, action="approve")
    if rule_set.status != RuleSetStatus.PENDING:
        raise ConflictError(
            "Only a rule set pending approval can be approved.",
            code="invalid_transition",
            details={"status": rule_set.status},
        )
    compiled, _ = rule_set_compile(rule_set, for_chain=True)
    instrument = rule_set.instrument
    require_on_chain(instrument)
    conditions = outbox.chain_call_enqueue(
        organisation=instrument.issuer,
        kind=KIND_CONDITIONS,
        contract=instrument.contract_id,
        fn_name="set_conditions",
        fn_args=compiled.conditions_bytes(),
        subject=rule_set,
    )
    limits = outbox.chain_call_enqueue(
        organisation=instrument.issuer,
        kind=KIND_LIMITS,
        contract=instrument.contract_id,
        fn_name="set_limits",
        fn_args=compiled.limits_bytes(),
        subject=rule_set,
        after=conditions,
    )
    _move(
        rule_set,
        actor=actor,
        to=RuleSetStatus.APPROVED,
        allowed=[RuleSetStatus.PENDING],
        decided_by=actor,
        decided_at=timezone.now(),
        conditions_submission=conditions,
        limits_submission=limits,
    )
    return rule_set


@transaction.atomic
def rule_set_reject(*, actor: User, rule_set_id: uuid.UUID, comment: str) -> RuleSet:
    """The checker sends a pending rule set back with a comment (required); it is closed
    (rejected) and a new draft can be written."""
    comment = comment.strip()
    if not comment:
        raise InvalidInput(
            "Say why the rule set is rejected.", code="comment_required", details={"comment": ["Required."]}
        )
    rule_set = _locked_rule_set(actor=actor, rule_set_id=rule_set_id, action="reject transfer rules")
    _check_rule_set_checker(actor=actor, rule_set=rule_set, action="reject")
    _move(
        rule_set,
        actor=actor,
        to=RuleSetStatus.REJECTED,
        allowed=[RuleSetStatus.PENDING],
        comment=comment,
        decided_by=actor,
        decided_at=timezone.now(),
        rejection_comment=comment,
    )
    return rule_set


def on_rule_submission(submission: ChainSubmission) -> None:
    """Outcome handler of ``set_conditions`` and ``set_limits``: a failure fails the rule
    set; the limits Final (after the conditions) applies it, supersedes the previous
    applied version and opens breaches for holders now out of compliance."""
    rule_set = (
        RuleSet.objects.select_for_update()
        .select_related("instrument__issuer")
        .filter(pk=submission.subject_id)
        .first()
    )
    if rule_set is None or rule_set.status != RuleSetStatus.APPROVED:
        return
    if not submission.succeeded:
        _move(
            rule_set,
            actor=None,
            to=RuleSetStatus.FAILED,
            allowed=[RuleSetStatus.APPROVED],
            error=(f"{submission.fn_name}: {submission.error}")[:200],
        )
        return
    if submission.kind != KIND_LIMITS:
        return
    for previous in RuleSet.objects.select_for_update().filter(
        instrument=rule_set.instrument, status=RuleSetStatus.APPLIED
    ):
        _move(previous, actor=None, to=RuleSetStatus.SUPERSEDED, allowed=[RuleSetStatus.APPLIED])
    _move(
        rule_set,
        actor=None,
        to=RuleSetStatus.APPLIED,
        allowed=[RuleSetStatus.APPROVED],
        applied_height=submission.block_height,
    )
    try:
        with transaction.atomic():
            breach_scan_instrument(instrument=rule_set.instrument, source=BreachSource.RULE_CHANGE)
    except ChainUnavailable as exc:  # the periodic scan catches up
        logger.warning("rule change of %s: breach scan deferred (%s)", rule_set.instrument.isin, exc)


@dataclass(frozen=True)
class Preview:
    rule_set: RuleSet
    warnings: list[str]
    holders: list[FoundBreach]
    instructions: list[FoundBreach]
    problems: list[dict[str, str]]


def rule_set_preview(*, user: User, rule_set: RuleSet) -> Preview:
    """Which current holders and open settlement instructions would breach ``rule_set``
    (for a draft: before anything is saved; the caller passes an unsaved instance for a
    live preview). Problems of the rule set are returned, not raised. Reads the chain."""
    from compliance.selectors import rules_readable

    rules_readable(user=user, instrument=rule_set.instrument)
    try:
        compiled, warnings = rule_set_compile(rule_set)
    except InvalidInput as exc:
        return Preview(rule_set, [], [], [], list(exc.details.get("problems", [])))
    return Preview(
        rule_set,
        warnings,
        compute_holder_breaches(rule_set.instrument, compiled),
        compute_instruction_breaches(rule_set.instrument, compiled),
        [],
    )


def rule_set_unsaved(
    *, instrument: Instrument, values: Mapping[str, Any], base: RuleSet | None = None
) -> RuleSet:
    """An unsaved rule set of ``instrument`` from ``values`` (for the live preview);
    raises ``InvalidInput`` for values that cannot even be read."""
    rule_set = RuleSet(instrument=instrument, version=0)
    if base is not None:
        for name in RULE_FIELDS:
            setattr(rule_set, name, getattr(base, name))
    for name, value in _clean_rule_values(instrument, values).items():
        setattr(rule_set, name, value)
    return rule_set


OUTCOME_HANDLERS = {KIND_CONDITIONS: on_rule_submission, KIND_LIMITS: on_rule_submission}
