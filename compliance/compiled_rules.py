"""A stored rule set (``compliance.models.RuleSet``) as the rule engine's terms, compiled
into the security token's ``set_conditions`` / ``set_limits`` arguments, and an instrument's
applied rules compiled.

This is the bridge between the Django model and the Django-free engine
(``compliance.rules``). Three concerns read it: the rule-set workflow validates every draft,
submission and approval with it (``compliance.rulesets``), the breach scans check holders
against the applied rules (``compliance.breaches``), and the pre-trade check explains codes
with them (``compliance.selectors``). Kept apart so that breaches need not import the rule
set workflow, which itself opens breaches when a version is applied.
"""

from __future__ import annotations

from common.exceptions import InvalidInput
from compliance import rules
from compliance.models import RuleSet, RuleSetStatus
from issuance.models import Instrument


def compute_issue_units(instrument: Instrument) -> int:
    """The issue size in token units (``Instrument.token_unit``)."""
    unit = instrument.token_unit
    return int(instrument.issue_size / unit) if unit > 0 else 0


def citadel_contract_id() -> bytes | None:
    """The chain's ``citadel`` contract id (genesis), or ``None`` if it has none (it is deployed
    only with the ``citadel_license`` setup: docs/zk.md). Raises ``ChainUnavailable`` if no
    node answers."""
    from ledger.chain import get_genesis_contracts

    contract = get_genesis_contracts().get("citadel")
    return None if not contract else bytes.fromhex(contract.removeprefix("0x"))


def rule_terms_of(rule_set: RuleSet, *, citadel: bytes = bytes(32)) -> rules.RuleTerms:
    """The rule set's terms with its instrument's KYC mode; ``citadel`` the citadel contract's
    id that the citadel modes name (zeros when only validating)."""
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
        kyc_mode=rule_set.instrument.kyc_mode,
        citadel=citadel,
    )


def rule_set_compile(rule_set: RuleSet, *, for_chain: bool = False) -> tuple[rules.CompiledRules, list[str]]:
    """Compile a rule set; raises ``InvalidInput`` (``invalid_rule_set``) with every
    reason in ``details["problems"]`` (``field``, ``code``, ``message``). ``for_chain``: the
    arguments go on chain, so an instrument in a citadel KYC mode names the chain's
    ``citadel`` contract (``InvalidInput`` ``no_citadel`` if the chain has none)."""
    citadel = bytes(32)
    if for_chain and rule_set.instrument.kyc_mode != "claims":
        found = citadel_contract_id()
        if found is None:
            raise InvalidInput(
                "The chain has no citadel contract (it is deployed with the citadel_license setup), "
                "so a Citadel KYC mode cannot be applied.",
                code="no_citadel",
            )
        citadel = found
    try:
        return rules.compile_rules(
            rule_terms_of(rule_set, citadel=citadel), issue_units=compute_issue_units(rule_set.instrument)
        )
    except rules.RuleSetInvalid as exc:
        raise InvalidInput(
            "The rule set cannot be applied: " + "; ".join(p.message for p in exc.problems),
            code="invalid_rule_set",
            details={
                "problems": [{"field": p.field, "code": p.code, "message": p.message} for p in exc.problems]
            },
        ) from exc


def applied_rules(instrument: Instrument) -> rules.CompiledRules | None:
    """The compiled rules of ``instrument``'s applied rule set, exactly as the token holds them
    (in a citadel KYC mode the session condition names the chain's ``citadel`` contract, so
    the evaluator matches the parties' ``has_session``); ``None`` without one (or if it no
    longer compiles). Raises ``ChainUnavailable`` when the citadel id must be read and no node
    answers."""
    rule_set = RuleSet.objects.filter(instrument=instrument, status=RuleSetStatus.APPLIED).first()
    if rule_set is None:
        return None
    try:
        compiled, _ = rule_set_compile(rule_set, for_chain=True)
    except InvalidInput:
        return None
    return compiled
