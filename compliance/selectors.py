"""Reads of the compliance app, scoped to the asking user: the audit trail's search, rule
sets, breaches, compliance actions, the breaches-over-time chart, and the pre-trade check.

Who reads: compliance officers of the instrument's issuer, regulators and operators (every
organisation's). Others get 403 for an instrument they can see, 404 for one they cannot.
The pre-trade check is for brokers and compliance officers (and operators); it tells the
chain's pass/fail codes (``check_transfer``, a public query) and explains them by name only
for the sides the user owns (``identity.selectors.chain_addresses_user_owns``).
"""

from __future__ import annotations

import datetime
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import QuerySet
from django.db.models.functions import TruncDate

from chain.node.client import contract_abi
from common.exceptions import InvalidInput, NotFoundError, PermissionDeniedError
from common.filters import AuditEntryFilter
from common.models import AuditEntry
from compliance import chainstate, rules
from compliance.filters import BreachFilter
from compliance.models import ActionStatus, Breach, ComplianceAction, RuleSet, RuleSetStatus
from identity.models import Organisation, User
from identity.roles import BROKER_ROLES, ROLES_READING_AUDIT_TRAIL, Role
from identity.selectors import (
    apply_filters,
    chain_addresses_user_owns,
    client_account_get,
    scope_audit_entries,
    user_sees_all_organisations,
)
from issuance.allocation import compute_units
from issuance.models import Instrument, InstrumentStatus
from issuance.selectors import instrument_get, user_reads_issuance_books
from ledger.models import ChainAccount


def audit_entry_list(*, user: User, filters: dict[str, Any] | None = None) -> QuerySet[AuditEntry]:
    """The audit trail the user may read (``identity.selectors.scope_audit_entries``), newest
    first, narrowed by ``filters`` (``common.filters.AuditEntryFilter``: instrument,
    organisation, actor, action prefix, request_id, object_id, since, until).

    Raises ``PermissionDeniedError`` for roles that may not read the audit trail and
    ``ValidationError`` for a malformed filter value.
    """
    if not (user.is_superuser or user.has_role(*ROLES_READING_AUDIT_TRAIL)):
        raise PermissionDeniedError(
            "Only compliance officers, regulators and operators read the audit trail."
        )
    queryset = scope_audit_entries(AuditEntry.objects.select_related("actor", "organisation"), user=user)
    return apply_filters(AuditEntryFilter, queryset, filters)


def user_reads_compliance(*, user: User) -> bool:
    return user_sees_all_organisations(user=user) or user.has_role(Role.COMPLIANCE_OFFICER)


def rules_readable(*, user: User, instrument: Instrument) -> Instrument:
    """``instrument`` if ``user`` reads its rules and breaches (403 otherwise)."""
    if user_sees_all_organisations(user=user):
        return instrument
    if user.organisation_id != instrument.issuer_id or not user.has_role(Role.COMPLIANCE_OFFICER):
        raise PermissionDeniedError(
            "Only compliance officers of the issuer, regulators and operators read its rules."
        )
    return instrument


def instruments_with_rules(*, user: User) -> QuerySet[Instrument]:
    """Live instruments whose rules ``user`` may read (its issuer's, or all)."""
    queryset = Instrument.objects.select_related("issuer").filter(status=InstrumentStatus.LIVE)
    if user_sees_all_organisations(user=user):
        return queryset
    if not user.has_role(Role.COMPLIANCE_OFFICER) or user.organisation_id is None:
        return queryset.none()
    return queryset.filter(issuer_id=user.organisation_id)


def rule_set_list(*, user: User, instrument_id: uuid.UUID) -> QuerySet[RuleSet]:
    instrument = rules_readable(user=user, instrument=instrument_get(user=user, instrument_id=instrument_id))
    return RuleSet.objects.select_related("instrument", "created_by", "submitted_by", "decided_by").filter(
        instrument=instrument
    )


def rule_set_get(*, user: User, rule_set_id: uuid.UUID) -> RuleSet:
    rule_set = RuleSet.objects.select_related("instrument__issuer").filter(pk=rule_set_id).first()
    if rule_set is None:
        raise NotFoundError("Rule set not found.")
    try:
        rules_readable(user=user, instrument=instrument_get(user=user, instrument_id=rule_set.instrument_id))
    except NotFoundError as exc:
        raise NotFoundError("Rule set not found.") from exc
    except PermissionDeniedError as exc:
        # the issuer's own users learn they lack the role; nobody else learns it exists
        if user.organisation_id != rule_set.instrument.issuer_id:
            raise NotFoundError("Rule set not found.") from exc
        raise
    return rule_set


def rule_set_applied(*, instrument: Instrument) -> RuleSet | None:
    return RuleSet.objects.filter(instrument=instrument, status=RuleSetStatus.APPLIED).first()


def rule_set_approval_inbox(*, user: User) -> QuerySet[RuleSet]:
    """Rule sets pending approval at the user's issuer that the user did not make."""
    if not user.has_role(Role.COMPLIANCE_OFFICER) or user.organisation_id is None:
        return RuleSet.objects.none()
    return (
        RuleSet.objects.select_related("instrument", "submitted_by")
        .filter(instrument__issuer_id=user.organisation_id, status=RuleSetStatus.PENDING)
        .exclude(submitted_by=user)
        .exclude(created_by=user)
    )


def _scoped_by_instrument(queryset: QuerySet[Any], *, user: User) -> QuerySet[Any]:
    if not user_reads_compliance(user=user):
        raise PermissionDeniedError(
            "Only compliance officers, regulators and operators read breaches and actions."
        )
    if user_sees_all_organisations(user=user):
        return queryset
    return queryset.filter(instrument__issuer_id=user.organisation_id)


def breach_list(*, user: User, filters: Mapping[str, Any] | None = None) -> QuerySet[Breach]:
    """Breaches the user may read, newest first; ``filters``: ``status``, ``code``,
    ``source``, ``instrument`` (id), ``isin``, ``holder``, ``opened_after``/``opened_before``
    (dates)."""
    queryset = _scoped_by_instrument(
        Breach.objects.select_related("instrument", "resolved_by", "investigated_by"), user=user
    )
    return apply_filters(BreachFilter, queryset, filters)


def breach_get(*, user: User, breach_id: uuid.UUID) -> Breach:
    try:
        return breach_list(user=user).get(pk=breach_id)
    except Breach.DoesNotExist as exc:
        raise NotFoundError("Breach not found.") from exc


def breach_chart(*, user: User, days: int = 30, today: datetime.date | None = None) -> dict[str, list[Any]]:
    """Breaches opened and resolved per day over the last ``days`` days (UTC), for Chart.js:
    ``{"labels": [ISO dates], "opened": [...], "resolved": [...]}``."""
    today = today or datetime.datetime.now(tz=datetime.UTC).date()
    start = today - datetime.timedelta(days=days - 1)
    breaches = breach_list(user=user)
    opened: dict[datetime.date, int] = defaultdict(int)
    resolved: dict[datetime.date, int] = defaultdict(int)
    for day in (
        breaches.filter(created_at__date__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values_list("day", flat=True)
    ):
        opened[day] += 1
    for day in (
        breaches.filter(resolved_at__date__gte=start)
        .annotate(day=TruncDate("resolved_at"))
        .values_list("day", flat=True)
    ):
        resolved[day] += 1
    labels = [start + datetime.timedelta(days=i) for i in range(days)]
    return {
        "labels": [d.isoformat() for d in labels],
        "opened": [opened.get(d, 0) for d in labels],
        "resolved": [resolved.get(d, 0) for d in labels],
    }


def action_list(*, user: User, status: str = "") -> QuerySet[ComplianceAction]:
    queryset = _scoped_by_instrument(
        ComplianceAction.objects.select_related("instrument", "proposed_by", "decided_by", "submission"),
        user=user,
    )
    return queryset.filter(status=status) if status else queryset


def action_get(*, user: User, action_id: uuid.UUID) -> ComplianceAction:
    try:
        return action_list(user=user).get(pk=action_id)
    except ComplianceAction.DoesNotExist as exc:
        raise NotFoundError("Action not found.") from exc


def action_approval_inbox(*, user: User) -> QuerySet[ComplianceAction]:
    """Forced transfers pending at the user's issuer that the user did not propose."""
    if not user.has_role(Role.COMPLIANCE_OFFICER) or user.organisation_id is None:
        return ComplianceAction.objects.none()
    return (
        ComplianceAction.objects.select_related("instrument", "proposed_by")
        .filter(instrument__issuer_id=user.organisation_id, status=ActionStatus.PENDING)
        .exclude(proposed_by=user)
    )


# -- pre-trade check -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckedFailure:
    code: str
    number: int
    explanation: str


@dataclass(frozen=True)
class PreTradeCheck:
    instrument: Instrument
    sender: str
    receiver: str
    quantity: Decimal
    units: int
    allowed: bool
    failures: list[CheckedFailure] = field(default_factory=list)
    chain_codes: list[int] = field(default_factory=list)
    evaluator_codes: list[int] = field(default_factory=list)

    @property
    def evaluator_agrees(self) -> bool:
        return self.chain_codes == self.evaluator_codes


#: The side(s) of a transfer each failure code is about: its explanation names that side and
#: states its balance or claims.
PARTY_CODES: dict[contract_abi.TransferCode, frozenset[str]] = {
    contract_abi.TransferCode.SENDER_FROZEN: frozenset({"sender"}),
    contract_abi.TransferCode.INSUFFICIENT_BALANCE: frozenset({"sender"}),
    contract_abi.TransferCode.INSUFFICIENT_ALLOWANCE: frozenset({"sender"}),
    contract_abi.TransferCode.SENDER_CONDITIONS: frozenset({"sender"}),
    contract_abi.TransferCode.RECEIVER_FROZEN: frozenset({"receiver"}),
    contract_abi.TransferCode.RECEIVER_CONDITIONS: frozenset({"receiver"}),
    contract_abi.TransferCode.MAX_HOLDERS: frozenset({"receiver"}),
    contract_abi.TransferCode.MAX_OWNERSHIP: frozenset({"receiver"}),
    contract_abi.TransferCode.MIN_HOLDING: frozenset({"sender", "receiver"}),
}


def _parties_hidden(*, user: User, instrument: Instrument, sender: bytes, receiver: bytes) -> frozenset[str]:
    """The sides of a checked transfer whose owner ``user`` may not read: a side that is
    neither the user's organisation's nor one of its client accounts' (every side is readable
    to regulators, operators and the instrument's issuer, who read its register)."""
    if user_reads_issuance_books(user=user, instrument=instrument):
        return frozenset()
    own = chain_addresses_user_owns(user=user, addresses=[sender, receiver])
    return frozenset(
        side for side, address in (("sender", sender), ("receiver", receiver)) if address not in own
    )


def resolve_party(*, user: User, spec: Mapping[str, Any], name: str) -> bytes:
    """A transfer side as a 49-byte Address: ``{"address": hex}``, ``{"organisation":
    LEI}`` (its chain account) or ``{"client_account": id}`` (one the user may see).
    Raises ``InvalidInput`` naming ``name``; ``NotFoundError`` for a client account the
    user may not see."""
    from compliance.enforcement import parse_address

    given = [k for k in ("address", "organisation", "client_account") if spec.get(k)]
    if len(given) != 1:
        raise InvalidInput(
            f"{name}: give exactly one of address, organisation (LEI) or client_account.",
            code="invalid_party",
            details={name: ["One of address, organisation, client_account."]},
        )
    if given[0] == "address":
        return parse_address(str(spec["address"]), name)
    if given[0] == "organisation":
        lei = str(spec["organisation"]).strip().upper()
        account = ChainAccount.objects.filter(organisation__lei=lei).first()
        if account is None:
            known = Organisation.objects.filter(lei=lei).exists()
            raise InvalidInput(
                f"{name}: "
                + (f"{lei} has no chain account." if known else f"no organisation with LEI {lei}."),
                code="invalid_party",
                details={name: ["Unknown or without a chain account."]},
            )
        return account.address
    try:
        client_id = uuid.UUID(str(spec["client_account"]))
    except ValueError:
        raise InvalidInput(f"{name}: client_account is not an id.", code="invalid_party") from None
    client = client_account_get(user=user, client_account_id=client_id)
    account = ChainAccount.objects.filter(client_account=client).first()
    if account is None:
        raise InvalidInput(f"{name}: the client account has no chain account.", code="invalid_party")
    return account.address


def pre_trade_check(
    *,
    user: User,
    instrument_id: uuid.UUID,
    sender: Mapping[str, Any],
    receiver: Mapping[str, Any],
    quantity: Any,
) -> PreTradeCheck:
    """Every rule a transfer of ``quantity`` (the instrument's quantity: nominal or units)
    would fail now: the codes from the token's ``check_transfer`` on chain, each with its
    name, number and an explanation from ``compliance.rules.evaluate_transfer`` against the
    applied rules (the chain's generic meaning where the evaluator has none, and for a code
    about a side the user does not own: ``_parties_hidden``; no other organisation's client
    name, balance or claims is ever told). Brokers,
    compliance officers and operators; raises ``PermissionDeniedError`` for others,
    ``InvalidInput`` for bad parties or quantity, ``ChainUnavailable`` (503)."""
    from compliance.compiled_rules import applied_rules

    instrument = instrument_get(user=user, instrument_id=instrument_id)
    if not (user.has_role(Role.COMPLIANCE_OFFICER, Role.OPERATOR, *BROKER_ROLES) or user.is_superuser):
        raise PermissionDeniedError("Only brokers, compliance officers and operators run pre-trade checks.")
    if instrument.status != InstrumentStatus.LIVE or not instrument.contract_id:
        raise InvalidInput(f"{instrument.isin} is not live on chain.", code="not_live")
    try:
        amount = Decimal(str(quantity))
    except InvalidOperation:
        raise InvalidInput(
            "quantity is not a number.", code="invalid_quantity", details={"quantity": ["Not a number."]}
        ) from None
    if amount < 0:
        raise InvalidInput(
            "quantity cannot be negative.", code="invalid_quantity", details={"quantity": ["Negative."]}
        )
    units = compute_units(instrument, amount)
    from_address = resolve_party(user=user, spec=sender, name="from")
    to_address = resolve_party(user=user, spec=receiver, name="to")
    chain_codes = chainstate.check_transfer_on_chain(instrument, from_address, to_address, units)
    compiled = applied_rules(instrument) or rules.CompiledRules()
    token = chainstate.read_token_state(instrument)
    parties = chainstate.read_parties(instrument, [from_address, to_address])
    failures = rules.evaluate_transfer(
        compiled, token, sender=parties[from_address], receiver=parties[to_address], amount=units
    )
    explained = {int(f.code): f.explanation for f in failures}
    hidden = _parties_hidden(user=user, instrument=instrument, sender=from_address, receiver=to_address)
    checked = []
    for code in chain_codes:
        meaning = rules.CODE_MEANINGS[contract_abi.TransferCode(code)]
        about_hidden = bool(PARTY_CODES.get(contract_abi.TransferCode(code), frozenset()) & hidden)
        checked.append(
            CheckedFailure(
                contract_abi.TransferCode(code).code,
                code,
                meaning if about_hidden else explained.get(code, meaning),
            )
        )
    return PreTradeCheck(
        instrument=instrument,
        sender="0x" + from_address.hex(),
        receiver="0x" + to_address.hex(),
        quantity=amount,
        units=units,
        allowed=not chain_codes,
        failures=checked,
        chain_codes=chain_codes,
        evaluator_codes=sorted(explained),
    )
