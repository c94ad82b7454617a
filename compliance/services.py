"""Writes of the compliance app: transfer rule sets (maker-checker, applied on chain through
the outbox), breaches and their workflow, freeze / pause / forced transfer.

Compliance officers of an instrument's issuer act for it (the issuer's chain account is the
token's issuer agent and compliance agent, issuance/deployment.py). Every service checks
visibility (404) and role (403) first, validates, then writes and audits in one transaction:
bad input changes nothing.

Rule sets::

    draft ──submit──► pending ──approve──► approved ──(set_conditions, set_limits Final)──► applied
      ▲                  │                     └──(either fails)──► failed
      └──(edit)          └──reject──► rejected                 previous applied ──► superseded

Forced transfers: proposed (pending) by one officer with a reason and a PDF; approved by
another officer of the issuer (submitted), executed when Final; or rejected.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from chain.node.client import contract_abi
from common.exceptions import (
    ChainUnavailable,
    ConflictError,
    InvalidInput,
    NotFoundError,
    PermissionDeniedError,
)
from common.services import audit_entry_create
from compliance import chainstate, rules
from compliance.models import (
    ActionKind,
    ActionStatus,
    Breach,
    BreachSource,
    BreachStatus,
    ComplianceAction,
    ForcedTransferReason,
    RuleSet,
    RuleSetStatus,
)
from identity.models import User
from identity.roles import Role
from issuance.allocation import compute_units
from issuance.maker_checker import check_not_maker
from issuance.models import Instrument, InstrumentStatus
from issuance.selectors import instrument_get
from issuance.services import MAX_DOCUMENT_BYTES, validate_pdf
from ledger import outbox
from ledger.models import ChainAccount, ChainSubmission, TokenHolding
from settlement.models import InstructionStatus, PendingReason, SettlementInstruction, Side

logger = logging.getLogger(__name__)

KIND_CONDITIONS = "compliance.rules.conditions"
KIND_LIMITS = "compliance.rules.limits"
KIND_ACTION = "compliance.action"

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
#: Settlement instructions still to settle (the preview checks them against new rules).
OPEN_INSTRUCTION_STATUSES = (
    InstructionStatus.RECEIVED,
    InstructionStatus.UNMATCHED,
    InstructionStatus.MATCHED,
    InstructionStatus.PENDING,
    InstructionStatus.FAILED,
)
#: Codes that concern the receiver of a transfer (the others its sender or the instrument).
RECEIVER_CODES = frozenset({3, 7, 8, 9})


# -- permissions ----------------------------------------------------------------------------
def _officer_instrument(
    *, actor: User, instrument_id: uuid.UUID, action: str, lock: bool = False
) -> Instrument:
    """The instrument, if ``actor`` is a compliance officer of its issuer (404 if not
    visible, 403 otherwise)."""
    instrument_get(user=actor, instrument_id=instrument_id)
    queryset = Instrument.objects.select_related("issuer")
    instrument = (queryset.select_for_update() if lock else queryset).get(pk=instrument_id)
    if actor.organisation_id != instrument.issuer_id or not actor.has_role(Role.COMPLIANCE_OFFICER):
        raise PermissionDeniedError(
            f"Only a compliance officer of {instrument.issuer.legal_name} may {action}.",
            details={"required_role": Role.COMPLIANCE_OFFICER.value},
        )
    return instrument


def _require_on_chain(instrument: Instrument) -> None:
    if instrument.status != InstrumentStatus.LIVE or not instrument.contract_id:
        raise InvalidInput(
            f"{instrument.isin} is not live on chain: its rules and holders are on its security token.",
            code="not_live",
        )


# -- rule sets ------------------------------------------------------------------------------
def compute_issue_units(instrument: Instrument) -> int:
    """The issue size in token units (``Instrument.token_unit``)."""
    unit = instrument.token_unit
    return int(instrument.issue_size / unit) if unit > 0 else 0


def rule_terms_of(rule_set: RuleSet) -> rules.RuleTerms:
    return rules.RuleTerms(
        sender=tuple(tuple(r) for r in rule_set.sender),
        receiver=tuple(tuple(r) for r in rule_set.receiver),
        kyc_required=rule_set.kyc_required,
        accreditation_required=rule_set.accreditation_required,
        allowed_jurisdictions=tuple(rule_set.allowed_jurisdictions),
        denied_jurisdictions=tuple(rule_set.denied_jurisdictions),
        allowed_categories=tuple(rule_set.allowed_categories),
        max_holders=rule_set.max_holders,
        max_ownership_bps=rule_set.max_ownership_bps,
        lockup_until=rule_set.lockup_until,
        min_holding=rule_set.min_holding,
    )


def rule_set_compile(rule_set: RuleSet) -> tuple[rules.CompiledRules, list[str]]:
    """Compile a rule set; raises ``InvalidInput`` (``invalid_rule_set``) with every
    reason in ``details["problems"]`` (``field``, ``code``, ``message``)."""
    try:
        return rules.compile_rules(
            rule_terms_of(rule_set), issue_units=compute_issue_units(rule_set.instrument)
        )
    except rules.RuleSetInvalid as exc:
        raise InvalidInput(
            "The rule set cannot be applied: " + "; ".join(p.message for p in exc.problems),
            code="invalid_rule_set",
            details={
                "problems": [{"field": p.field, "code": p.code, "message": p.message} for p in exc.problems]
            },
        ) from exc


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
    instrument = _officer_instrument(
        actor=actor, instrument_id=instrument_id, action="edit its transfer rules", lock=True
    )
    _require_on_chain(instrument)
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
    _officer_instrument(actor=actor, instrument_id=rule_set.instrument_id, action=action)
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
    compiled, _ = rule_set_compile(rule_set)
    instrument = rule_set.instrument
    _require_on_chain(instrument)
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


# -- preview and breaches found ---------------------------------------------------------------
@dataclass(frozen=True)
class FoundBreach:
    holder: str
    """Address hex ("" for the instrument as a whole)."""
    name: str
    code: int
    explanation: str
    instruction: SettlementInstruction | None = None

    @property
    def code_name(self) -> str:
        return contract_abi.TransferCode(self.code).code


def _holdings(instrument: Instrument) -> dict[bytes, int]:
    """The holders at the indexer's Final height (issuer's own treasury account excluded)."""
    issuer = ChainAccount.objects.filter(organisation=instrument.issuer).first()
    treasury = None if issuer is None else issuer.address.hex()
    return {
        bytes.fromhex(h.holder): int(h.balance)
        for h in TokenHolding.objects.filter(contract=instrument.contract_id, balance__gt=0)
        if h.holder != treasury
    }


def compute_holder_breaches(
    instrument: Instrument, compiled: rules.CompiledRules, *, only: set[bytes] | None = None
) -> list[FoundBreach]:
    """Holders (all, or ``only`` those Addresses) whose holding breaks ``compiled``, and
    the instrument's holder count against its cap. Reads claims and flags from the chain."""
    holdings = _holdings(instrument)
    if only is not None:
        holdings = {a: b for a, b in holdings.items() if a in only}
    token = chainstate.read_token_state(instrument)
    parties = chainstate.read_parties(instrument, holdings, balances=holdings) if holdings else {}
    found = []
    for address, party in parties.items():
        for failure in rules.evaluate_holding(compiled, token, party):
            found.append(FoundBreach(address.hex(), party.label, int(failure.code), failure.explanation))
    if only is None and (count := rules.evaluate_holder_count(compiled, token)) is not None:
        found.append(FoundBreach("", instrument.isin, int(count.code), count.explanation))
    return found


def _instruction_address(instruction: SettlementInstruction, accounts: Mapping[Any, bytes]) -> bytes | None:
    return accounts.get(instruction.client_account_id)


def compute_instruction_breaches(instrument: Instrument, compiled: rules.CompiledRules) -> list[FoundBreach]:
    """Open settlement instructions of the instrument that ``compiled`` would refuse: a
    matched pair as the transfer seller → buyer, an unmatched side for its own side's rules."""
    instructions = list(
        SettlementInstruction.objects.select_related("client_account", "broker").filter(
            instrument=instrument, status__in=OPEN_INSTRUCTION_STATUSES
        )
    )
    if not instructions:
        return []
    accounts = {
        a.client_account_id: a.address
        for a in ChainAccount.objects.filter(client_account__in={i.client_account_id for i in instructions})
    }
    addresses = list(accounts.values())
    token = chainstate.read_token_state(instrument)
    parties = chainstate.read_parties(instrument, addresses)
    by_id = {i.pk: i for i in instructions}
    found: list[FoundBreach] = []
    for instruction in instructions:
        mine = _instruction_address(instruction, accounts)
        if mine is None:
            continue
        other = by_id.get(instruction.matched_with_id) if instruction.matched_with_id else None
        if other is not None and instruction.side == Side.BUY:
            continue  # the pair is checked once, from its sell side
        units = compute_units(instrument, instruction.quantity)
        other_address = None if other is None else _instruction_address(other, accounts)
        if instruction.side == Side.SELL:
            sender, receiver = parties.get(mine), (parties.get(other_address) if other_address else None)
        else:
            sender, receiver = None, parties.get(mine)
        failures = rules.evaluate_transfer(compiled, token, sender=sender, receiver=receiver, amount=units)
        for failure in failures:
            if failure.code in (
                contract_abi.TransferCode.INSUFFICIENT_BALANCE,
                contract_abi.TransferCode.PAUSED,
            ):
                continue  # not a rule of the rule set
            target = receiver if int(failure.code) in RECEIVER_CODES else sender
            party = target or sender or receiver
            found.append(
                FoundBreach(
                    "" if party is None else party.address.hex(),
                    f"{instruction.reference} ({instruction.broker.legal_name})",
                    int(failure.code),
                    failure.explanation,
                    instruction,
                )
            )
    return found


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


# -- breaches -----------------------------------------------------------------------------------
def breach_open(*, instrument: Instrument, found: FoundBreach, source: str) -> Breach | None:
    """Open a breach unless one is open (or investigating) for the same (instrument,
    holder, code); audited. Returns the new breach or ``None``."""
    if (
        Breach.objects.filter(instrument=instrument, holder=found.holder, code=found.code)
        .exclude(status=BreachStatus.RESOLVED)
        .exists()
    ):
        return None
    try:
        with transaction.atomic():
            breach = Breach.objects.create(
                instrument=instrument,
                holder=found.holder,
                holder_name=found.name[:300],
                code=found.code,
                source=source,
                explanation=found.explanation,
                instruction=found.instruction,
            )
    except IntegrityError:  # opened concurrently
        return None
    audit_entry_create(
        actor=None,
        action="breach.open",
        obj=breach,
        organisation=instrument.issuer,
        changes={
            "holder": breach.holder,
            "code": contract_abi.TransferCode(breach.code).code,
            "source": source,
            "explanation": breach.explanation,
        },
    )
    return breach


def applied_rules(instrument: Instrument) -> rules.CompiledRules | None:
    rule_set = RuleSet.objects.filter(instrument=instrument, status=RuleSetStatus.APPLIED).first()
    if rule_set is None:
        return None
    try:
        compiled, _ = rule_set_compile(rule_set)
    except InvalidInput:
        return None
    return compiled


def breach_scan_instrument(
    *, instrument: Instrument, source: str, only: set[bytes] | None = None
) -> list[Breach]:
    """Open breaches for holders of ``instrument`` out of compliance with its applied rules
    (none without applied rules). Raises ``ChainUnavailable``."""
    compiled = applied_rules(instrument)
    if compiled is None or not instrument.contract_id:
        return []
    opened = []
    for found in compute_holder_breaches(instrument, compiled, only=only):
        breach = breach_open(instrument=instrument, found=found, source=source)
        if breach is not None:
            opened.append(breach)
    return opened


def _codes_of(reason: str) -> list[contract_abi.TransferCode]:
    """Transfer codes named in a settlement status reason ("rules: a, b", "batch failed: a")."""
    names = reason.split(":", 1)[1] if ":" in reason else reason
    codes = []
    for name in names.replace(" ", "").split(","):
        try:
            codes.append(contract_abi.TransferCode[name.upper()])
        except KeyError:
            continue
    return codes


@transaction.atomic
def breach_scan_instructions() -> list[Breach]:
    """Open breaches for settlement instructions the rules refused (netting recorded them
    as pending with reason compliance and the codes in the status reason). The breach is
    the receiver's for receiver codes, the sender's otherwise."""
    opened = []
    instructions = SettlementInstruction.objects.select_related("instrument__issuer", "broker").filter(
        status__in=OPEN_INSTRUCTION_STATUSES, pending_reason=PendingReason.COMPLIANCE
    )
    for instruction in instructions:
        codes = [
            c
            for c in _codes_of(instruction.status_reason)
            if c not in (contract_abi.TransferCode.INSUFFICIENT_BALANCE,)
        ]
        if not codes:
            continue
        matched = instruction.matched_with
        seller, buyer = (instruction, matched) if instruction.side == Side.SELL else (matched, instruction)
        for code in codes:
            side = buyer if int(code) in RECEIVER_CODES else seller
            if side is None or side.pk != instruction.pk:
                continue  # recorded from the side it concerns
            if Breach.objects.filter(instruction=instruction, code=int(code)).exists():
                continue  # once per instruction and code, even after it was resolved
            account = ChainAccount.objects.filter(client_account_id=instruction.client_account_id).first()
            holder = "" if account is None else account.address.hex()
            found = FoundBreach(
                holder,
                f"{instruction.reference} ({instruction.broker.legal_name})",
                int(code),
                f"settlement instruction {instruction.reference} refused on chain: "
                f"{rules.CODE_MEANINGS[code]} ({instruction.status_reason})",
                instruction,
            )
            breach = breach_open(
                instrument=instruction.instrument, found=found, source=BreachSource.INSTRUCTION
            )
            if breach is not None:
                opened.append(breach)
    return opened


def breach_scan_all() -> int:
    """The periodic scan (beat): every instrument with applied rules, then the refused
    settlement instructions. Instruments whose token cannot be read are skipped (logged).
    Returns the number of breaches opened."""
    opened = 0
    instrument_ids = set(
        RuleSet.objects.filter(status=RuleSetStatus.APPLIED).values_list("instrument_id", flat=True)
    )
    for instrument in Instrument.objects.filter(pk__in=instrument_ids).select_related("issuer"):
        try:
            with transaction.atomic():
                opened += len(breach_scan_instrument(instrument=instrument, source=BreachSource.SCAN))
        except ChainUnavailable as exc:
            logger.warning("breach scan of %s skipped: %s", instrument.isin, exc)
    opened += len(breach_scan_instructions())
    return opened


def on_kyc_claims_lapsed(
    sender: Any, *, chain_account_ids: Sequence[str], topics: Sequence[int] = (), reason: str = "", **_: Any
) -> None:
    """Receiver of ``identity.signals.kyc_claims_lapsed``: re-check the affected accounts'
    holdings against their instruments' applied rules and open breaches. Runs in the
    sender's transaction; if the chain cannot be read the periodic scan catches up (the
    sender's change is not undone)."""
    addresses = {a.address for a in ChainAccount.objects.filter(pk__in=list(chain_account_ids))}
    if not addresses:
        return
    hexes = {a.hex() for a in addresses}
    contracts = set(
        TokenHolding.objects.filter(holder__in=hexes, balance__gt=0).values_list("contract", flat=True)
    )
    instrument_ids = RuleSet.objects.filter(
        status=RuleSetStatus.APPLIED, instrument__contract_id__in=contracts
    ).values_list("instrument_id", flat=True)
    for instrument in Instrument.objects.filter(pk__in=set(instrument_ids)).select_related("issuer"):
        try:
            with transaction.atomic():
                breach_scan_instrument(
                    instrument=instrument, source=BreachSource.CLAIMS_LAPSED, only=addresses
                )
        except ChainUnavailable as exc:
            logger.warning("claims lapsed (%s) on %s: re-check deferred (%s)", reason, instrument.isin, exc)


def _locked_breach(*, actor: User, breach_id: uuid.UUID) -> Breach:
    from compliance.selectors import breach_get

    breach = breach_get(user=actor, breach_id=breach_id)  # 404 unless the actor may know it
    _officer_instrument(actor=actor, instrument_id=breach.instrument_id, action="work on breaches")
    return Breach.objects.select_for_update().select_related("instrument__issuer").get(pk=breach_id)


@transaction.atomic
def breach_investigate(*, actor: User, breach_id: uuid.UUID, note: str = "") -> Breach:
    """open → investigating (a compliance officer of the issuer takes it)."""
    breach = _locked_breach(actor=actor, breach_id=breach_id)
    if breach.status != BreachStatus.OPEN:
        raise ConflictError(
            "Only an open breach can be taken into investigation.",
            code="invalid_transition",
            details={"status": breach.status},
        )
    breach.status, breach.investigated_by = BreachStatus.INVESTIGATING, actor
    breach.save()
    audit_entry_create(
        actor=actor,
        action="breach.investigate",
        obj=breach,
        organisation=breach.instrument.issuer,
        before={"status": BreachStatus.OPEN},
        changes={"status": BreachStatus.INVESTIGATING, **({"note": note.strip()} if note.strip() else {})},
    )
    return breach


@transaction.atomic
def breach_resolve(*, actor: User, breach_id: uuid.UUID, note: str) -> Breach:
    """open or investigating → resolved; the note is mandatory (``note_required``)."""
    note = note.strip()
    if not note:
        raise InvalidInput(
            "Say how the breach was resolved.",
            code="note_required",
            details={"note": ["Required to resolve."]},
        )
    breach = _locked_breach(actor=actor, breach_id=breach_id)
    if breach.status == BreachStatus.RESOLVED:
        raise ConflictError(
            "The breach is already resolved.", code="invalid_transition", details={"status": breach.status}
        )
    old = breach.status
    breach.status, breach.resolved_by, breach.resolved_at, breach.resolution_note = (
        BreachStatus.RESOLVED,
        actor,
        timezone.now(),
        note,
    )
    breach.save()
    audit_entry_create(
        actor=actor,
        action="breach.resolve",
        obj=breach,
        organisation=breach.instrument.issuer,
        before={"status": old},
        changes={"status": BreachStatus.RESOLVED, "note": note},
    )
    return breach


# -- actions: freeze, pause, forced transfer ------------------------------------------------------
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
    instrument = _officer_instrument(actor=actor, instrument_id=instrument_id, action="freeze accounts")
    _require_on_chain(instrument)
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
    instrument = _officer_instrument(actor=actor, instrument_id=instrument_id, action="pause the instrument")
    _require_on_chain(instrument)
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
    instrument = _officer_instrument(
        actor=actor, instrument_id=instrument_id, action="propose forced transfers"
    )
    _require_on_chain(instrument)
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
    _officer_instrument(actor=actor, instrument_id=row.instrument_id, action=action)
    return ComplianceAction.objects.select_for_update().select_related("instrument__issuer").get(pk=action_id)


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
        ComplianceAction.objects.select_for_update()
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


OUTCOME_HANDLERS = {
    KIND_CONDITIONS: on_rule_submission,
    KIND_LIMITS: on_rule_submission,
    KIND_ACTION: on_action_submission,
}
