"""Breaches: finding holders and settlement instructions out of compliance with a set of
compiled rules, opening breach records for them (from the scans, a rule change, lapsed KYC
claims or instructions the token refused), and their workflow (open → investigating →
resolved, each step audited).

Everything here reads or writes ``Breach`` rows, or computes the ``FoundBreach`` values they
are opened from; the rule-set preview (``compliance.rulesets``) uses the same computation on
rules not yet applied. The applied rules come from ``compliance.compiled_rules``, the
officer check from ``compliance.permissions``. Breaches never act on chain (freezing and
forced transfers are ``compliance.enforcement``); they only read the token's state and
the registry's claims (``compliance.chainstate``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from chain.node.client import contract_abi
from common.exceptions import ChainUnavailable, ConflictError, InvalidInput
from common.services import audit_entry_create
from compliance import chainstate, rules
from compliance.compiled_rules import applied_rules
from compliance.models import Breach, BreachSource, BreachStatus, RuleSet, RuleSetStatus
from compliance.permissions import officer_instrument
from identity.models import User
from issuance.allocation import compute_units
from issuance.models import Instrument
from ledger.models import ChainAccount, TokenHolding
from settlement.models import InstructionStatus, PendingReason, SettlementInstruction, Side

logger = logging.getLogger(__name__)

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
    officer_instrument(actor=actor, instrument_id=breach.instrument_id, action="work on breaches")
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
